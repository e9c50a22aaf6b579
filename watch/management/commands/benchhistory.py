"""What history costs: bytes per rig, insert time per round, chart and farm read times.

Runs in a transaction that is rolled back: the database is left as it was, and may be a live one. One round of
``--rigs`` minute points is written as the poller's worker writes it (several times, the median
is printed), a quarter hour of them is rolled up, and ``--sample`` rigs get a full history of
``--days`` (1-minute points for 48 h, 15-minute for 60 days, hourly for the rest) to measure the
bytes per rig and the time to read their charts among everything else.
"""

import random
import secrets
import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from rigs.models import Rig
from watch import history
from watch.models import FarmPoint, Point


class Rollback(Exception):
    pass


def size():
    """Bytes the history tables use (with their indexes)."""
    with connection.cursor() as c:
        if connection.vendor == "postgresql":
            c.execute("SELECT pg_total_relation_size('watch_point') + pg_total_relation_size('watch_farmpoint')")
            return c.fetchone()[0]
        c.execute("PRAGMA page_count")
        pages = c.fetchone()[0]
        c.execute("PRAGMA page_size")
        return pages * c.fetchone()[0]


def point(rig_id, res, t, rnd, devs=4):
    hs = 1.1e14 * (0.9 + 0.2 * rnd.random())
    return Point(rig_id=rig_id, res=res, t=t, hs=hs, hs_now=hs * 1.01, hs_min=hs * 0.95, hs_max=hs * 1.05,
                 acc=rnd.randint(20, 40), rej=int(rnd.random() < 0.2), stale=0, hw=int(rnd.random() < 0.05),
                 temp=60 + 20 * rnd.random(), temp_max=80.0, fan=5400.0, power=3250.0,
                 pool=0, state=0, units=devs,
                 devs=[[f"ASC {i}", hs / devs, 70.5, "Alive"] for i in range(devs)] if res == 1 else None)


def timed(fn, runs):
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), max(times)


