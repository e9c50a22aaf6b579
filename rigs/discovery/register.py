"""Rigs found by discovery (rigs/discovery/search.py) into the panel: added once, named from their
description, marked as discovered; and the scheduled multicast discovery (DISCOVERY=mcast)."""

import logging

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from rigs.models import Rig

from . import search

log = logging.getLogger(__name__)
LAST_KEY = "discovery:last"


def existing(found):
    """{(host, port): rig name} of the rigs the panel has at the found addresses."""
    hosts = {f.host for f in found}
    return {(r.host, r.port): r.name for r in Rig.objects.filter(host__in=hosts, path="")}


def register(found):
    """Add the Found rigs that answered `version` and are not rigs yet; returns report lines."""
    known = existing(found)
    lines = []
    for f in found:
        if (f.host, f.port) in known:
            lines.append(f"= {f.host}:{f.port} is already the rig '{known[(f.host, f.port)]}'")
            continue
        if not f.version:
            lines.append(f"! {f.host}:{f.port} gave no valid `version` reply: not added")
            continue
        found_name, version = f.name.replace("\0", ""), f.version.replace("\0", "")  # no NUL in a text column
        name = found_name[:64]
        if Rig.objects.filter(name=name).exists():
            name = f"{found_name[:40]} ({f.host}:{f.port})"[:64]
        rig = Rig(name=name, host=f.host, port=f.port, kind=f.kind, discovered=True,
                  description=f"discovered: {version}"[:200])
        try:
            rig.full_clean()
            with transaction.atomic():
                rig.save()
        except ValidationError as exc:
            lines.append(f"! {f.host}:{f.port}: {' '.join(exc.messages)}")
            continue
        known[(f.host, f.port)] = rig.name
        lines.append(f"+ rig '{rig.name}' at {rig.address}")
    return lines


def mcast_options(**overrides):
    options = {"addr": settings.MCAST_ADDR, "port": settings.MCAST_PORT, "code": settings.MCAST_CODE,
               "listen_port": settings.MCAST_LISTEN_PORT, "timeout": settings.MCAST_TIMEOUT,
               "retries": settings.MCAST_RETRIES, "expect": settings.MCAST_EXPECT}
    options.update({k: v for k, v in overrides.items() if v is not None})
    return options


def expect_warning(found, expect):
    """miner.php's $mcastexpect row, or None."""
    if expect and len(found) < expect:
        return f"Found {len(found)} rigs but expected at least {expect}"
    return None


async def scheduled_round():
    """One scheduled multicast discovery (DISCOVERY=mcast): register new rigs, warn when too few."""
    from asgiref.sync import sync_to_async

    options = mcast_options()
    try:
        found = await search.mcast(**options)
    except search.DiscoveryError as exc:
        log.warning("scheduled discovery failed: %s", exc)
        return
    await sync_to_async(record_round)(found, options["expect"])


def record_round(found, expect):
    """Register what a scheduled round found; remember it (and the $mcastexpect warning) for the pages."""
    warning = expect_warning(found, expect)
    if warning:
        log.warning("multicast discovery: %s", warning)
    lines = register(found)
    for line in lines:
        if line.startswith(("+", "!")):
            log.info("multicast discovery: %s", line[2:])
    cache.set(LAST_KEY, {"at": timezone.now().isoformat(timespec="seconds"), "found": len(found),
                         "warning": warning, "added": [ln[2:] for ln in lines if ln.startswith("+")]}, None)


def last_round():
    """What the last scheduled discovery found (in the poller's process):
    {"at", "found", "warning", "added"} or None."""
    return cache.get(LAST_KEY)


_NEXT = {"at": 0.0}  # monotonic time of the next scheduled discovery round, in the lead poller


async def on_lead_round(began):
    """DISCOVERY=mcast: the lead poller also finds new rigs, every DISCOVERY_INTERVAL seconds."""
    if settings.DISCOVERY != "mcast" or began < _NEXT["at"]:
        return
    _NEXT["at"] = began + settings.DISCOVERY_INTERVAL
    try:
        await scheduled_round()
    except Exception:
        log.exception("scheduled discovery failed; trying again in %.0f s", settings.DISCOVERY_INTERVAL)
