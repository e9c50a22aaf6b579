"""Load the running panel as people do: WebSocket viewers and page requests, over loopback.

The simulated rigs (simulate_rigs --register), the panel and this process, the load generator
(minerpanel/devkit/loadgen.py). The panel is either `make run`'s one `serve` with its poller inside
(SQLite), or, with `--web N`, the scale-out setup of docs/deploy.md: N web processes (`serve
--no-poller` on N loopback ports, the requests and viewers spread round robin over them) and one
`pollrigs`, sharing nothing but a PostgreSQL and a Redis started for the run (devkit/engines.py).
Everything lives in a throw-away directory; the counts and the duration are bounded. Prints page
times (p50/p95/max, per page and per web process), the pushes the viewers received, every error,
and the page views one core of web serves a second (views / the web processes' CPU seconds, from
a last phase where the requesters load pages without pausing).
"""

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from minerpanel.devkit import engines, loadgen
from minerpanel.devkit.bench import cpu_seconds, free_base, tree_cpu, wait_listening
from minerpanel.devkit.loadgen import HOST, PASSWORD, spread
from rigs.management.commands.simulate_rigs import raise_file_limit

SOCKETS = ["/ws/live/summary/", "/ws/live/summary/", "/ws/live/page/mobile/", "/ws/live/rig/1/"]
PATHS = [("/", []), ("/pages/mobile/", []), ("/", ["HX-Request: true"]), ("/rigs/2/", []), ("/pages/pools/", [])]
FIRST_VIEW = 600  # seconds the pages' first views may take (they are not counted with the others)
ROUND_WAIT = 600  # seconds the first poll round may take (10,000 rigs and their ready rows on a busy machine)


