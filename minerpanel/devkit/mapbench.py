"""benchpages --map: the server time and the size of /map/?site=&metric= for N machines on one site.

In a throw-away SQLite database (as benchpages), N rigs with snapshots made from the simulator's
replies (parsed as the poller would, with the power, efficiency and nominal hashrate the ASIC drivers
add to SUMMARY), placed 100 to a rack (20 rows of 5) on one site, a rack of them in maintenance. For
each metric it prints the median and 95th percentile of the server's time for the whole page, the
htmx fragment and the live push's render, and the page's size as sent (gzip) and unpacked; and the
poller's side: the CPU its after-batch hook spends writing the map's rows (farm/mapfigures.py).
"""

import gzip
import os
import random
import statistics
import tempfile
import time

from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.utils import timezone

from minerpanel.devkit.bench import cpu_seconds, snapshot_of
from rigs.simulators.cgminer import make_rigs

PER_RACK, COLUMNS = 100, 5


def stats(timings):
    """Median and p95 of the wall times, and the median CPU (this process's: the view and SQLite, as a
    server's; unlike the wall time, it does not grow with the machine's load)."""
    ordered = sorted(wall for wall, _ in timings)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    cpu = statistics.median(c for _, c in timings)
    return f"median {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms (CPU {cpu * 1000:.0f} ms)"


def size(n):
    return f"{n / 1e3:,.0f} KB" if n < 1e6 else f"{n / 1e6:.2f} MB"


class MapBench:
    def __init__(self, stdout):
        self.stdout = stdout

    def setup(self, n):
        db = connections["default"]
        db.close()
        db.settings_dict["NAME"] = os.path.join(tempfile.mkdtemp(prefix="benchpages-map-"), "bench.sqlite3")
        call_command("migrate", verbosity=0)
        from farm.models import Maintenance, Placement, Rack, Site
        from rigs.models import Rig, Snapshot
        from rigs.readings.brief import make_brief

        rng = random.Random(7)
        site = Site.objects.create(name="Bench")
        racks = Rack.objects.bulk_create([Rack(site=site, name=f"R{i + 1:03d}", rows=PER_RACK // COLUMNS,
                                               columns=COLUMNS, order=i) for i in range(-(-n // PER_RACK))])
        rigs = Rig.objects.bulk_create([Rig(name=f"S19-{i:05d}", host="127.0.0.1", port=10000 + i) for i in range(n)])
        now = timezone.now()
        snaps = []
        for rig, sim in zip(rigs, make_rigs(n, seed=3, flavour=None)):
            sections, statuses = snapshot_of(sim)
            for record in sections.get("SUMMARY") or []:  # what the ASIC drivers add
                record.update({"Power": rng.randint(3000, 3600), "Efficiency J/TH": round(rng.uniform(26, 38), 1),
                               "Nominal MHS": 110e6})
            snaps.append(Snapshot(rig=rig, sections=sections, statuses=statuses, brief=make_brief(sections, statuses),
                                  polled_at=now, last_ok_at=now))
        Snapshot.objects.bulk_create(snaps, batch_size=200)
        Placement.objects.bulk_create([
            Placement(rig=rig, site=site, rack=racks[i // PER_RACK], row=i % PER_RACK // COLUMNS + 1,
                      column=i % COLUMNS + 1) for i, rig in enumerate(rigs)], batch_size=500)
        Maintenance.objects.create(rack=racks[0], reason="bench", starts=now, ends=now + timezone.timedelta(days=1),
                                   by="bench")
        User.objects.create_user("bench", password="bench-password-1")
        return site

    def run(self, n, runs):
        from farm import mapfigures
        from farm.views import fragment
        from rigs.models import Snapshot

        runs = max(1, runs)
        site = self.setup(n)
        client = Client(SERVER_NAME="localhost")
        client.login(username="bench", password="bench-password-1")
        self.stdout.write(f"/map/: {n:,} machines on one site, {-(-n // PER_RACK)} racks of {PER_RACK}, "
                          f"medians and 95th percentiles of {runs} views (Django's test client, SQLite):")
        for metric in ("health", "temp", "hashrate", "power", "efficiency"):
            # a poller keeps the data fresh: without it, every rig would turn stale during the run; its
            # after-batch hook writes the map's rows
            Snapshot.objects.update(polled_at=timezone.now(), last_ok_at=timezone.now())
            ids = list(Snapshot.objects.values_list("rig_id", flat=True))
            cpu = cpu_seconds()
            for start in range(0, len(ids), 1000):
                mapfigures.write(ids[start:start + 1000])
            written = cpu_seconds() - cpu
            path = f"/map/?site={site.pk}&metric={metric}"
            client.get(path)  # warm-up: imports, templates

            def timed(fn):
                out, result = [], None
                for _ in range(runs):
                    t0, c0 = time.perf_counter(), cpu_seconds()
                    result = fn()
                    out.append((time.perf_counter() - t0, cpu_seconds() - c0))
                return out, result

            full, page = timed(lambda p=path: client.get(p, HTTP_ACCEPT_ENCODING="gzip"))
            assert page.status_code == 200, page.status_code
            sent = len(page.content)
            unpacked = len(gzip.decompress(page.content)) if page.get("Content-Encoding") == "gzip" else sent
            frag, _ = timed(lambda p=path: client.get(p, HTTP_HX_REQUEST="true"))
            push, html = timed(lambda m=metric: fragment(str(site.pk), m))
            self.stdout.write(f"  {metric:<11} page {stats(full)}, {size(sent)} sent ({size(unpacked)} unpacked); "
                              f"htmx fragment {stats(frag)}; live push render {stats(push)}, {size(len(html))}; "
                              f"the poller's map rows {written / n * 1e6:,.0f} µs CPU per rig")
