"""The demo of a first `make run`: simulated rigs (marked ``simulated``), served by the simulators in
the panel's own process on a block of loopback ports that the process holds.

The block starts at ``DEMO_BASE_PORT`` (by default below the kernel's ephemeral range, where any
client socket may sit); when a port of it is taken, the next block is tried. The rigs are
registered, or moved, only once every simulator listens, so a demo rig never points at another
program's port.
"""

import asyncio
import logging
import os
import secrets
import tempfile
from itertools import chain

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import transaction
from django.db.models import F

from rigs.models import Rig
from rigs.simulators import antminer as antminer_sim
from rigs.simulators import ckpool as ckpool_sim
from rigs.simulators import whatsminer as whatsminer_sim
from rigs.simulators import xmrig as xmrig_sim
from rigs.simulators import xmrigcc as xmrigcc_sim
from rigs.simulators.cgminer import SimFarm, demo_rigs

log = logging.getLogger("minerpanel.demo")

HOST = "127.0.0.1"
BLOCK = 20  # ports a demo may take: 8 cgminer rigs, xmrig, (ckpool), XMRigCC, Antminer RPC and web, Whatsminer
TRIES = 64  # blocks tried before giving up
EPHEMERAL = "/proc/sys/net/ipv4/ip_local_port_range"
# The demo xmrig's API token: it lives only on loopback, in the simulator this process starts.
XMRIG_DEMO_TOKEN = "demo-xmrig-token"


def ephemeral_range(path=EPHEMERAL):
    """(low, high) of the ports the kernel gives client sockets; Linux's default when unreadable."""
    try:
        with open(path) as f:
            low, high = (int(x) for x in f.read().split()[:2])
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


def candidate_bases(first, ephemeral, tries=TRIES):
    """The bases to try in order: ``first``, then blocks after it and before it outside the
    ephemeral range, then (only if there are too few of those) blocks inside it."""
    low, high = ephemeral
    others = chain(range(first + BLOCK, 65536 - BLOCK, BLOCK), range(first - BLOCK, 1023, -BLOCK))
    outside, inside = [], []
    for base in others:
        (outside if base + BLOCK <= low or base > high else inside).append(base)
    return [first, *outside, *inside][:tries]


def demo_dir(base):
    """Where the demo ckpool and XMRigCC keep their files (Unix socket paths must stay short)."""
    return os.path.join(tempfile.gettempdir(), f"minerpanel-demo-{base}")


def specs(sims):
    """{name: fields} of the demo rigs without their addresses: the simulated cgminer rigs, an xmrig,
    a ckpool, an XMRigCC server, an Antminer and a Whatsminer (passwords made here, known only to
    the panel and its simulators)."""
    out = {sim.name: dict(kind="cgminer", host=HOST, description=f"simulated {sim.f['desc']}", order=sim.index)
           for sim in sims}
    n = len(sims)
    out.update({
        "xmrig00": dict(kind="xmrig", host=HOST, token=XMRIG_DEMO_TOKEN, order=n,
                        description="simulated xmrig 6.26.0"),
        "ckpool": dict(kind="ckpool", host="localhost", order=n + 1,
                       description="simulated ckpool (solo pool, 2 users)"),
        "xmrigcc": dict(kind="xmrigcc-server", host=HOST, username="admin", token=secrets.token_urlsafe(12),
                        order=n + 2, description="simulated XMRigCC server 3.4.9, 4 miners"),
        "s19pro": dict(kind="antminer", host=HOST, username="root", token=secrets.token_urlsafe(12), order=n + 3,
                       description="simulated Antminer S19 Pro, stock firmware"),
        "m50s": dict(kind="whatsminer", host=HOST, token=secrets.token_urlsafe(12), order=n + 4,
                     description="simulated Whatsminer M50S, API v2"),
    })
    return out


def addresses(sims, base):
    """{name: address fields} of every demo rig on the block at ``base``."""
    out = {sim.name: dict(port=base + sim.index) for sim in sims}
    n = len(sims)
    out.update({
        "xmrig00": dict(port=base + n),
        "ckpool": dict(port=base + n + 1, path=os.path.join(demo_dir(base), "ckpool"),
                       logdir=os.path.join(demo_dir(base), "logs")),
        "xmrigcc": dict(port=base + n + 2),
        "s19pro": dict(port=base + n + 3, web_port=base + n + 4),
        "m50s": dict(port=base + n + 5),
    })
    return out


def wanted(sims):
    """The demo rigs to serve, {name: fields} with the stored rows' secrets, or None for no demo:
    a demo runs when the panel has no rig at all (and DEMO_RIGS is on) or already has demo rigs."""
    stored = {r.name: r for r in Rig.objects.filter(simulated=True)}
    if not stored and not (settings.DEMO_RIGS and not Rig.objects.exists()):
        return None
    out = specs(sims)
    for name, fields in out.items():
        if name in stored:
            fields.update(username=stored[name].username, token=stored[name].token)
    return out


def ports_of(fields):
    return [p for p in (fields.get("port"), fields.get("web_port")) if p]


def used_by_others(sims, base):
    """Whether a rig that is not a demo rig is registered on a loopback port of the block."""
    ports = [p for fields in addresses(sims, base).values() for p in ports_of(fields)]
    return Rig.objects.filter(simulated=False, host__in=(HOST, "localhost"), port__in=ports).exists()


