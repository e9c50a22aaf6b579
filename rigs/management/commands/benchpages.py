"""Benchmark the summary page over N rigs: median server time and SQL queries.

Snapshots come from the simulator's replies (parsed as the poller would), in a
throw-away SQLite database.
"""

import os
import statistics
import tempfile
import time

from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections
from django.test import Client
from django.utils import timezone

from rigs.drivers.cgminer import POLL_COMMANDS, stored
from rigs.drivers.cgminer.protocol import parse_reply
from rigs.simulators.cgminer import make_rigs


def snapshot_of(sim):
    command = "+".join(POLL_COMMANDS)
    return stored(parse_reply(sim.handle(('{"command":"%s"}' % command).encode()), command))


class Command(BaseCommand):
    help = "Render the overview and the Summary page for N rigs and print the median server times."

    def add_arguments(self, parser):
        parser.add_argument("--rigs", type=int, default=1000)
        parser.add_argument("--runs", type=int, default=15)

    def handle(self, *args, **opts):
        n = opts["rigs"]
        db = connections["default"]
        db.close()
        db.settings_dict["NAME"] = os.path.join(tempfile.mkdtemp(prefix="benchpages-"), "bench.sqlite3")
        call_command("migrate", verbosity=0)
        from rigs.models import Rig, Snapshot, make_brief

        sims = make_rigs(n, seed=3, flavour=None)
        rigs = Rig.objects.bulk_create([Rig(name=f"rig{i:05d}", host="127.0.0.1", port=10000 + i) for i in range(n)])
        now = timezone.now()
        snaps = []
        for rig, sim in zip(rigs, sims):
            sections, statuses = snapshot_of(sim)
            snaps.append(Snapshot(rig=rig, sections=sections, statuses=statuses, brief=make_brief(sections, statuses),
                                  polled_at=now, last_ok_at=now))
        Snapshot.objects.bulk_create(snaps, batch_size=200)
        User.objects.create_user("bench", password="bench-password-1")
        client = Client(SERVER_NAME="localhost")
        client.login(username="bench", password="bench-password-1")
        from rigs import pages, tables

        client.get("/overview/")  # warm-up: imports, templates
        cold = []
        for _ in range(5):
            tables._ROWS.clear()  # as right after a poll round changed every rig
            t0 = time.perf_counter()
            client.get("/overview/")
            cold.append(time.perf_counter() - t0)
        warmed, views = [], []
        ids = [r.id for r in rigs]
        for _ in range(5):
            tables._ROWS.clear()
            t0 = time.perf_counter()
            pages.warm(ids)  # what the embedded poller does after storing a round
            warmed.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            client.get("/overview/")
            views.append(time.perf_counter() - t0)
        times = []
        for _ in range(opts["runs"]):
            t0 = time.perf_counter()
            r = client.get("/overview/")
            times.append(time.perf_counter() - t0)
            assert r.status_code == 200
        fragment = []
        for _ in range(opts["runs"]):
            t0 = time.perf_counter()
            client.get("/overview/", HTTP_HX_REQUEST="true")
            fragment.append(time.perf_counter() - t0)
        home = []
        for _ in range(opts["runs"]):
            t0 = time.perf_counter()
            r_home = client.get("/")  # miner.php's Summary, a custom page: DATE, RIGS, SUMMARY, DEVS, POOL
            home.append(time.perf_counter() - t0)
            assert r_home.status_code == 200
        t0 = time.perf_counter()
        pages.rigs_with_snapshots()
        t_db = time.perf_counter() - t0
        t0 = time.perf_counter()
        ctx = pages.summary_context(User.objects.get(username="bench"))
        t_ctx = time.perf_counter() - t0
        devices = sum(len(s.sections.get("DEVS") or []) for s in snaps)
        pools = sum(len(s.sections.get("POOLS") or []) for s in snaps)
        self.stdout.write(f"summary page, {n} rigs ({devices} devices, {pools} pools), {opts['runs']} runs:")
        self.stdout.write(f"  full page, every rig changed since the last view: median "
                          f"{statistics.median(cold) * 1000:.0f} ms (min {min(cold) * 1000:.0f}, max {max(cold) * 1000:.0f})")
        self.stdout.write(f"  the poller building the rows of a whole round (off the request path): median "
                          f"{statistics.median(warmed) * 1000:.0f} ms; the next view: median {statistics.median(views) * 1000:.0f} ms")
        self.stdout.write(f"  full page, rows already built for these snapshots: median {statistics.median(times) * 1000:.0f} ms "
                          f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}), {len(r.content) / 1e6:.1f} MB")
        self.stdout.write(f"  htmx fragment: median {statistics.median(fragment) * 1000:.0f} ms")
        self.stdout.write(f"  '/', the Summary custom page (engine, no row cache): median "
                          f"{statistics.median(home) * 1000:.0f} ms, {len(r_home.content) / 1e6:.1f} MB")
        self.stdout.write(f"  of which: reading rigs and snapshots {t_db * 1000:.0f} ms, "
                          f"tables (reading included, rows built) {t_ctx * 1000:.0f} ms")
        del ctx
