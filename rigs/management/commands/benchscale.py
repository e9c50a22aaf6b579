"""Benchmark the scale-out setup on this machine: simulator processes, K `pollrigs` shards,
a PostgreSQL and a Redis of their own (minerpanel/devkit/engines.py), 10,000 to 100,000 rigs.

Each simulator process serves up to --per-sim rigs on a loopback address of its own
(127.0.1.J, ports from 20000: more than 65,535 rigs need several addresses). Every rig
is registered once; a size enables the first N. For each size and shard count, K
worker processes (this command with --worker K/N: the real poll_once, store, lease and
Redis publish) run a warm-up round, then a measured round started together. Printed:
the round's wall time (the slowest shard), rigs per second, the pollers' CPU (all
shards) per rig, and the database's load over the round (rows written per second,
commits, WAL, PostgreSQL's CPU) and Redis's CPU.

With --web W, the web side at the largest size: K `pollrigs` shards (the largest --shards, with their
ready rows) run on, W web processes (`serve --no-poller`, as docs/deploy.md runs them) serve '/',
'/overview/', a custom page grouped across rigs and page 2 of each to requesters spread round robin
over their ports; printed: the page times (p50/p95), the errors, each web process's peak RSS.
"""

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from minerpanel.devkit import engines, loadgen
from minerpanel.devkit.bench import cpu_seconds, tree_cpu, wait_listening
from minerpanel.devkit.pagefarm import PAGES
from rigs.drivers import cgminer
from rigs.management.commands.simulate_rigs import raise_file_limit
from rigs.polling import hooks, poller
from rigs.polling.lease import Lease

BASE_PORT = 20000


def host_of(j):
    return f"127.0.1.{j + 1}"


def db_counters(cursor):
    cursor.execute("SELECT xact_commit, tup_inserted + tup_updated, pg_current_wal_lsn() - '0/0'::pg_lsn "
                   "FROM pg_stat_database WHERE datname = current_database()")
    commits, rows, wal = cursor.fetchone()
    return {"commits": commits, "rows": rows, "wal": float(wal)}


