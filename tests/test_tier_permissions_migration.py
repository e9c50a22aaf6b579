"""rigs migration 0014: EXECUTE on XMRigCC miners is taken off every group (issue 23)."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from minerpanel.tiers import granted

BEFORE = [("rigs", "0013_snapshot_json_unchecked")]
AFTER = [("rigs", "0014_execute_scripts_not_through_groups")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_takes_execute_off_every_group_and_keeps_direct_grants():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        check_the_migration()
    finally:  # the schema every later test expects: every app's latest migration
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def check_the_migration():
    execute = Permission.objects.get(codename="execute_scripts")
    change = Permission.objects.get(codename="change_rig")
    sys_group, ops = Group.objects.create(name="sys"), Group.objects.create(name="ops")
    sys_group.permissions.add(execute, change)
    ops.permissions.add(execute)
    erin = User.objects.create_user("erin")
    erin.groups.add(sys_group)
    frank = User.objects.create_user("frank")
    frank.groups.add(sys_group)
    frank.user_permissions.add(execute)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    assert list(sys_group.permissions.all()) == [change] and not ops.permissions.exists()
    assert list(frank.user_permissions.all()) == [execute]
    assert not granted(erin, "rigs.execute_scripts") and granted(frank, "rigs.execute_scripts")
