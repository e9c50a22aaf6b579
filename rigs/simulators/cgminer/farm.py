"""Many fake miners served on consecutive loopback ports from one asyncio loop, and the
rigs of the tests, the benchmarks and the demo."""

import asyncio
import time

from .faults import Connection
from .rig import POOL_URLS, SimRig


class SimFarm:
    """Serves SimRigs on consecutive ports of one host, from the running loop."""

    def __init__(self, rigs, host="127.0.0.1", base_port=4028, comeback=20.0):
        self.rigs = list(rigs)
        self.host = host
        self.base_port = base_port
        self.comeback = comeback  # seconds a quit rig stays away, as if a watchdog restarted it
        self.servers = {}

    def port_of(self, rig):
        return self.base_port + self.rigs.index(rig)

    async def start(self):
        for rig in self.rigs:
            if rig.fault != "refuse":
                await self._listen(rig)
        return self

    async def _listen(self, rig):
        loop = asyncio.get_running_loop()
        self.servers[rig.index] = await loop.create_server(
            lambda rig=rig: Connection(self, rig), self.host, self.port_of(rig),
            reuse_address=True, backlog=512)

    def went_away(self, rig):
        """The rig quit: stop listening, come back later with fresh counters."""
        server = self.servers.pop(rig.index, None)
        if server:
            server.close()
        rig.quit_requested = False
        loop = asyncio.get_running_loop()
        loop.call_later(self.comeback, lambda: asyncio.ensure_future(self._come_back(rig)))

    async def _come_back(self, rig):
        rig.restart()
        if rig.index not in self.servers:
            await self._listen(rig)

    async def stop(self):
        for server in self.servers.values():
            server.close()
        for server in list(self.servers.values()):
            await server.wait_closed()
        self.servers.clear()


def make_rigs(count, seed=1, faults=None, access=None, flavour=None, clock=time.time):
    """``count`` varied rigs; faults/access map rig index -> mode."""
    faults = faults or {}
    access = access or {}
    names = ["cgminer", "bfgminer", "sgminer", "cgminer", "bmminer", "oldcgminer", "cgminer", "sgminer"]
    return [SimRig(index=i, seed=seed, flavour=flavour or names[i % len(names)],
                   fault=faults.get(i), access=access.get(i, "W"), clock=clock)
            for i in range(count)]


def demo_rigs(seed=1):
    """The eight rigs a first-time user sees: varied kinds and some trouble."""
    rigs = make_rigs(8, seed=seed, access={3: "R"}, faults={6: "html", 7: "hang"})
    rigs[0].devices[-1]["status"] = "Alive"
    if len(rigs[2].devices) > 1:
        rigs[2].devices[1]["status"] = "Sick"
    if len(rigs[4].pools) < 2:
        rigs[4].pools.append(rigs[4]._new_pool(POOL_URLS[4], "farm.sim04", "x"))
        rigs[4].pools[-1]["priority"] = len(rigs[4].pools) - 1
    rigs[4].pools[-1]["dead"] = True
    return rigs
