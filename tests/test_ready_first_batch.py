"""A poller's first batch, or a first view, that finds several ready tables outdated builds them in one
pass over the rigs (rigs/web/ready.py: rebuild_many)."""

from unittest import mock

import pytest
from django.utils import timezone

from rigs.models import ReadyRow, ReadyTable, Rig, Snapshot
from rigs.readings.brief import make_brief
from rigs.web import rigdata

from .test_pages import summary

pytestmark = pytest.mark.django_db

TABLES = ["rigs", "summary", "devs", "pools"]


def farm(n):
    rigs = [Rig.objects.create(name=f"f{i}", host=f"10.9.0.{i + 1}") for i in range(n)]
    for i, rig in enumerate(rigs):
        sections = {"SUMMARY": [summary(Accepted=10 + i)],
                    "DEVS": [{"ASC": 0, "Name": "BTB", "ID": 0, "Status": "Alive", "MHS av": 1.5}],
                    "POOLS": [{"POOL": 0, "URL": f"stratum+tcp://p{i}.example:3333", "Status": "Alive",
                               "Stratum Active": True, "Priority": 0}]}
        Snapshot.objects.create(rig=rig, sections=sections, brief=make_brief(sections, {}),
                                polled_at=timezone.now(), last_ok_at=timezone.now())
    return rigs


def test_the_first_batch_reads_every_rig_once_for_all_the_tables_it_builds():
    """At its first batch a poller found every table outdated and built each whole in a pass of its
    own over every rig: every rig's sections read and parsed again for each table (8 at 100,000 rigs)."""
    from rigs.web import ready

    rigs = farm(3)
    with mock.patch.object(rigdata, "read", wraps=rigdata.read) as read:
        changed = ready.write([rigs[0].id], only=TABLES)
    assert sorted(changed) == sorted(TABLES)
    assert read.call_count == 1
    assert sorted(ReadyTable.objects.values_list("key", flat=True)) == sorted(TABLES)
    for key in TABLES:  # each built whole: every rig's rows, not only the batch's
        assert set(ReadyRow.objects.filter(table=key).values_list("rig_id", flat=True)) == {r.id for r in rigs}, key
    again = ready.write([rigs[1].id], only=TABLES)  # built: the next batch writes its rigs only
    assert ReadyRow.objects.filter(table="summary").count() == 3
    assert set(again) <= set(TABLES)


def test_a_first_view_of_the_overview_builds_its_tables_in_one_pass(client, django_user_model):
    from django.contrib.auth.models import Group

    farm(2)
    user = django_user_model.objects.create_user("viewer", password="x")
    user.groups.add(Group.objects.get_or_create(name="usr")[0])
    client.force_login(user)
    with mock.patch.object(rigdata, "read", wraps=rigdata.read) as read:
        page = client.get("/overview/")
    assert page.status_code == 200
    assert "stratum+tcp://p1.example:3333" in page.content.decode()
    assert read.call_count == 1


def test_a_view_writing_turned_rigs_builds_no_table_whole():
    """A view writing a few turned rigs built whole every kept table it found outdated (a page opened
    for the first time: its tables, from 10,000 rigs, in a view; benchload's pages of seconds), past
    READY_BUILD_IN_VIEW. The turned rigs are written in the tables that are built; the others are left
    to their builders (the poller's next batch, or the page's own view)."""
    from datetime import timedelta

    from rigs.models import ReadyPart
    from rigs.web import ready

    rigs = farm(3)
    ready.write([r.id for r in rigs], only=TABLES)
    ReadyTable.objects.filter(key="pools").update(source="an older definition")
    turned = timezone.now() - timedelta(seconds=1)
    ReadyPart.objects.filter(rig=rigs[0]).update(turns_at=turned)
    with mock.patch.object(rigdata, "read", wraps=rigdata.read) as read:
        assert ready.refresh_turned(timezone.now()) == 1
    assert [len(c.args[0]) for c in read.call_args_list] == [1]  # the turned rig alone: no whole build
    assert ReadyTable.objects.get(key="pools").source == "an older definition"
    assert ReadyPart.objects.get(rig=rigs[0]).turns_at != turned
    ready.write([rigs[1].id], only=TABLES)  # the poller's next batch builds it whole
    assert ReadyTable.objects.get(key="pools").source != "an older definition"
    assert ReadyRow.objects.filter(table="pools").values("rig_id").distinct().count() == 3
