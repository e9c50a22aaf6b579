"""History: minute points from the poller's results, roll-ups, pruning, reads sized to the width."""

import time

from django.test import override_settings

from rigs.models import Rig
from rigs.polling.poller import Result
from tests.base import BaseTestCase
from watch import history
from watch.models import FarmPoint, Point

T0 = 1_800_000_000 // 3600 * 3600  # on the hour


def sections(mhs, accepted, rejected=0, hw=0, temp=70.0, status="Alive", pool="stratum+tcp://a:3333"):
    return {"SUMMARY": [{"MHS av": mhs, "MHS 5s": mhs, "Accepted": accepted, "Rejected": rejected,
                         "Hardware Errors": hw, "Power": 3250}],
            "DEVS": [{"GPU": 0, "Status": status, "Temperature": temp, "MHS av": mhs, "Fan Speed": 3000}],
            "POOLS": [{"POOL": 0, "URL": pool, "Status": "Alive", "Priority": 0}]}


class HistoryTests(BaseTestCase):
    def round(self, t, rig_sections, recorded, previous):
        results = []
        for rig, secs in rig_sections.items():
            if secs is None:
                self.snapshot(rig=rig, error="connection refused")
                results.append(Result(rig.id, False, error="connection refused", error_kind="refused"))
            else:
                self.snapshot(rig=rig, sections=secs)
                results.append(Result(rig.id, True, sections=secs))
        written = history.record(results, t, recorded, previous)
        history.record_farm(t)
        return written

    def snapshot(self, rig=None, sections=None, statuses=None, **kw):
        from rigs.models import Snapshot
        Snapshot.objects.filter(rig=rig or self.rig).delete()
        return super().snapshot(rig=rig, sections=sections, statuses=statuses, **kw)

    def test_one_point_per_minute_with_deltas_and_the_farm(self):
        other = Rig.objects.create(name="rig-b", host="10.0.0.6", port=4028)
        recorded, previous = {}, {}
        assert self.round(T0, {self.rig: sections(1000, 10), other: sections(500, 5)}, recorded, previous) == 2
        # a second round in the same minute records nothing
        assert self.round(T0 + 20, {self.rig: sections(1000, 12), other: sections(500, 6)}, recorded, previous) == 0
        self.round(T0 + 60, {self.rig: sections(2000, 30, rejected=1), other: None}, recorded, previous)
        p = Point.objects.get(rig=self.rig, t=T0 + 60)
        assert p.res == 1 and p.hs == 2e9 and p.acc == 20 and p.rej == 1
        assert p.temp == 70.0 and p.fan == 3000 and p.power == 3250 and p.pool == 0
        assert p.devs == [["GPU 0", 2e9, 70.0, "Alive"]]
        down = Point.objects.get(rig=other, t=T0 + 60)
        assert down.state == 3 and down.hs is None
        farm = {(f.t, f.algorithm): (f.hs, f.rigs, f.healthy) for f in FarmPoint.objects.all()}
        assert farm[(T0, "SHA-256d")] == (1.5e9, 2, 2)
        assert farm[(T0 + 60, "SHA-256d")] == (2e9, 2, 1)

    def test_the_hottest_chip_beside_the_hottest_board(self):
        recorded, previous = {}, {}
        for m, chip in enumerate((96.5, 101.0, 0)):  # an ASIC driver's SUMMARY; 0 is no sensor
            secs = sections(1000, 10 * m, temp=70.0)
            secs["SUMMARY"][0].update({"Temperature": 70.0, "Chip Temp": chip})
            self.round(T0 + 60 * m, {self.rig: secs}, recorded, previous)
        assert [(p.temp, p.chip_temp) for p in Point.objects.filter(res=1).order_by("t")] == [
            (70.0, 96.5), (70.0, 101.0), (70.0, None)]
        history.rollup(T0 + 900)
        assert Point.objects.get(res=15).chip_temp == 101.0  # the highest of the quarter
        assert history.series(self.rig.id, 3600, 100, now=T0 + 180, res=1)["chip_temp"] == [96.5, 101.0, None]

    def test_a_restarted_miner_counts_from_zero(self):
        recorded, previous = {}, {}
        self.round(T0, {self.rig: sections(1000, 500)}, recorded, previous)
        self.round(T0 + 60, {self.rig: sections(1000, 7)}, recorded, previous)
        assert Point.objects.get(t=T0 + 60).acc == 7

    def test_rollups_are_incremental_and_keep_min_max_mean(self):
        recorded, previous = {}, {}
        for m in range(31):
            self.round(T0 + 60 * m, {self.rig: sections(1000 + m, 10 * m, temp=60 + m)}, recorded, previous)
        assert history.rollup(T0 + 60 * 31) == 2  # two finished quarter hours; no hour yet
        q = Point.objects.filter(res=15).order_by("t")
        assert [p.t for p in q] == [T0, T0 + 900]
        first = q[0]
        assert first.hs == sum(1000 + m for m in range(15)) / 15 * 1e6
        assert first.hs_min == 1000e6 and first.hs_max == 1014e6 and first.temp_max == 74
        assert first.acc == 140  # 14 deltas of 10 (the first minute has none)
        assert history.rollup(T0 + 60 * 31) == 0  # nothing new to roll up
        assert history.rollup(T0 + 3600) == 3  # the third quarter and the hour
        assert Point.objects.get(res=60).hs_max == 1030e6

    @override_settings(HISTORY_1M_HOURS=1)
    def test_old_points_are_deleted_in_batches(self):
        Point.objects.bulk_create([Point(rig=self.rig, res=1, t=T0 + 60 * m) for m in range(120)])
        with self.settings():
            history.PRUNE_BATCH, saved = 7, history.PRUNE_BATCH
            try:
                assert history.prune(T0 + 120 * 60, max_batches=2) == 14
                assert history.prune(T0 + 120 * 60) == 60 - 14
            finally:
                history.PRUNE_BATCH = saved
        assert Point.objects.filter(res=1).count() == 60

    def test_a_series_has_at_most_one_point_per_pixel(self):
        Point.objects.bulk_create([Point(rig=self.rig, res=1, t=T0 + 60 * m, hs=float(m), acc=9, rej=1,
                                         pool=0 if m < 30 else 1) for m in range(60)])
        s = history.series(self.rig.id, 3600, 12, now=T0 + 3600)
        assert len(s["t"]) == 12 and s["step"] == 300
        assert s["hs"][0] == 2.0 and s["rej_pct"][0] == 10.0
        assert s["pool"][5] == 0 and s["pool"][6] == 1
        wide = history.series(self.rig.id, 3600, 1000, now=T0 + 3600)
        assert len(wide["t"]) == 60  # never more than the points there are

    def test_farm_series_sums_pollers_and_algorithms(self):
        FarmPoint.objects.bulk_create([
            FarmPoint(res=1, t=T0, shard=0, algorithm="SHA-256d", hs=10, rigs=2, healthy=2),
            FarmPoint(res=1, t=T0, shard=1, algorithm="SHA-256d", hs=5, rigs=1, healthy=0),
            FarmPoint(res=1, t=T0, shard=1, algorithm="RandomX", hs=3, rigs=1, healthy=1)])
        s = history.farm_series(3600, 60, now=T0 + 60)
        assert s["t"] == [T0] and s["hs"] == {"RandomX": [3.0], "SHA-256d": [15.0]}
        assert s["rigs"] == [4] and s["healthy"] == [3]

    def test_sparklines_in_one_query(self):
        now = time.time()
        Point.objects.bulk_create([Point(rig=self.rig, res=1, t=int(now) - 60 * m, hs=float(m)) for m in range(30)])
        with self.assertNumQueries(1):
            lines = history.sparklines([self.rig.id], now=now)
        assert 2 <= len(lines[self.rig.id]) <= 36

    def test_before_the_first_rollup_a_long_range_shows_the_minute_points(self):
        Point.objects.bulk_create([Point(rig=self.rig, res=1, t=T0 + 60 * m, hs=1.0) for m in range(5)])
        FarmPoint.objects.create(res=1, t=T0, algorithm="SHA-256d", hs=2.0, rigs=1, healthy=1)
        assert len(history.series(self.rig.id, 7 * 86400, 100, now=T0 + 300)["t"]) == 1
        assert history.farm_series(7 * 86400, 100, now=T0 + 300)["hs"] == {"SHA-256d": [2.0]}
        Point.objects.create(rig=self.rig, res=15, t=T0, hs=3.0)
        assert history.series(self.rig.id, 7 * 86400, 100, now=T0 + 300)["hs"] == [3.0]

    def test_a_rig_with_absurd_counters_does_not_lose_the_others_minute(self):
        """Counters are a rig's word: beyond the columns' range or fractional they are not kept,
        and the other rigs' points of that minute are written."""
        odd = Rig.objects.create(name="odd", host="10.0.0.7", port=4028)
        recorded, previous = {}, {}
        self.round(T0, {self.rig: sections(1000, 10), odd: sections(1000, 10)}, recorded, previous)
        hostile = sections(1000, 10**30, rejected=12.5, hw=-(2**40))
        hostile["SUMMARY"][0]["Power"] = 10**400
        hostile["DEVS"][0]["Fan Speed"] = 2**70
        hostile["POOLS"][0]["POOL"] = 2**40
        self.round(T0 + 60, {self.rig: sections(1000, 30), odd: hostile}, recorded, previous)
        assert Point.objects.get(rig=self.rig, t=T0 + 60).acc == 20
        p = Point.objects.get(rig=odd, t=T0 + 60)
        assert p.acc is None and p.rej is None and p.hw is None and p.pool is None
        assert p.power is None and p.fan == 2.0**70 and p.hs == 1e9

    def test_real_keeps_only_finite_numbers(self):
        assert [history.real(v) for v in (1, 2.5, 10**400, float("inf"), float("-inf"), float("nan"), "x", None)] == \
            [1.0, 2.5, None, None, None, None, None, None]
        assert [history.whole(v) for v in (7, 7.0, 7.5, 2**31, -(2**31) + 1, float("nan"), True)] == \
            [7, 7, None, None, -(2**31) + 1, None, 1]
