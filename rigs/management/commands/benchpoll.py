"""Benchmark one poll round over N simulated rigs, then again with some hung.

The simulator runs in a child process (its own core); this process polls, parses
and stores into a throw-away SQLite database, as the real poller does. Beside it,
the floor: a bare asyncio client asking the same rigs the same request with the
same concurrency, reading each reply and parsing it with orjson (as the poller does), storing nothing; the
ratio of CPU per rig is measured in the same run.
"""

import asyncio
import contextlib
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time

import orjson
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from minerpanel.devkit.bench import cpu_seconds, free_base, tree_cpu, wait_listening
from rigs.drivers import cgminer
from rigs.drivers.cgminer.protocol import encode_request
from rigs.management.commands.simulate_rigs import raise_file_limit
from rigs.polling import hooks, poller


async def bare_round(addresses, payload, concurrency):
    """The floor: connect, send, read to NUL or close, orjson.loads; nothing stored. Returns answers."""
    sem = asyncio.Semaphore(concurrency)

    async def one(host, port):
        async with sem:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(payload)
            chunks = []
            while chunk := await reader.read(65536):
                chunks.append(chunk)
                if b"\0" in chunk:
                    break
            writer.close()
            return orjson.loads(b"".join(chunks).split(b"\0", 1)[0])

    replies = await asyncio.gather(*(one(h, p) for h, p in addresses), return_exceptions=True)
    return sum(1 for r in replies if isinstance(r, dict))


def floor(addresses, commands, concurrency):
    """(wall, CPU) of one round of the bare client."""
    payload = encode_request("+".join(commands))
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    answered = asyncio.run(bare_round(addresses, payload, concurrency))
    took, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    if answered != len(addresses):
        raise RuntimeError(f"the bare client got {answered} answers of {len(addresses)}")
    return took, cpu


