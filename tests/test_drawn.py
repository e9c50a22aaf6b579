"""Farm tables drawn once for every viewer (rigs/web/drawn.py): a second view of the same table state
reads no row and draws nothing, and shows what the first did; a new state (a batch, a rig gone), another
tier, another page of the table or a filter is drawn for itself; ages are those of the moment."""

import logging
import secrets
from datetime import timedelta
from unittest import mock

from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rigs.models import ReadyTable, Rig, Snapshot
from rigs.polling import hooks
from rigs.readings.brief import make_brief
from rigs.web import drawn as drawn_module
from rigs.web import tables

from .base import BaseTestCase
from .test_pages import summary


def rows_read(queries):
    return [q for q in queries if '"rigs_readyrow"."html"' in q["sql"]]


class DrawnTablesTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.snapshot(sections={"SUMMARY": [summary(Accepted=111)]})

    def test_a_second_view_reads_no_row_and_shows_the_same(self):
        self.client.force_login(self.bob)
        first = self.client.get("/overview/").content.decode()
        with CaptureQueriesContext(connection) as queries:
            second = self.client.get("/overview/").content.decode()
        assert not rows_read(queries)
        assert ">111<" in second  # the tables as drawn (the clocks above them may have turned a second)
        assert second[second.index('<section class="table"'):] == first[first.index('<section class="table"'):]

    def test_a_batch_draws_the_tables_again(self):
        self.client.force_login(self.bob)
        assert ">111<" in self.client.get("/overview/").content.decode()
        later = timezone.now() + timedelta(seconds=5)  # the poller stores rig-a again, then writes its rows
        sections = {"SUMMARY": [summary(Accepted=444)]}
        Snapshot.objects.filter(rig=self.rig).update(sections=sections, brief=make_brief(sections, {}),
                                                     polled_at=later, last_ok_at=later)
        hooks.after_batch([self.rig.id])
        page = self.client.get("/overview/").content.decode()
        assert ">444<" in page and ">111<" not in page

    def test_a_deleted_rig_leaves_the_drawn_tables(self):
        other = Rig.objects.create(name="rig-zz", host="10.0.0.9")
        self.snapshot(rig=other, sections={"SUMMARY": [summary(Accepted=222)]})
        self.client.force_login(self.bob)
        assert "rig-zz" in self.client.get("/overview/").content.decode()
        other.delete()
        assert "rig-zz" not in self.client.get("/overview/").content.decode()

    def test_each_tier_sees_its_own_drawing(self):
        self.client.force_login(self.alice)  # sys: the Rigs table has the Address column
        assert "10.0.0.5" in self.client.get("/overview/").content.decode()
        self.client.force_login(self.bob)  # usr, after sys drew it: not sys's drawing
        assert "10.0.0.5" not in self.client.get("/overview/").content.decode()
        self.client.force_login(self.alice)
        assert "10.0.0.5" in self.client.get("/overview/").content.decode()

    @override_settings(TABLE_ROWS=10)
    def test_each_page_and_filter_of_a_table_is_drawn_for_itself(self):
        for i in range(24):
            rig = Rig.objects.create(name=f"r{i:02d}", host=f"10.4.0.{i}")
            self.snapshot(rig=rig, sections={"SUMMARY": [summary(Accepted=500 + i)]})
        self.client.force_login(self.bob)
        one = self.client.get("/overview/").content.decode()
        two = self.client.get("/overview/?summary-page=2").content.decode()
        found = self.client.get("/overview/?summary-q=r23").content.decode()
        assert "page 1 of 3" in one and "page 2 of 3" in two
        assert ">523<" in found and ">500<" not in found
        assert self.client.get("/overview/").content.decode().count("page 1 of 3") == one.count("page 1 of 3")

    def test_ages_are_filled_at_each_view(self):
        table = ReadyTable(key="t", stamp=secrets.token_hex(8))  # (the cache outlives a test run)
        drawings = []

        def draw():
            t = tables.Table("x", "X", [("Last", False)])
            t.rows = [tables.Row([], "", "<tr><td><!--age:1000.0--></td></tr>")]
            t.shows = ("t", {1})
            drawings.append(t)
            return t

        first = drawn_module.drawn(table, ("v",), draw, 1010.0).section()
        later = drawn_module.drawn(table, ("v",), draw, 1130.0)
        assert len(drawings) == 1  # drawn once, then found
        assert "<td>10s</td>" in first and "<td>2m 10s</td>" in later.section() and later.shows == ("t", {1})
        table.stamp = secrets.token_hex(8)  # a new state: drawn again
        drawn_module.drawn(table, ("v",), draw, 1130.0)
        assert len(drawings) == 2

    def test_a_cache_that_fails_costs_a_drawing_not_the_page(self):
        self.client.force_login(self.bob)
        with mock.patch.object(drawn_module.cache, "get", side_effect=ConnectionError("redis is down")), \
                self.assertLogs("minerpanel.pages", logging.WARNING) as logs:
            page = self.client.get("/overview/")
        assert page.status_code == 200 and ">111<" in page.content.decode()
        assert "redis is down" in logs.output[0]


class RigBarTests(BaseTestCase):
    """Past RIGBAR_MAX rigs the bar is a filter box offering their names, drawn once per state of the
    Rigs table for every view, the rig pages' included."""

    def names_read(self, queries):
        return [q for q in queries if q["sql"].startswith('SELECT "rigs_readyrow"."name"')]

    def test_the_names_are_read_once_per_state_of_the_rigs(self):
        for i in range(3):
            self.snapshot(rig=Rig.objects.create(name=f"x{i}", host=f"10.1.0.{i}"), sections={"SUMMARY": [summary()]})
        self.client.force_login(self.bob)
        with mock.patch("rigs.web.ready_read.RIGBAR_MAX", 2), mock.patch("rigs.web.view_models.RIGBAR_MAX", 2):
            rig = Rig.objects.get(name="x1")
            first = self.client.get(f"/rigs/{rig.pk}/").content.decode()
            assert '<option value="x2">' in first
            with CaptureQueriesContext(connection) as queries:
                again = self.client.get(f"/rigs/{rig.pk}/").content.decode()
                overview = self.client.get("/overview/").content.decode()
            assert not self.names_read(queries)  # the bar as drawn by the first view
            assert '<option value="x2">' in again and '<option value="x2">' in overview
            self.snapshot(rig=Rig.objects.create(name="<new>", host="10.1.0.9"), sections={"SUMMARY": [summary()]})
            with CaptureQueriesContext(connection) as queries:
                later = self.client.get(f"/rigs/{rig.pk}/").content.decode()
            assert self.names_read(queries)  # a rig added: the Rigs table's new state, drawn again
            assert '<option value="&lt;new&gt;">' in later
