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
import tempfile
from itertools import chain

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import transaction
from django.db.models import F

from rigs import simulators
from rigs.models import Rig

log = logging.getLogger("minerpanel.demo")

HOST = "127.0.0.1"
BLOCK = 20  # ports a demo may take (its rigs take 14: rigs.simulators.demo_plan())
TRIES = 64  # blocks tried before giving up
EPHEMERAL = "/proc/sys/net/ipv4/ip_local_port_range"


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
    """Where the demo's simulators keep their files (Unix socket paths must stay short)."""
    return os.path.join(tempfile.gettempdir(), f"minerpanel-demo-{base}")


def plan():
    """The demo's rigs, as the simulators declare them (rigs/simulators/), in the order of their ports."""
    return simulators.demo_plan()


def specs(plan):
    """{name: fields} of the demo rigs without their addresses (passwords made by the simulators'
    declarations, known only to the panel and its simulators)."""
    return {rig.name: {"host": HOST, **rig.fields, "order": order} for order, rig in enumerate(plan)}


def addresses(plan, base):
    """{name: address fields} of every demo rig on the block at ``base``: its ports, one after another in
    the plan's order, and its folders in ``demo_dir(base)``."""
    out, port = {}, base
    for rig in plan:
        out[rig.name] = {name: port + i for i, name in enumerate(rig.ports)}
        out[rig.name].update({name: os.path.join(demo_dir(base), sub) for name, sub in rig.folders.items()})
        port += len(rig.ports)
    return out


def wanted(plan):
    """The demo rigs to serve, {name: fields} with the stored rows' secrets, or None for no demo:
    a demo runs when the panel has no rig at all (and DEMO_RIGS is on) or already has demo rigs."""
    stored = {r.name: r for r in Rig.objects.filter(simulated=True)}
    if not stored and not (settings.DEMO_RIGS and not Rig.objects.exists()):
        return None
    out = specs(plan)
    for name, fields in out.items():
        if name in stored:
            fields.update(username=stored[name].username, token=stored[name].token)
    return out


def ports_of(fields):
    return [p for p in (fields.get("port"), fields.get("web_port")) if p]


def used_by_others(plan, base):
    """Whether a rig that is not a demo rig is registered on a loopback port of the block."""
    ports = [p for fields in addresses(plan, base).values() for p in ports_of(fields)]
    return Rig.objects.filter(simulated=False, host__in=(HOST, "localhost"), port__in=ports).exists()


async def close(stops):
    for stop in stops:
        await stop()


async def listen(plan, rigs, base):
    """Start every demo simulator on the block at ``base`` (their files in ``demo_dir(base)``): a
    ``simulators.Served`` of them all (what stops them, what runs beside them), or OSError with nothing
    left open."""
    where = addresses(plan, base)
    served = simulators.Served()
    kinds = [rig.simulation for rig in plan]
    try:
        for simulation in dict.fromkeys(kinds):  # each once, in the plan's order
            mine = [(rig, {**rigs[rig.name], **where[rig.name]}) for rig in plan if rig.simulation is simulation]
            done = await simulation.serve_demo(mine, HOST, demo_dir(base))
            served.stops += done.stops
            served.background += done.background
    except OSError:
        await close(served.stops)
        raise
    return served


def place(plan, rigs, base):
    """Register the demo rigs on the block at ``base`` (which the simulators hold), or move them there.
    Some rigs (the simulated cgminer farm's) are registered only on a first run; the others also when an
    older demo lacks them. A simulated rig the simulators do not serve is disabled. Returns the
    number of demo rigs."""
    where = addresses(plan, base)
    first_run_only = {rig.name for rig in plan if rig.first_run_only}
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
            if name not in names and (stored == {} or name not in first_run_only):
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
    demo = plan()
    rigs = await sync_to_async(wanted)(demo)
    if rigs is None:
        return None
    bases = candidate_bases(settings.DEMO_BASE_PORT, ephemeral_range())
    taken = []
    for base in bases:
        if await sync_to_async(used_by_others)(demo, base):
            taken.append(f"{base}: a rig of yours")
            continue
        try:
            served = await listen(demo, rigs, base)
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
    count = await sync_to_async(place)(demo, rigs, base)
    for run in served.background:
        asyncio.ensure_future(run())
    labels = ", ".join(dict.fromkeys(rig.simulation.label for rig in demo))
    files = " and ".join(dict.fromkeys(rig.simulation.label for rig in demo if rig.folders))
    stdout.write(f"Demo: {count} simulated rigs ({labels}) on {HOST}:{base}–{base + BLOCK - 1}, "
                 f"{files} in {demo_dir(base)}\n")
    return base, served.stops