class Command(BaseCommand):
    help = "Poll N simulated rigs once (and with 5 %% hung) and print wall time, rigs/s, CPU and peak RSS."

    def add_arguments(self, parser):
        parser.add_argument("--rigs", type=int, default=1000)
        parser.add_argument("--hung-percent", type=float, default=5.0)
        parser.add_argument("--commands", default="all",
                            help="commands asked per rig, joined: 'all' (the default) is the poller's own set, "
                                 "or a list such as summary,devs,pools")
        parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite",
                            help="where snapshots go: a throw-away SQLite file (in this process) or a private "
                                 "PostgreSQL (minerpanel/devkit/engines.py; its CPU is counted apart)")

    def handle(self, *args, **opts):
        n = opts["rigs"]
        logging.getLogger("minerpanel.poller").setLevel(logging.ERROR)  # the hung round warns once per rig
        commands = cgminer.POLL_COMMANDS if opts["commands"] == "all" else \
            [c.strip() for c in opts["commands"].replace("+", ",").split(",") if c.strip()]
        unknown = sorted(set(commands) - set(cgminer.POLL_COMMANDS))
        if unknown:
            raise CommandError(f"--commands: not among the poller's commands: {', '.join(unknown)} "
                               f"(choose from {','.join(cgminer.POLL_COMMANDS)})")
        raise_file_limit(n + 2048)
        with self.database(opts["engine"]) as server:
            self.server = server
            self.bench(n, commands, opts)

    @contextlib.contextmanager
    def database(self, engine):
        """A fresh database as "default": the server's pid for PostgreSQL, None for SQLite."""
        if engine == "sqlite":
            db = connections["default"]
            db.close()
            db.settings_dict["NAME"] = os.path.join(tempfile.mkdtemp(prefix="benchpoll-"), "bench.sqlite3")
            call_command("migrate", verbosity=0)
            yield None
            return
        import dj_database_url

        from minerpanel.devkit import engines

        with engines.postgres(durable=True) as pg:
            connections["default"].close()
            connections.settings = connections.configure_settings(
                {**connections.settings, "default": dj_database_url.parse(pg.url)})
            del connections["default"]
            call_command("migrate", verbosity=0)
            self.stdout.write(f"PostgreSQL {pg.url} (durable: fsync and synchronous_commit on)")
            try:
                yield pg.pid
            finally:
                connections["default"].close()

    def bench(self, n, commands, opts):
        hung = max(1, int(n * opts["hung_percent"] / 100)) if opts["hung_percent"] else 0
        base = free_base(n)
        self.stdout.write(f"{n} simulated rigs (cgminer 4.11.1, 1-4 ASCs, 1-3 pools), "
                          f"commands {'+'.join(commands)}, concurrency {settings.POLL_CONCURRENCY}, "
                          f"timeout {settings.RIG_TIMEOUT:g} s")
        from rigs.models import Rig

        Rig.objects.bulk_create([Rig(name=f"bench{i:05d}", host="127.0.0.1", port=base + i) for i in range(n)])
        hung_every = n // hung if hung else 0
        faults = [f"--fault={i}=hang" for i in range(0, n, hung_every)][:hung] if hung else []
        original = cgminer.POLL_COMMANDS
        cgminer.POLL_COMMANDS = commands
        hooks_kept, hooks.after_batch.functions[:] = hooks.after_batch.functions[:], []  # polling only: the
        # pages' ready rows, written after each batch by pollrigs, are benchpages' to measure
        try:
            with self.simulator(n, base, []):
                self.recent = {}  # what pollrigs remembers between rounds of its shard
                asyncio.run(poller.poll_once(recent=self.recent))  # warm-up: first rows, imports
                poller.settle()  # as pollrigs does before its first round
                # interleaved, best of 5 each: the machine's other load touches both alike
                addresses = [("127.0.0.1", base + i) for i in range(n)]
                bares, rounds = [], []
                for _ in range(5):
                    bares.append(floor(addresses, commands, settings.POLL_CONCURRENCY))
                    rounds.append(self.round("all answering", n))
                bare, first = min(bares, key=lambda x: x[1]), min(rounds, key=lambda x: x[1])
                self.stdout.write(f"{'bare client (floor)':>22}: {n} rigs in {bare[0]:.2f} s wall, "
                                  f"{n / bare[0]:,.0f} rigs/s, {bare[1]:.2f} s CPU (best of 5; poller: best of 5)")
                self.stdout.write(f"CPU per rig: poller {first[1] / n * 1000:.3f} ms "
                                  f"(storing: {first[2] / n * 1000:.3f} ms), "
                                  f"floor {bare[1] / n * 1000:.3f} ms, ratio {first[1] / bare[1]:.2f}x")
                if self.server:
                    self.stdout.write(f"{'PostgreSQL':>22}: {first[3] / n * 1000:.3f} ms of its own CPU per rig "
                                      f"(its processes; in that round)")
                self.brief_cost()
                self.after_round_cost(n)
            if faults:
                with self.simulator(n, base, faults):
                    second = self.round(f"{len(faults)} hung ({opts['hung_percent']:g} %)", n)
                self.stdout.write(f"hung rigs added {second[0] - first[0]:.2f} s to a round "
                                  f"(rig timeout {settings.RIG_TIMEOUT:g} s)")
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            self.stdout.write(f"peak RSS of the polling process: {peak:.0f} MB")
        finally:
            cgminer.POLL_COMMANDS = original
            hooks.after_batch.functions[:] = hooks_kept

    def brief_cost(self):
        """What the brief (figures and health, rigs/readings/figures.py and rigs/readings/health.py)
        costs per snapshot."""
        from rigs.models import Snapshot
        from rigs.readings.brief import make_brief

        snaps = list(Snapshot.objects.exclude(last_ok_at=None).values_list("sections", "statuses", "brief"))
        started = time.perf_counter()
        for sections, statuses, brief in snaps:
            make_brief(sections, statuses, previous=brief)
        took = time.perf_counter() - started
        self.stdout.write(f"{'brief (figures, health)':>22}: {took * 1e6 / max(1, len(snaps)):,.0f} µs per snapshot, "
                          f"{took * 1000:.0f} ms for {len(snaps)} (part of the CPU above)")

    def after_round_cost(self, n):
        """What the poller's process spends after each round, in its watch thread: alerts every round,
        history points once a minute (watch/rounds.py), over a minute of POLL_INTERVAL rounds."""
        from watch import rounds

        results, _ = asyncio.run(poller.poll_once(recent=self.recent))
        start = (time.time() // 60 + 1) * 60
        count = max(1, int(60 // settings.POLL_INTERVAL))
        for i in range(count):  # a first minute, not measured: the first points, and alerts settling
            rounds.process(results, 1.0, now=start - 60 + i * settings.POLL_INTERVAL)
        cpu = time.thread_time()
        for i in range(count):
            rounds.process(results, 1.0, now=start + i * settings.POLL_INTERVAL)
        cpu = time.thread_time() - cpu
        self.stdout.write(f"{'history and alerts':>22}: {cpu / count / n * 1000:.3f} ms per rig per round, after it "
                          f"(a steady minute of {count} rounds, one writing the minute's points; not in the ratio)")

    @contextlib.contextmanager
    def simulator(self, n, base, faults):
        sim = subprocess.Popen(
            [sys.executable, "manage.py", "simulate_rigs", "--count", str(n), "--base-port", str(base),
             "--flavour", "cgminer", *faults],
            cwd=settings.BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        try:
            try:
                wait_listening(base + n - 1)
            except RuntimeError:
                sim.kill()
                raise RuntimeError("the simulator did not start: " + sim.stderr.read().decode()[-2000:]) from None
            yield sim
        finally:
            sim.terminate()
            sim.wait(10)

    def round(self, label, expected):
        storing = [0.0]
        store = poller.store

        def timed_store(*args, **kw):  # CPU of the writes, in their thread
            t = time.thread_time()
            try:
                return store(*args, **kw)
            finally:
                storing[0] += time.thread_time() - t

        poller.store = timed_store
        server0 = tree_cpu(self.server) if self.server else 0.0
        cpu0 = cpu_seconds()
        try:
            results, took = asyncio.run(poller.poll_once(recent=self.recent))
        finally:
            poller.store = store
        count, ok = len(results), sum(1 for r in results if r.ok)
        del results  # freed inside the measure, as the floor frees its replies (pollrigs after the round)
        cpu = cpu_seconds() - cpu0
        server = tree_cpu(self.server) - server0 if self.server else 0.0
        self.stdout.write(f"{label:>22}: {count} rigs in {took:.2f} s wall, "
                          f"{count / took:,.0f} rigs/s, {cpu:.2f} s CPU, {ok} answered")
        if count != expected:
            self.stderr.write(f"expected {expected} results, got {count}")
        return took, cpu, storing[0], server
