"""Benchmark the custom page engine: the built-in Pools page over N rigs, and formula cost per row."""

import statistics
import time

from django.core.management.base import BaseCommand

from custompages import engine
from custompages.builtin import POOLS
from custompages.formula import compile_formula
from custompages.models import PageSection
from minerpanel.devkit.bench import snapshot_of
from rigs.simulators.cgminer import make_rigs


def definitions_of(data):
    return [PageSection(**{k: v for k, v in s.items() if k != "order"}).definition() for s in data["sections"]]


class Command(BaseCommand):
    help = "Time the Pools page over N simulated rigs (engine only) and one formula per row."

    def add_arguments(self, parser):
        parser.add_argument("--rigs", type=int, default=1000)
        parser.add_argument("--runs", type=int, default=15)

    def handle(self, *args, **opts):
        rigs = []
        for sim in make_rigs(opts["rigs"], seed=5):
            sections, _ = snapshot_of(sim)
            rigs.append({"name": sim.name, "sections": sections})
        definitions = definitions_of(POOLS)
        times = []
        for _ in range(opts["runs"]):
            t0 = time.perf_counter()
            out = engine.build_page(definitions, rigs)
            times.append(time.perf_counter() - t0)
        pools = next(t for t in out if getattr(t, "title", "") == "POOL+STATS")
        rows = sum(len(engine.rig_rows(r, "POOL+STATS")) for r in rigs)
        self.stdout.write(f"Pools page over {len(rigs)} rigs ({rows} POOL+STATS rows -> {len(pools.rows)} groups), "
                          f"{opts['runs']} runs: median {statistics.median(times) * 1000:.1f} ms, "
                          f"min {min(times) * 1000:.1f} ms")
        rows = [r for rig in rigs for r in engine.rig_rows(rig, "SUMMARY+POOL")]
        formula = compile_formula("POOL.Difficulty Accepted/max(POOL.Accepted,1)", sorted({k for r in rows for k in r}))
        t0 = time.perf_counter()
        n = 0
        while time.perf_counter() - t0 < 1.0:
            for r in rows:
                formula.evaluate(r)
            n += len(rows)
        per_row = (time.perf_counter() - t0) / n * 1e6
        self.stdout.write(f"formula POOL.Difficulty Accepted/max(POOL.Accepted,1): {per_row:.2f} µs per row "
                          f"({n:,} evaluations)")