class Command(BaseCommand):
    help = ("Serve N simulated rigs and the panel in their own processes (with --web W: W web processes and a "
            "poller on PostgreSQL and Redis), then hold V WebSocket viewers and R page requesters against it for "
            "S seconds (loopback only). Prints p50/p95/max page time, pushes delivered, errors, views per web core.")

    def add_arguments(self, parser):
        parser.add_argument("--rigs", type=int, default=1000)
        parser.add_argument("--viewers", type=int, default=100)
        parser.add_argument("--requesters", type=int, default=10, help="clients loading pages one after another")
        parser.add_argument("--pause", type=float, default=5.0,
                            help="seconds a requester waits between pages (5: a browser polling at the shortest "
                                 "refresh the panel offers)")
        parser.add_argument("--seconds", type=float, default=30.0)
        parser.add_argument("--burst", type=float, default=10.0,
                            help="then seconds of requests without pause, for the views one web core serves "
                                 "a second (0: none)")
        parser.add_argument("--poll-interval", type=float, default=10.0)
        parser.add_argument("--web", type=int, default=0,
                            help="web processes (serve --no-poller) beside one pollrigs, on PostgreSQL and Redis; "
                                 "0: one serve with its poller inside, as `make run`")
        parser.add_argument("--engine", choices=("sqlite", "postgresql"),
                            help="sqlite (the default without --web) or postgresql with Redis (needed by --web)")
        parser.add_argument("--profile", metavar="FILE",
                            help="run the panel (with --web: the first web process) under cProfile, its stats in FILE")

    def handle(self, *args, **opts):
        bounds = {"rigs": (1, 20000), "viewers": (0, 2000), "requesters": (0, 100), "seconds": (2, 300),
                  "burst": (0, 120), "pause": (0.0, 60.0), "poll_interval": (1.0, 600.0), "web": (0, 8)}
        for name, (lo, hi) in bounds.items():
            if not lo <= opts[name] <= hi:
                raise CommandError(f"--{name.replace('_', '-')} must be between {lo} and {hi}")
        engine = opts["engine"] or ("postgresql" if opts["web"] else "sqlite")
        if opts["web"] and engine != "postgresql":
            # Each process would have its own in-memory channel layer (the poller's pushes reach none of the web
            # processes) and they would all write one SQLite file: docs/deploy.md's web processes are PostgreSQL's.
            raise CommandError("--web needs --engine postgresql: several web processes share the database and Redis, "
                               "which SQLite and the in-memory channel layer cannot be (one `serve` with its "
                               "poller inside is SQLite's deployment: leave out --web)")
        raise_file_limit(opts["viewers"] + opts["requesters"] + 1024)
        with ExitStack() as stack:
            # killed: the processes and engines still stop
            stack.enter_context(engines.stopped_when_killed())
            tmp = tempfile.mkdtemp(prefix="benchload-")
            stack.callback(shutil.rmtree, tmp, ignore_errors=True)
            env = self.environment(stack, engine, tmp, opts)
            children = []
            stack.callback(loadgen.stop_all, children)  # before the engines and the directory go
            self.panel = self.start(env, tmp, children, opts)
            self.before = self.cpu()
            load = asyncio.run(self.load(opts))
            self.after = self.cpu()
            rss = [loadgen.peak_rss_mb(proc.pid) for _, proc in self.panel["web"]]
            rounds = self.rounds()
            self.logged = loadgen.logged_errors(tmp)
        self.report(load, rss, rounds, engine, opts)

    def environment(self, stack, engine, tmp, opts):
        own = ("DATABASE_URL", "REDIS_URL", "SQLITE_PATH", "SECRET_KEY", "CACHE_DIR")
        env = {k: v for k, v in os.environ.items() if k not in own}
        env.update(MINERPANEL_VAR=tmp, DEMO_RIGS="false", POLL_INTERVAL=str(opts["poll_interval"]), LOG_LEVEL="WARNING",
                   DJANGO_SETTINGS_MODULE="minerpanel.settings", HTTPS="false", READONLY="false")
        self.db = self.redis = None
        if engine == "postgresql":
            try:
                self.db, self.redis = stack.enter_context(engines.both())
            except engines.Unavailable as exc:
                raise CommandError(f"PostgreSQL and Redis: {exc}") from None
            env.update(DATABASE_URL=self.db.url, REDIS_URL=self.redis.url)
        if opts["web"]:
            env["EMBEDDED_POLLER"] = "false"  # the poller is a pollrigs of its own
        return env

    def start(self, env, tmp, children, opts):
        """The simulated rigs, then the panel; returns {"sim", "web": [(port, Popen)], "poller"} once the
        poller has stored a first round."""
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True)
        subprocess.run([*manage, "createuser", "bench", "--tier", "usr", "--password", PASSWORD], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        for attempt in range(5):
            base = free_base(opts["rigs"]) + attempt * 1000  # a port in the range may be someone else's
            self.stdout.write(f"serving and registering {opts['rigs']:,} simulated rigs on {HOST}:{base}+ ...")
            sim = subprocess.Popen([*manage, "simulate_rigs", "--count", str(opts["rigs"]), "--base-port", str(base)],
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
            if loadgen.listening(base + opts["rigs"] - 1, sim, timeout=600):
                children.append(sim)
                break
        else:
            raise CommandError("the simulated rigs could not start (no free port range?)")
        # in one go, as benchscale does (simulate_rigs --register saves them one by one: minutes at 10,000)
        rigs = f"[Rig(name=f'rig{{i:05d}}', host='{HOST}', port={base} + i) for i in range({opts['rigs']})]"
        subprocess.run([*manage, "shell", "-c", f"from rigs.models import Rig; Rig.objects.bulk_create({rigs})"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        self.log = Path(tmp, "poller.log")
        if opts["web"]:
            # the poller logs its rounds (DEBUG) to a file: the load starts after its first
            poller = subprocess.Popen([*manage, "pollrigs"], env={**env, "LOG_LEVEL": "DEBUG"},
                                      stdout=subprocess.DEVNULL, stderr=open(self.log, "w"), start_new_session=True)
            children.append(poller)
            profile = os.path.abspath(opts["profile"]) if opts["profile"] else None
            web = loadgen.start_web(manage, env, opts["web"], tmp, profile)
            children.extend(proc for _, proc in web)
            self.stdout.write(f"{opts['web']} web processes on {HOST}:" + ", ".join(str(p) for p, _ in web)
                              + "; waiting for the poller's first round ...")
            end = time.monotonic() + ROUND_WAIT
            while "round:" not in self.log.read_text() and time.monotonic() < end and poller.poll() is None:
                time.sleep(1)
            if "round:" not in self.log.read_text():
                raise CommandError(f"the poller stored no round within {ROUND_WAIT} s: "
                                   f"{self.log.read_text()[-500:]}")
            return {"sim": sim, "web": web, "poller": poller}
        port = loadgen.free_port()
        profile = ["-m", "cProfile", "-o", os.path.abspath(opts["profile"])] if opts["profile"] else []
        panel = subprocess.Popen([manage[0], *profile, *manage[1:], "serve", "--port", str(port)], env=env,
                                 stdout=subprocess.DEVNULL, start_new_session=True)
        children.append(panel)
        wait_listening(port, timeout=60)
        warm = opts["poll_interval"] + 3
        self.stdout.write(f"panel on {HOST}:{port}; waiting {warm:.0f} s for a first poll round ...")
        time.sleep(warm)
        return {"sim": sim, "web": [(port, panel)], "poller": None}

    def rounds(self):
        """The poller's rounds during the load (--web: from its log), as 'N rigs, F failed, S s' lines."""
        if not self.panel["poller"]:
            return []
        return [line.split("round: ", 1)[1] for line in self.log.read_text().splitlines() if "round: " in line][1:]

    def cpu(self):
        """CPU seconds so far: the web processes (without serve's poller child), the poller, the rigs, this
        process, PostgreSQL and Redis (their trees)."""
        web = [proc.pid for _, proc in self.panel["web"]]
        poller = [self.panel["poller"].pid] if self.panel["poller"] else loadgen.children_of(web[0])
        return {"web": sum(map(loadgen.cpu_of, web)), "poller": sum(map(tree_cpu, poller)),
                "rigs": loadgen.cpu_of(self.panel["sim"].pid), "generator": cpu_seconds(),
                "db": tree_cpu(self.db.pid) if self.db else 0.0,
                "redis": tree_cpu(self.redis.pid) if self.redis else 0.0,
                "wall": time.monotonic(), "load": os.getloadavg()[0]}

    async def load(self, opts):
        ports = [port for port, _ in self.panel["web"]]
        load = loadgen.Load(ports, await loadgen.login(ports[0], "bench"))
        load.pause = opts["pause"]
        self.first = {}

        async def first(path, extra, port):  # a custom page's first view builds its rows: long at 10,000 rigs
            page = path + (" (htmx)" if extra else "")
            try:
                status, _, _, took = await loadgen.http(port, "GET", path, [f"Cookie: {load.cookie}", *extra],
                                                        timeout=FIRST_VIEW)
                self.first[page] = max(took * 1000, self.first.get(page, 0.0))
                if status != 200:
                    load.errors[f"first view: HTTP {status} {page}"] += 1
            except (TimeoutError, OSError, ValueError) as exc:
                load.errors[f"first view of {page}: {type(exc).__name__}"] += 1

        # the first view of each page on each web process, all at once (bounded): shown apart
        await asyncio.gather(*(first(path, extra, port) for path, extra in PATHS for port in ports))
        ramp = min(10.0, opts["seconds"] / 3)  # viewers arrive over the first seconds, as people do
        tasks = [asyncio.ensure_future(load.viewer(ports[i % len(ports)], SOCKETS[i % len(SOCKETS)],
                                                   ramp * i / max(opts["viewers"], 1))) for i in range(opts["viewers"])]
        tasks += [asyncio.ensure_future(load.requester(PATHS, i)) for i in range(opts["requesters"])]
        await asyncio.sleep(opts["seconds"])
        self.steady = await asyncio.to_thread(self.cpu)
        if opts["burst"]:
            load.enter("burst", 0.0)
            await asyncio.sleep(opts["burst"])
        load.stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 60)
        return load

    def report(self, load, rss, rounds, engine, opts):
        out = self.stdout.write
        spent = {k: self.after[k] - self.before[k] for k in self.before}
        web = (f"{opts['web']} web processes (serve --no-poller) and one pollrigs on PostgreSQL and Redis"
               if opts["web"] else f"one serve with its poller inside, on {engine}")
        out(f"\n{opts['rigs']:,} rigs, {web}; {opts['viewers']} WebSocket viewers, {opts['requesters']} requesters "
            f"(a page every {opts['pause']:g} s each), {opts['seconds']:g} s, then {opts['burst']:g} s without pause:")
        steady = load.times("steady")
        out(f"  pages: {len(steady):,} loaded; {spread(steady)}")
        out("  first views after start (not counted): "
            + ", ".join(f"{page} {ms:,.0f} ms" for page, ms in self.first.items()))
        for page in sorted({v[2] for v in load.views if v[0] == "steady"}):
            values = load.times("steady", page=page)
            out(f"    {page:<22} {len(values):>5,}  {spread(values)}")
        for i, (port, _) in enumerate(self.panel["web"]):
            values = load.times("steady", port=port)
            out(f"    web process {i} ({HOST}:{port}): {len(values):>5,} pages, {spread(values)}; "
                f"{load.pushes[port]:,} pushes; peak RSS {rss[i]:,.0f} MB")
        minutes = (opts["seconds"] + opts["burst"]) / 60
        pushes = sum(load.pushes.values())
        out(f"  pushes: {pushes:,} delivered to {load.connected} connected viewers "
            f"({pushes / max(load.connected, 1) / minutes:,.1f} per viewer per minute)")
        if opts["burst"]:
            burst = load.times("burst")
            web_cpu = self.after["web"] - self.steady["web"]
            out(f"  without pause: {len(burst):,} pages in {opts['burst']:g} s ({len(burst) / opts['burst']:,.0f}/s), "
                f"{spread(burst)}; the web processes used {web_cpu:.1f} s of CPU: "
                f"{len(burst) / max(web_cpu, 1e-9):,.0f} page views per second of one web core")
        for what, n in load.retries.most_common():
            out(f"  retried: {n} x {what}")
        if rounds:
            out(f"  poller rounds during the load: {len(rounds)} ({'; '.join(rounds[:6])})")
        out(f"  CPU during the load: web {spent['web']:.1f} s, poller {spent['poller']:.1f} s, simulated rigs "
            f"{spent['rigs']:.1f} s, load generator {spent['generator']:.1f} s"
            + (f", PostgreSQL {spent['db']:.1f} s, Redis {spent['redis']:.1f} s" if self.db else "")
            + f", of {os.cpu_count()} cores x {spent['wall']:.0f} s; load average {self.before['load']:.1f} before, "
            f"{self.after['load']:.1f} after")
        errors = sum(load.errors.values())
        out(f"  errors: {errors}" + "".join(f"\n    {n} x {what}" for what, n in load.errors.most_common()))
        for line in self.logged:
            out(f"  logged: {line}")
