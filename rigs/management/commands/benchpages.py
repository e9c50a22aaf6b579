"""Benchmark the farm pages over N rigs: sizes and median server times.

For each farm size (default 1,000 and 10,000 rigs), in a throw-away SQLite database with
snapshots made from the simulator's replies (parsed as the poller would), it prints for '/'
(the Summary custom page) and '/overview/' (the fixed tables): the full page, the htmx
fragment and the live push (the fragment a WebSocket sends), each right after a poll batch
changed every rig, after one that changed a tenth of them, and for a view with nothing new.
"""

import os
import random
import resource
import statistics
import tempfile
import time
from functools import partial

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections
from django.test import Client
from django.utils import timezone

from minerpanel.devkit.bench import snapshot_of
from rigs.simulators.cgminer import make_rigs


def ms(values):
    return f"{statistics.median(values) * 1000:.0f} ms"


def size(n_bytes):
    return f"{n_bytes / 1e3:,.0f} KB" if n_bytes < 1e6 else f"{n_bytes / 1e6:.1f} MB"


class Command(BaseCommand):
    help = "Render '/' and '/overview/' for 1,000 and 10,000 rigs; print sizes and median server times."

    def add_arguments(self, parser):
        parser.add_argument("--rigs", default="1000,10000", help="farm sizes, comma-separated")
        parser.add_argument("--runs", type=int, default=11, help="views measured per figure")

    def handle(self, *args, **opts):
        self.stdout.write(f"TABLE_ROWS={settings.TABLE_ROWS} "
                          "(a longer table shows problems first, this many rows a page)")
        for n in (int(x) for x in opts["rigs"].split(",") if x.strip()):
            self.bench(n, opts["runs"])

    def setup(self, n):
        db = connections["default"]
        db.close()
        db.settings_dict["NAME"] = os.path.join(tempfile.mkdtemp(prefix="benchpages-"), "bench.sqlite3")
        call_command("migrate", verbosity=0)
        from rigs.models import Rig, Snapshot
        from rigs.readings.brief import make_brief

        sims = make_rigs(n, seed=3, flavour=None)
        rigs = Rig.objects.bulk_create([Rig(name=f"rig{i:05d}", host="127.0.0.1", port=10000 + i) for i in range(n)])
        now = timezone.now()
        snaps = []
        for rig, sim in zip(rigs, sims):
            sections, statuses = snapshot_of(sim)
            snaps.append(Snapshot(rig=rig, sections=sections, statuses=statuses, brief=make_brief(sections, statuses),
                                  polled_at=now, last_ok_at=now))
        Snapshot.objects.bulk_create(snaps, batch_size=200)
        User.objects.filter(username="bench").delete()
        User.objects.create_user("bench", password="bench-password-1")
        return [r.id for r in rigs], snaps

    def bench(self, n, runs):
        from custompages import render
        from rigs import live
        from rigs.models import Snapshot
        from rigs.web import overview_tables, view_models

        ids, snaps = self.setup(n)
        user = User.objects.get(username="bench")
        client = Client(SERVER_NAME="localhost")
        client.login(username="bench", password="bench-password-1")
        devices = sum(len(s.sections.get("DEVS") or []) for s in snaps)
        pools = sum(len(s.sections.get("POOLS") or []) for s in snaps)
        attention = sum(1 for s in snaps if (s.brief.get("health") or {}).get("state") in ("warn", "err"))
        self.stdout.write(f"\n{n:,} rigs ({devices:,} devices, {pools:,} pools; {attention:,} rigs need attention), "
                          f"medians of {runs} views:")
        rng = random.Random(5)

        def batch(share):
            """A poll batch stored new snapshots of ``share`` of the rigs (the poller's hook not run)."""
            changed = rng.sample(ids, max(1, int(len(ids) * share)))
            Snapshot.objects.filter(rig_id__in=changed).update(polled_at=timezone.now(), last_ok_at=timezone.now())
            return changed

        def timed(fn, count):
            out, result = [], None
            for _ in range(count):
                t0 = time.perf_counter()
                result = fn()
                out.append(time.perf_counter() - t0)
            return out, result

        def after(share, fn, count, warm=False):
            out = []
            for _ in range(count):
                changed = batch(share)
                if warm:
                    view_models.warm(changed)  # the embedded poller, off the request path
                t0 = time.perf_counter()
                fn()
                out.append(time.perf_counter() - t0)
            return out

        for path, push in (("/", "custom:summary"), ("/overview/", "summary")):
            client.get(path)  # warm-up: imports, templates
            slow = max(3, runs // 3)
            get = partial(client.get, path)
            every = after(1.0, get, slow)
            tenth = after(0.1, get, slow)
            warmed = after(0.1, get, slow, warm=True)
            full, r = timed(get, runs)
            assert r.status_code == 200, r.status_code
            frag, rf = timed(partial(client.get, path, HTTP_HX_REQUEST="true"), runs)
            pushed, html = timed(partial(live.render_fragment, user, push, {}), runs)
            second = "custom-3-page=2" if path == "/" else "devices-page=2"
            paged, rp = timed(partial(client.get, f"{path}?{second}", HTTP_HX_REQUEST="true"), runs)
            self.stdout.write(f"  {path}")
            self.stdout.write(f"    full page {size(len(r.content))}: {ms(full)} (after a batch changed every rig "
                              f"{ms(every)}; a tenth {ms(tenth)}; a tenth, warmed by the poller {ms(warmed)})")
            self.stdout.write(f"    htmx fragment {size(len(rf.content))}: {ms(frag)}; "
                              f"live push {size(len(html.encode()))}: "
                              f"{ms(pushed)}; devices page 2 ({second}) {size(len(rp.content))}: {ms(paged)}")
        whole, _ = timed(lambda: render.page_context(user, render_home(), whole=True), 1)
        self.stdout.write(f"  '/' with every row formatted (the API's view; no paging): {ms(whole)}; "
                          f"peak RSS so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
        overview_tables._ROWS.clear()
        render._INPUTS.clear()
        render._RESULTS.clear()


def render_home():
    from custompages.models import CustomPage

    return CustomPage.objects.get(slug="summary")