async def close(servers):
    for server in servers:
        if isinstance(server, SimFarm):
            await server.stop()
        elif isinstance(server, ckpool_sim.CkpoolSim):
            await server.shutdown()
        else:
            server.close()
            await server.wait_closed()


async def listen(sims, rigs, base):
    """Start every demo simulator on the block at ``base`` (and the ckpool's and XMRigCC's files in
    ``demo_dir(base)``): (servers, the XMRigCC server), or OSError with nothing left open."""
    where = addresses(sims, base)
    servers = []
    try:
        farm = SimFarm(sims, HOST, base)
        servers.append(farm)
        await farm.start()
        servers += await xmrig_sim.serve([xmrig_sim.XmrigSim(token=XMRIG_DEMO_TOKEN, restricted=False)], HOST,
                                         where["xmrig00"]["port"])
        cc = rigs["xmrigcc"]
        cc_server = xmrigcc_sim.Server(os.path.join(demo_dir(base), "xmrigcc"), user=cc["username"],
                                       password=cc["token"])
        xmrigcc_sim.write_demo_configs(cc_server)
        servers.append(await xmrigcc_sim.serve(cc_server, HOST, where["xmrigcc"]["port"]))
        servers += await antminer_sim.serve(antminer_sim.AntminerSim(password=rigs["s19pro"]["token"]), HOST,
                                            where["s19pro"]["port"], where["s19pro"]["web_port"])
        servers += await whatsminer_sim.serve(whatsminer_sim.WhatsminerSim(password=rigs["m50s"]["token"]), HOST,
                                              where["m50s"]["port"])
        ckpool = ckpool_sim.CkpoolSim(where["ckpool"]["path"], where["ckpool"]["logdir"], interval=15)
        servers.append(ckpool)
        await ckpool.start()
    except OSError:
        await close(servers)
        raise
    return servers, cc_server


def place(sims, rigs, base):
    """Register the demo rigs on the block at ``base`` (which the simulators hold), or move them there.
    The simulated cgminer rigs are registered only on a first run; the other demo kinds also when an
    older demo lacks them. A simulated rig the simulators do not serve is disabled. Returns the
    number of demo rigs."""
    where = addresses(sims, base)
    cgminer = {sim.name for sim in sims}
    with transaction.atomic():
        stored = {r.name: r for r in Rig.objects.select_for_update().filter(simulated=True)}
        moving = {r.pk: where[name] for name, r in stored.items()
                  if name in where and any(getattr(r, k) != v for k, v in where[name].items())}
        # out of the way first, so that overlapping blocks never collide on the unique address
        Rig.objects.filter(pk__in=moving).update(port=F("pk") + 100000)
        for pk, fields in moving.items():
            Rig.objects.filter(pk=pk).update(**fields)
        names = set(Rig.objects.values_list("name", flat=True))
        for name, fields in rigs.items():
            if name not in names and (stored == {} or name not in cgminer):
                Rig.objects.create(name=name, simulated=True, **fields, **where[name])
        strays = [name for name, r in stored.items() if name not in where and r.enabled]
        if strays:
            Rig.objects.filter(simulated=True, name__in=strays).update(enabled=False)
            log.warning("simulated rigs the demo does not serve were disabled: %s", ", ".join(strays))
        return Rig.objects.filter(simulated=True, enabled=True).count()


def give_up(bases):
    """No block was free: the demo rigs must not point at ports the panel does not hold."""
    Rig.objects.filter(simulated=True).update(enabled=False)
    log.error("the demo simulators found no free ports (tried %d blocks of %d from %d); the demo rigs are "
              "disabled: free ports or set DEMO_BASE_PORT, then enable them in the admin", len(bases), BLOCK, bases[0])


async def start(stdout):
    """Serve the demo, if there is one, on the first free block of ports and put its rigs there."""
    sims = demo_rigs()
    rigs = await sync_to_async(wanted)(sims)
    if rigs is None:
        return None
    bases = candidate_bases(settings.DEMO_BASE_PORT, ephemeral_range())
    taken = []
    for base in bases:
        if await sync_to_async(used_by_others)(sims, base):
            taken.append(f"{base}: a rig of yours")
            continue
        try:
            servers, cc_server = await listen(sims, rigs, base)
        except OSError as exc:
            taken.append(f"{base}: {exc.strerror or exc}")
            continue
        break
    else:
        await sync_to_async(give_up)(bases)
        return None
    if taken:
        log.warning("demo ports taken (%s); the demo uses 127.0.0.1:%d–%d", "; ".join(taken[:3]) +
                    (f" and {len(taken) - 3} more" if len(taken) > 3 else ""), base, base + BLOCK - 1)
    count = await sync_to_async(place)(sims, rigs, base)
    asyncio.ensure_future(xmrigcc_sim.run_fleet(xmrigcc_sim.demo_fleet(cc_server), interval=5))
    stdout.write(f"Demo: {count} simulated rigs (cgminer, xmrig, ckpool, XMRigCC, Antminer, Whatsminer) "
                 f"on {HOST}:{base}–{base + BLOCK - 1}, ckpool in {demo_dir(base)}\n")
    return base, servers
