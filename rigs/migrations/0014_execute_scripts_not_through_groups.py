"""EXECUTE on XMRigCC miners is for accounts given the permission directly (minerpanel/tiers.py,
EXPLICIT_ONLY): take it off every group, where joining the sys tier had put it."""

from django.db import migrations

EXPLICIT_ONLY = [("rigs", "execute_scripts")]  # as tiers.EXPLICIT_ONLY when this was written


def off_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for app, codename in EXPLICIT_ONLY:
        Group.permissions.through.objects.filter(permission__content_type__app_label=app,
                                                 permission__codename=codename).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("rigs", "0013_snapshot_json_unchecked"),
    ]

    operations = [migrations.RunPython(off_groups, migrations.RunPython.noop)]
