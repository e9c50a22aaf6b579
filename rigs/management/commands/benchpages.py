"""Benchmark the farm pages at 1,000 to 100,000 rigs, with the web side stateless (ready rows).

For each farm size, in a throw-away database (SQLite, or a private PostgreSQL: --engine), two processes
of this same command: a *writer* (the poller's side: snapshots made from the simulator's replies, a batch
that changes every rig, the ready rows written) and a *viewer* (a web process that only serves views).
After each batch the viewer asks '/', '/overview/' and a custom page with a section grouped across rigs
('/pages/pools/'), and page 2 of each: medians and p95 of the server times, the writer's CPU per rig per
batch (the cost moved to the poller's side), and the viewer's peak RSS (the web process's alone).

``--map``: the rack map instead, ``/map/?site=&metric=`` for every metric with N machines (default
5,000) on one site: minerpanel/devkit/mapbench.py.

``--sites``: the rigs in two sites, and '/' and the Overview filtered to one of them measured too (their
counts and Σ rows those the writer keeps for the site: rigs/web/scope_sums.py, ready_read.scoped).
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from minerpanel.devkit import engines, mapbench, pagefarm

TARGETS = {10_000: 100, 100_000: 150}  # ms, median and p95 (issue 25)
RSS_TARGET = 300  # MB


def p95(values):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


class Side:
    """A process of this command in a role, over the database ``env`` names."""

    def __init__(self, role, env):
        self.proc = subprocess.Popen([sys.executable, str(settings.BASE_DIR / "manage.py"), "benchpages",
                                      "--role", role], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                     text=True)

    def ask(self, **request):
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise CommandError(f"the {request} side stopped (exit {self.proc.wait()})")
        return json.loads(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(60)


class Command(BaseCommand):
    help = "Views of '/', '/overview/' and a page grouped across rigs at 1,000-100,000 rigs: median, p95, RSS."

    def add_arguments(self, parser):
        parser.add_argument("--rigs", help="farm sizes, comma-separated (default 1000,10000; --map: 5000)")
        parser.add_argument("--runs", type=int, default=5, help="batches that change every rig, each then viewed")
        parser.add_argument("--views", type=int, help="views of each page after each batch (default 3; --map: 21)")
        parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
        parser.add_argument("--sites", action="store_true",
                            help="the rigs in two sites, and '/' and the Overview filtered to one (?site=A) too")
        parser.add_argument("--profile", action="store_true",
                            help="print the writer's and the sections' cProfile (their last batch), and the views' "
                                 "(after it)")
        parser.add_argument("--same", action="store_true",
                            help="batches in which the rigs answer as before (only the poll times move), "
                                 "rather than a poll's changes to every rig's counters")
        parser.add_argument("--served", type=int, default=0, metavar="N",
                            help="then each page, the login page and a rig page served N times by one `serve "
                                 "--no-poller` (daphne, as deployed), one request at a time: its CPU a view")
        parser.add_argument("--role", choices=("writer", "viewer"), help=None)
        parser.add_argument("--map", action="store_true", help="the rack map at --rigs machines on one site "
                            "(default 5000; SQLite), each metric viewed --views times (default 21)")

    def handle(self, *args, **opts):
        if opts["map"]:
            mapbench.MapBench(self.stdout).run(int((opts["rigs"] or "5000").replace("_", "")), opts["views"] or 21)
            return
        opts["rigs"], opts["views"] = opts["rigs"] or "1000,10000", opts["views"] or 3
        if opts["role"]:
            pagefarm.serve(pagefarm.writer if opts["role"] == "writer" else pagefarm.viewer)
            return
        self.stdout.write(f"TABLE_ROWS={settings.TABLE_ROWS} (a longer table shows problems first, this many rows "
                          f"a page); engine {opts['engine']}; {opts['runs']} batches "
                          + ("in which the rigs answer as before" if opts["same"] else "changing every rig")
                          + f", each page viewed {opts['views']} times after each")
        for n in (int(x.replace("_", "")) for x in opts["rigs"].split(",") if x.strip()):
            self.bench(n, opts)

    def environment(self, stack, engine):
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SQLITE_PATH")}
        if engine == "sqlite":
            env["SQLITE_PATH"] = os.path.join(stack.enter_context(tempfile.TemporaryDirectory(
                prefix="benchpages-")), "bench.sqlite3")
        else:
            try:
                db = stack.enter_context(engines.postgres())
            except engines.Unavailable as exc:
                raise CommandError(f"PostgreSQL: {exc}") from None
            env["DATABASE_URL"] = db.url
        env["CACHE_DIR"] = stack.enter_context(tempfile.TemporaryDirectory(prefix="benchpages-cache-"))
        # a batch here writes every rig in one go, for longer than three poll intervals at 100,000 rigs: its
        # first rigs must not turn stale (and be written again by the viewer) before it ends
        env["STALE_AFTER"] = "3600"
        return env

    def bench(self, n, opts):
        with ExitStack() as stack:
            env = self.environment(stack, opts["engine"])
            writer = Side("writer", env)
            stack.callback(writer.close)
            farm = writer.ask(do="setup", rigs=n, sites=opts["sites"])
            viewer = Side("viewer", env)
            stack.callback(viewer.close)
            self.stdout.write(f"\n{n:,} rigs ({farm['devices']:,} devices, {farm['pools']:,} pools; "
                              f"{farm['attention']:,} rigs need attention); first build of every table "
                              f"{farm['first_build_cpu']:.1f} s CPU")
            # a web process serves many views: its very first ones (templates compiled, URLs resolved, imports)
            # are said apart, not counted
            warm = viewer.ask(do="views", views=1, sites=opts["sites"])["pages"]
            self.stdout.write("  first views of the web process (not counted): " + ", ".join(
                f"{path} {found['ms'][0]:,.0f} ms" for path, found in warm.items()))
            times, sizes, batches, rss = {}, {}, [], 0.0
            for _ in range(opts["runs"]):
                batches.append(writer.ask(do="batch", profile=opts["profile"], same=opts["same"]))
                seen = viewer.ask(do="views", views=opts["views"], sites=opts["sites"], profile=opts["profile"])
                rss = seen["rss_mb"]
                for path, found in seen["pages"].items():
                    times.setdefault(path, []).extend(found["ms"])
                    sizes[path] = found["bytes"]
            self.report(n, times, sizes, batches, rss)
            if opts["served"]:
                paths = ["/login/", *(path for pair in pagefarm.PAGES for path in pair), farm["rig_page"]]
                self.stdout.write(f"  served by daphne (one serve --no-poller, one request at a time over loopback, "
                                  f"{opts['served']} views each): CPU of the web process a view, median time")
                found = pagefarm.served(env, paths, opts["served"])
                for path, (cpu, median) in found.items():
                    rate = f"{1000 / cpu:>5.0f} views a second a core" if cpu > 0 else ""
                    self.stdout.write(f"    {path:<34} {cpu:>6.1f} ms CPU  {median:>6.1f} ms  {rate}")
                if found.get("/login/", (0, 0))[0] > 0:  # the least a Django view costs here
                    self.stdout.write(f"  the login page (no farm, no query of it) bounds any page: at most "
                                      f"{1000 / found['/login/'][0]:.0f} views a second a core under daphne")
            if opts["profile"]:
                for side, text in batches[-1]["profile"].items():
                    self.stdout.write(f"\n  {side}, the last batch's profile:\n{text}")
                for path, text in seen["profile"].items():
                    self.stdout.write(f"\n  views of {path}, after the last batch, profiled:\n{text}")

    def report(self, n, times, sizes, batches, rss):
        target = next((ms for size, ms in sorted(TARGETS.items()) if n <= size), None)
        worst = 0.0
        for path, ms in times.items():
            med, high = statistics.median(ms), p95(ms)
            worst = max(worst, high)
            self.stdout.write(f"  {path:<34} {sizes[path] / 1e3:>7,.0f} KB  median {med:>6.0f} ms  p95 {high:>6.0f} ms")
        rows_cpu = statistics.median(b["cpu"] for b in batches)
        across = statistics.median(b["across_cpu"] for b in batches)
        grew = [b["across_mb"] for b in batches if "across_mb" in b]
        memory = f" and {max(grew):,.0f} MB of memory at most" if grew else ""
        self.stdout.write(f"  writer (the poller's side): {rows_cpu / n * 1e6:,.0f} µs CPU per rig per batch "
                          f"({rows_cpu:.1f} s for the {n:,} rigs); the sections across rigs {across:.2f} s CPU"
                          f"{memory} a refresh (every READY_GLOBAL_EVERY, default the poll interval, at most a "
                          f"quarter of the time)")
        verdict = "" if target is None else f" (target ≤ {target} ms: {'met' if worst <= target else 'NOT met'})"
        self.stdout.write(f"  slowest p95 {worst:.0f} ms{verdict}; the web process's peak RSS {rss:,.0f} MB "
                          f"(target ≤ {RSS_TARGET} MB: {'met' if rss <= RSS_TARGET else 'NOT met'})")