class Command(BaseCommand):
    help = "Measure the cost of history (synthetic points, rolled back afterwards)."

    def add_arguments(self, parser):
        parser.add_argument("--rigs", type=int, default=10000)
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--sample", type=int, default=10, help="rigs given a full history of --days")
        parser.add_argument("--rounds", type=int, default=15, help="minute rounds of --rigs points written")

    def handle(self, *args, **o):
        try:
            with transaction.atomic():
                self.bench(**o)
                raise Rollback
        except Rollback:
            self.stdout.write("(rolled back: the database is as it was)")

    def bench(self, rigs, days, sample, rounds, **_):
        rnd = random.Random(13)
        out = self.stdout.write
        out(f"database: {connection.vendor}; {rigs} rigs, {days} days of history for {sample} of them")
        # on a live database too: names and addresses no real rig has, and the farm's own points set aside
        # (in this transaction), so the synthetic ones do not collide with them
        run = secrets.token_hex(4)
        made = Rig.objects.bulk_create([
            Rig(name=f"bench-{run}-{i}", host=f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}", port=4028,
                path=f"bench-{run}-{i}") for i in range(rigs)], batch_size=1000)
        ids = sorted(r.pk for r in made)
        FarmPoint.objects.all().delete()
        now = int(time.time()) // 3600 * 3600
        # the sample rigs' full history, first: their bytes are what one rig costs
        before = size()
        one_min = min(days, history.retention()[1] // 86400) * 1440
        fifteen = min(days, history.retention()[15] // 86400) * 96
        hourly = days * 24
        rows = []
        for rig_id in ids[:sample]:
            rows += [point(rig_id, 1, now - 60 * k, rnd) for k in range(1, one_min + 1)]
            rows += [point(rig_id, 15, now - 900 * k, rnd) for k in range(1, fifteen + 1)]
            rows += [point(rig_id, 60, now - 3600 * k, rnd) for k in range(1, hourly + 1)]
        Point.objects.bulk_create(rows, batch_size=2000)
        per_rig = (size() - before) / sample
        out(f"points per rig: {one_min} × 1 min + {fifteen} × 15 min + {hourly} × 1 h = "
            f"{one_min + fifteen + hourly}")
        out(f"bytes per rig with {days} days of history: {per_rig / 1e6:.2f} MB "
            f"(≈ {per_rig * rigs / 1e9:.1f} GB for {rigs} rigs)")
        if days >= 365:
            steady = per_rig * (1 + (history.retention()[60] / 86400 - days) * 24 / (one_min + fifteen + hourly))
            days = history.retention()[60] / 86400
            out(f"  at full retention ({days:.0f} days hourly): ≈ {steady / 1e6:.2f} MB per rig")
        # farm points: one per minute for 48 h, per quarter for 60 days, hourly for the rest
        farm = [FarmPoint(res=res, t=now - step * k, algorithm=a, hs=1e18, rigs=rigs, healthy=rigs - 3)
                for res, step, n in ((1, 60, one_min), (15, 900, fifteen), (60, 3600, hourly))
                for k in range(1, n + 1) for a in ("SHA-256d", "scrypt")]
        FarmPoint.objects.bulk_create(farm, batch_size=2000)
        # rounds of every rig's minute point, as the worker writes them
        times = []
        for r in range(rounds):
            t = now + 60 * r
            batch = [point(rig_id, 1, t, rnd) for rig_id in ids]
            began = time.perf_counter()
            Point.objects.bulk_create(batch, batch_size=500, ignore_conflicts=True)
            times.append((time.perf_counter() - began) * 1000)
        out(f"insert of one round ({rigs} points with 4 devices each): median {statistics.median(times):.0f} ms, "
            f"max {max(times):.0f} ms over {rounds} rounds")
        history.set_mark("rollup15", now)
        history.set_mark("rollup60", now + 3600)
        began = time.perf_counter()
        history.rollup(now + 900)
        out(f"roll-up of a quarter hour of {rigs} rigs: {(time.perf_counter() - began) * 1000:.0f} ms")
        med, worst = timed(lambda: history.series(ids[0], 30 * 86400, 1200, now=now), 20)
        out(f"30-day chart of one rig (1200 px): median {med:.1f} ms, max {worst:.1f} ms (target ≤ 50 ms)")
        med, worst = timed(lambda: history.series(ids[0], 365 * 86400, 1200, now=now), 10)
        out(f"1-year chart of one rig (1200 px): median {med:.1f} ms, max {worst:.1f} ms")
        med, worst = timed(lambda: history.farm_series(86400, 1200, now=now), 20)
        out(f"24-hour farm total per algorithm (1200 px): median {med:.1f} ms, max {worst:.1f} ms (target ≤ 200 ms)")
        med, worst = timed(lambda: history.sparklines(ids[:200], now=now + 60 * rounds), 10)
        out(f"sparklines of 200 rigs (a Rigs table page): median {med:.1f} ms, max {worst:.1f} ms")
        # alert rules over every rig, as after each round (1 % with a dead device)
        from django.utils import timezone

        from rigs.models import Snapshot
        from watch import alerts

        wall = timezone.now()
        dead = [{"key": "dev:ASC 1:Dead", "level": "err", "text": "ASC 1 Dead"}]
        Snapshot.objects.bulk_create([Snapshot(
            rig_id=rig_id, polled_at=wall, last_ok_at=wall,
            brief={"figures": {"hashrate_hs": 1.1e14, "hashrate_now_hs": 1.1e14, "max_temp": 70.0},
                   "health": {"state": "err" if i % 100 == 0 else "ok", "reasons": dead if i % 100 == 0 else []}})
            for i, rig_id in enumerate(ids)], batch_size=1000)
        med, worst = timed(lambda: alerts.evaluate(now + 60 * rounds), 5)
        out(f"alert rules over {rigs} rigs after a round (1 % with a dead device): median {med:.0f} ms, "
            f"max {worst:.0f} ms")
        began = time.perf_counter()
        deleted = history.prune(now + 60 * rounds + history.retention()[1], max_batches=1)
        out(f"prune one batch: {deleted} points in {(time.perf_counter() - began) * 1000:.0f} ms")
