"""The map's rows (farm/mapfigures.py): written by the poller's after-batch hook, read by the map without
parsing a snapshot, written again when a snapshot is newer than its row; the hashrate's reference is the
nominal one, else the rig's own median over 24 hours (one value an hour, kept in the row)."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from farm.models import MapFigures, Placement, Rack, Site
from farm.rackmap import site_map
from rigs.models import Snapshot
from rigs.polling import hooks
from tests.base import BaseTestCase


def brief(history, now_hs, state="ok"):
    return {"figures": {"hashrate_now_hs": now_hs, "max_temp": 70.0}, "history": history,
            "health": {"state": state, "reasons": []}}


class MapFiguresTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.site = Site.objects.create(name="Oslo")
        rack = Rack.objects.create(site=self.site, name="A1", rows=1, columns=2)
        Placement.objects.create(rig=self.rig, site=self.site, rack=rack, row=1, column=1)
        self.snapshot(sections={"SUMMARY": [{"MHS 5s": 95e6, "Temperature": 71.0, "Power": 3100}]})

    def test_the_poller_hook_writes_the_rows_and_the_map_then_reads_no_snapshot_json(self):
        hooks.after_batch([self.rig.pk])
        row = MapFigures.objects.get(rig=self.rig)
        assert row.temp == 71.0 and row.power == 3100.0 and row.polled_at == self.rig.snapshot.polled_at
        for metric in ("health", "temp", "hashrate", "power", "efficiency"):
            with CaptureQueriesContext(connection) as queries:
                site_map(self.site, metric, timezone.now())
            sql = " ".join(q["sql"] for q in queries)
            assert "brief" not in sql and "sections" not in sql, (metric, sql[:500])
            assert len(queries) <= 3, metric

    def test_a_snapshot_newer_than_its_row_is_written_again_before_the_map_shows_it(self):
        hooks.after_batch([self.rig.pk])
        later = timezone.now() + timedelta(seconds=1)
        Snapshot.objects.filter(rig=self.rig).update(polled_at=later, last_ok_at=later,
                                                     brief=brief([], 1e12) | {"figures": {"max_temp": 99.0}})
        m = site_map(self.site, "temp", later)
        assert m.racks[0].cells[0].text == "99" and MapFigures.objects.get(rig=self.rig).temp == 99.0

    def test_without_nominal_the_hashrate_is_measured_against_its_24_hour_median(self):
        start = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=30)
        # 30 hours: the first six fall out of the 24; each hour's value is the median of the polls kept then
        for hour in range(30):
            at = start + timedelta(hours=hour, minutes=10)
            value = 1e12 if hour < 6 else (100e12 if hour % 2 else 110e12)
            Snapshot.objects.filter(rig=self.rig).update(polled_at=at, last_ok_at=at,
                                                         brief=brief([value] * 5, value))
            hooks.after_batch([self.rig.pk])
        row = MapFigures.objects.get(rig=self.rig)
        assert len(row.hourly) == 24 and not row.nominal
        assert row.reference == 105e12  # 12 hours at 100, 12 at 110: the 1e12 of 30 hours ago no longer counts
        Snapshot.objects.filter(rig=self.rig).update(brief=brief([100e12] * 5, 84e12))  # its hour: 100 as before
        hooks.after_batch([self.rig.pk])
        self.client.force_login(self.bob)
        page = self.client.get("/map/?metric=hashrate").content.decode()
        assert "80% of its 24 h median (84.00 TH/s of 105.00 TH/s)" in page, page[-2000:]

    def test_a_nominal_hashrate_is_the_reference_and_bad_values_are_ignored(self):
        Snapshot.objects.filter(rig=self.rig).update(brief={
            "figures": {"hashrate_now_hs": "lots", "nominal_hs": 100e12, "power_w": -5, "efficiency_jth": True},
            "history": ["x", None], "health": "broken"}, sections={"SUMMARY": [{"Power": 3000}]})
        hooks.after_batch([self.rig.pk])
        row = MapFigures.objects.get(rig=self.rig)
        assert row.nominal and row.reference == 100e12 and row.hashrate is None
        assert row.power is None and row.efficiency is None and row.state == "new"
