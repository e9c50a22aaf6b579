"""Figures for the ckpool and XMRigCC drivers on big simulated installations:
a ckpool with many users (one file each) and an XMRigCC server with many clients.
Simulators and driver share one process and one event loop."""

import asyncio
import statistics
import tempfile
import time
import types

from django.core.management.base import BaseCommand


async def median_ms(poll, rounds):
    """(median milliseconds, last result) of ``rounds`` awaits of ``poll()``."""
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        result = await poll()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, result


class Command(BaseCommand):
    help = "Time a poll of a big simulated ckpool and XMRigCC server."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=1000, help="ckpool users, two workers each")
        parser.add_argument("--clients", type=int, default=1000, help="XMRigCC clients")
        parser.add_argument("--rounds", type=int, default=5)
        parser.add_argument("--port", type=int, default=23999)

    def handle(self, *args, **opts):
        asyncio.run(self.run(opts))

    async def run(self, opts):
        from rigs.drivers import ckpool, xmrigcc
        from rigs.simulators import ckpool as ckpool_sim
        from rigs.simulators import xmrigcc as xmrigcc_sim

        limits = {"timeout": 30.0, "connect_timeout": 2.0}
        with tempfile.TemporaryDirectory(prefix="mp-bench-") as tmp:
            users = {f"user{i:05d}": [ckpool_sim.Worker(f"user{i:05d}.a", 1e12 + i * 1e9),
                                      ckpool_sim.Worker(f"user{i:05d}_b", 5e11)] for i in range(opts["users"])}
            sim = ckpool_sim.CkpoolSim(f"{tmp}/s", f"{tmp}/logs", users=users, interval=3600)
            await sim.start()
            rig = types.SimpleNamespace(path=sim.sockdir, logdir=sim.logdir)
            ms, (sections, _) = await median_ms(lambda: ckpool.poll(rig, **limits), opts["rounds"])
            self.stdout.write(f"ckpool, {opts['users']:,} users, {len(sections['WORKERS']):,} workers: "
                              f"poll median {ms:.0f} ms "
                              f"(4 pings, stats, getbest, {opts['users'] + 1:,} files)")
            await sim.shutdown()

            server = xmrigcc_sim.Server(f"{tmp}/cc", user="admin", password="bench")
            fleet = xmrigcc_sim.demo_fleet(server, n=opts["clients"])
            for m in fleet:
                m.tick()
            srv = await xmrigcc_sim.serve(server, "127.0.0.1", opts["port"])
            cc = types.SimpleNamespace(host="127.0.0.1", port=opts["port"], username="admin", token="bench")
            size = len((await xmrigcc.call(cc, "GET", "/admin/getClientStatusList", cap=xmrigcc.MAX_LIST, **limits))[1])
            ms, (sections, _) = await median_ms(lambda: xmrigcc.poll(cc, **limits), opts["rounds"])
            self.stdout.write(f"XMRigCC server, {len(sections['CLIENTS']):,} clients ({size / 1e6:.1f} MB list): "
                              f"poll median {ms:.0f} ms")
            srv.close()