class Command(BaseCommand):
    help = ("Simulators, K poller shards, PostgreSQL and Redis on this machine: round time, rigs/s, CPU per rig, "
            "DB load.")

    def add_arguments(self, parser):
        parser.add_argument("--rigs", default="10000,30000,100000", help="sizes, comma-separated")
        parser.add_argument("--shards", default="1,2,4", help="poller processes, comma-separated")
        parser.add_argument("--per-sim", type=int, default=10000, help="rigs per simulator process")
        parser.add_argument("--commands", default="summary,devs,pools",
                            help="asked per rig, joined (default summary,devs,pools; 'all' = the poller's set)")
        parser.add_argument("--web", type=int, default=0,
                            help="then web processes serving pages at the largest size while the pollers run (0: none)")
        parser.add_argument("--web-seconds", type=float, default=30.0, help="how long the pages are loaded")
        parser.add_argument("--requesters", type=int, default=8, help="clients loading pages one after another")
        parser.add_argument("--pause", type=float, default=1.0, help="seconds a requester waits between pages")
        parser.add_argument("--poll-interval", type=float, default=10.0, help="the pollers' while the pages are loaded")
        parser.add_argument("--worker", help=argparse.SUPPRESS)  # K/N: one shard's process

    def handle(self, *args, **opts):
        commands = cgminer.POLL_COMMANDS if opts["commands"] == "all" else opts["commands"].split(",")
        if opts["worker"]:
            return self.worker(opts["worker"], commands)
        self.commands = opts["commands"]
        sizes = sorted(int(x) for x in opts["rigs"].split(","))
        shard_counts = [int(x) for x in opts["shards"].split(",")]
        per_sim = opts["per_sim"]
        if per_sim > 30000:
            raise CommandError("--per-sim at most 30000 (ports 20000-50000 of one address)")
        if not (0 <= opts["web"] <= 8 and 1 <= opts["requesters"] <= 100 and 5 <= opts["web_seconds"] <= 600
                and 0 <= opts["pause"] <= 60):
            raise CommandError("--web 0-8, --requesters 1-100, --web-seconds 5-600, --pause 0-60")
        with engines.both(durable=True) as (db, redis):
            env = {**os.environ, "DATABASE_URL": db.url, "REDIS_URL": redis.url, "LOG_LEVEL": "WARNING",
                   "POLL_LEASE": "600"}
            subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=settings.BASE_DIR, env=env,
                           check=True)
            self.use_database(db.url)
            total = sizes[-1]
            self.stdout.write(f"PostgreSQL {db.url} (durable: fsync and synchronous_commit on), Redis {redis.url}")
            self.stdout.write(f"{total:,} simulated rigs (cgminer 4.11.1, 1-4 ASCs, 1-3 pools) in "
                              f"{-(-total // per_sim)} simulator processes; commands {'+'.join(commands)}, "
                              f"concurrency {settings.POLL_CONCURRENCY} per shard; {os.cpu_count()} cores")
            sims = self.start_simulators(total, per_sim)
            try:
                self.register(total, per_sim)
                rows = []
                for n in sizes:
                    self.enable(n)
                    for k in shard_counts:
                        rows.append(self.measure(n, k, env, db, redis))
                self.report(rows)
                if opts["web"]:
                    self.web_side(sizes[-1], shard_counts[-1], env, opts)
            finally:
                for sim in sims:
                    sim.terminate()
                for sim in sims:
                    try:
                        sim.wait(30)
                    except subprocess.TimeoutExpired:
                        sim.kill()
                        sim.wait()
                connections["bench"].close()

    # ------------------------------------------------------------ setup

    def use_database(self, url):
        """This process reaches the benchmark's PostgreSQL as the connection alias "bench"."""
        import dj_database_url

        connections.settings = connections.configure_settings({**connections.settings,
                                                              "bench": dj_database_url.parse(url)})

    def start_simulators(self, total, per_sim):
        for j in range(-(-total // per_sim)):  # every address ours to use, before any simulator starts
            with socket.socket() as s:
                # (SO_REUSEADDR: the connections a previous run's simulators left in TIME_WAIT do not
                # count; a process listening there still does)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind((host_of(j), BASE_PORT))
                except OSError as exc:
                    raise CommandError(f"{host_of(j)}:{BASE_PORT} is not free: {exc}") from None
        sims = []
        for j, start in enumerate(range(0, total, per_sim)):
            count = min(per_sim, total - start)
            host = host_of(j)
            sims.append(subprocess.Popen(
                [sys.executable, "manage.py", "simulate_rigs", "--count", str(count), "--host", host,
                 "--base-port", str(BASE_PORT), "--flavour", "cgminer", "--seed", str(j + 1)],
                cwd=settings.BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for j, sim in enumerate(sims):
            count = min(per_sim, total - j * per_sim)
            try:
                wait_listening(BASE_PORT + count - 1, timeout=300, host=host_of(j))
            except RuntimeError:
                for s in sims:
                    s.kill()
                raise CommandError(f"simulator {j} did not start (exit {sim.poll()})") from None
        return sims

    def register(self, total, per_sim):
        from rigs.models import Rig

        Rig.objects.using("bench").bulk_create(
            [Rig(name=f"bench{i:06d}", host=host_of(i // per_sim), port=BASE_PORT + i % per_sim, order=i, enabled=False)
             for i in range(total)], batch_size=5000)

    def enable(self, n):
        from rigs.models import Rig

        Rig.objects.using("bench").filter(order__lt=n).update(enabled=True)
        Rig.objects.using("bench").filter(order__gte=n).update(enabled=False)

    # ------------------------------------------------------------ one measurement

    def measure(self, n, k, env, db, redis):
        workers = [subprocess.Popen([sys.executable, "manage.py", "benchscale", "--worker", f"{i}/{k}",
                                     "--commands", self.commands],
                                    cwd=settings.BASE_DIR, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    text=True) for i in range(k)]
        try:
            for w in workers:  # each has polled its shard once (rows exist, imports done)
                line = w.stdout.readline()
                if line.strip() != "ready":
                    raise CommandError(f"a worker failed before its round: {line!r}")
            time.sleep(0.5)  # the warm-up's counters reach pg_stat_database
            with connections["bench"].cursor() as cur:
                before = db_counters(cur)
            pg0, redis0, t0 = tree_cpu(db.pid), tree_cpu(redis.pid), time.perf_counter()
            for w in workers:
                w.stdin.write("go\n")
                w.stdin.flush()
            results = [json.loads(w.stdout.readline()) for w in workers]
            wall = time.perf_counter() - t0
            pg_cpu, redis_cpu = tree_cpu(db.pid) - pg0, tree_cpu(redis.pid) - redis0
            for w in workers:
                w.stdin.close()
                w.wait(120)
            time.sleep(0.5)  # a backend reports its counters as it ends
            with connections["bench"].cursor() as cur:
                after = db_counters(cur)
        finally:
            for w in workers:
                if w.poll() is None:
                    w.kill()
        took = max(r["took"] for r in results)
        cpu = sum(r["cpu"] for r in results)
        row = {"rigs": n, "shards": k, "took": took, "wall": wall, "cpu": cpu, "ok": sum(r["ok"] for r in results),
               "polled": sum(r["polled"] for r in results), "pg_cpu": pg_cpu, "redis_cpu": redis_cpu,
               "db_rows": after["rows"] - before["rows"], "commits": after["commits"] - before["commits"],
               "wal_mb": (after["wal"] - before["wal"]) / 1e6, "rss": max(r["rss"] for r in results)}
        self.stdout.write(
            f"{n:>7,} rigs, {k} shard{'s' if k > 1 else ' '}: round {took:6.2f} s, {n / took:7,.0f} rigs/s, "
            f"pollers {cpu:6.2f} s CPU = {cpu / n * 1000:.3f} ms/rig, {row['ok']:,} of {row['polled']:,} answered; "
            f"PostgreSQL {row['polled'] / took:8,.0f} upserts/s ({row['db_rows'] / took:,.0f} tuples/s with TOAST), "
            f"{row['commits']} commits, {row['wal_mb']:.1f} MB WAL, "
            f"{pg_cpu:.2f} s CPU; Redis {redis_cpu:.2f} s CPU; peak RSS per shard {row['rss']:.0f} MB")
        self.stdout.flush()
        return row

    def report(self, rows):
        self.stdout.write("\nSizing (from the runs above):")
        per_rig = [r["cpu"] / r["rigs"] * 1000 for r in rows]
        self.stdout.write(f"  pollers' CPU per rig per round: {min(per_rig):.3f}-{max(per_rig):.3f} ms "
                          f"over {rows[0]['rigs']:,}-{rows[-1]['rigs']:,} rigs")
        worst = max(per_rig)
        self.stdout.write(f"  one core polls about {1000 / worst:,.0f} rigs per second: "
                          f"{10_000 / worst:,.0f} rigs every 10 s (POLL_INTERVAL) per shard at full load")
        pg = max(r["pg_cpu"] / r["rigs"] * 1000 for r in rows)
        rows_s = max(r["polled"] / r["took"] for r in rows)
        wal = max(r["wal_mb"] / r["rigs"] * 1000 for r in rows)
        self.stdout.write(f"  PostgreSQL: one row per rig per round (up to {rows_s:,.0f} rows/s here), "
                          f"at most {pg:.3f} ms of its CPU and {wal:.1f} MB of WAL per 1,000 rigs per round")

    # ------------------------------------------------------------ the web side

    def web_side(self, n, shards, env, opts):
        """``shards`` pollrigs and opts["web"] web processes over the database as it is (``n`` rigs enabled):
        once every shard has stored a round, requesters load the pages for opts["web_seconds"]."""
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        self.stdout.write(f"\nThe web side: {n:,} rigs, {shards} pollrigs shards (ready rows written), {opts['web']} "
                          f"web processes, {opts['requesters']} requesters (a page every {opts['pause']:g} s each) "
                          f"for {opts['web_seconds']:g} s")
        self.stdout.flush()
        with tempfile.TemporaryDirectory(prefix="benchscale-web-") as tmp:
            env = {**env, "MINERPANEL_VAR": tmp, "EMBEDDED_POLLER": "false", "DEMO_RIGS": "false", "HTTPS": "false",
                   "READONLY": "false", "POLL_INTERVAL": str(opts["poll_interval"]), "POLL_LEASE": "0"}
            subprocess.run([*manage, "createuser", "bench", "--tier", "usr", "--password", loadgen.PASSWORD],
                           env=env, check=True, stdout=subprocess.DEVNULL)
            logs = [os.path.join(tmp, f"poller{i}.log") for i in range(shards)]
            procs = [subprocess.Popen([*manage, "pollrigs", "--shard", f"{i}/{shards}"],
                                      env={**env, "LOG_LEVEL": "DEBUG"}, stdout=subprocess.DEVNULL,
                                      stderr=open(log, "w")) for i, log in enumerate(logs)]
            try:
                web = loadgen.start_web(manage, env, opts["web"], tmp)
                procs += [proc for _, proc in web]
                started = time.monotonic()
                while not all("round:" in open(log).read() for log in logs):
                    if time.monotonic() - started > 3600 or any(p.poll() is not None for p in procs):
                        raise CommandError("the pollers stored no round within an hour (or a process ended)")
                    time.sleep(2)
                self.stdout.write(f"  every shard stored a first round after {time.monotonic() - started:,.0f} s")
                load = asyncio.run(self.views([port for port, _ in web], opts))
                rss = [loadgen.peak_rss_mb(proc.pid) for _, proc in web]
                pollers_rss = [loadgen.peak_rss_mb(proc.pid) for proc in procs[:shards]]
                rounds = [line.split("round: ", 1)[1].strip()
                          for log in logs for line in open(log) if "round: " in line]
            finally:
                loadgen.stop_all(procs)
        pages = sorted({page for _, _, page, _ in load.views})
        for page in pages:
            values = load.times(page=page)
            self.stdout.write(f"  {page:<34} {len(values):>5,}  {loadgen.spread(values)}")
        every = load.times()
        self.stdout.write(f"  all pages: {len(every):,} in {opts['web_seconds']:g} s, {loadgen.spread(every)}; "
                          f"errors: {sum(load.errors.values())}"
                          + "".join(f"\n    {k} x {what}" for what, k in load.errors.most_common()))
        self.stdout.write("  peak RSS of the web processes: " + ", ".join(f"{mb:,.0f} MB" for mb in rss))
        self.stdout.write("  peak RSS of the pollers (ready rows and sections across rigs included): "
                          + ", ".join(f"{mb:,.0f} MB" for mb in pollers_rss))
        self.stdout.write(f"  the pollers' rounds so far: {'; '.join(rounds)}")

    async def views(self, ports, opts):
        load = loadgen.Load(ports, await loadgen.login(ports[0], "bench"))
        load.pause = opts["pause"]
        paths = [(path, []) for pair in PAGES for path in pair]

        async def first(path, port):  # a custom page's first view builds its rows: long at 10,000 rigs
            try:
                await loadgen.http(port, "GET", path, [f"Cookie: {load.cookie}"], timeout=600)
            except (TimeoutError, OSError, ValueError) as exc:
                load.errors[f"first view of {path}: {type(exc).__name__}"] += 1

        # each page once on each process, all at once: the first views, not counted
        await asyncio.gather(*(first(path, port) for path, _ in paths for port in ports))
        tasks = [asyncio.ensure_future(load.requester(paths, i)) for i in range(opts["requesters"])]
        await asyncio.sleep(opts["web_seconds"])
        load.stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 60)
        return load

    # ------------------------------------------------------------ a worker: one shard

    def worker(self, shard, commands):
        logging_quiet()
        k, n = (int(x) for x in shard.split("/"))
        raise_file_limit(20000)
        cgminer.POLL_COMMANDS = commands
        hooks.after_batch.functions[:] = []  # polling only: the pages' ready rows are benchpages' to measure
        lease = Lease((k, n))
        if not lease.claim():
            raise CommandError(f"shard {shard} is held by {lease.holder()}")
        recent = {}  # as pollrigs keeps it between rounds
        asyncio.run(poller.poll_once((k, n), lease=lease, recent=recent))
        poller.settle()
        # its backend ends and reports its counters: the measured round's are its own
        asyncio.run(sync_to_async(connections.close_all)())
        print("ready", flush=True)
        sys.stdin.readline()
        cpu0 = cpu_seconds()
        results, took = asyncio.run(poller.poll_once((k, n), lease=lease, recent=recent))
        polled, ok = len(results), sum(r.ok for r in results)
        del results  # freeing the round is part of its cost
        cpu = cpu_seconds() - cpu0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"took": took, "cpu": cpu, "polled": polled, "ok": ok, "rss": rss}), flush=True)
        lease.release()


def logging_quiet():
    import logging

    logging.getLogger("minerpanel.poller").setLevel(logging.ERROR)
