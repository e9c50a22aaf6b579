"""What the summary and rig pages show, for one viewer: plain data for templates and the consumer."""

import zoneinfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from minerpanel.tiers import SYS, readonly, tier

from . import tables
from .models import Rig
from .overview import miner_version


def tz():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def rigs_with_snapshots():
    return list(Rig.objects.select_related("snapshot"))


def rigs_table(items, now, show_address):
    cols = [("Rig", False), ("State", False), ("Data age", True), ("Miner", False), ("API", False),
            ("Description", False)] + ([("Address", False)] if show_address else [])
    t = tables.Table("rigs", "Rigs", cols)
    for rig, snap, state, href in items:
        miner, api = miner_version(snap.sections if snap else {})
        reason = snap.error if snap and snap.error else ""
        state_text = {"ok": "ok", "stale": "⚠ stale", "unreachable": "⚠ unreachable", "new": "waiting"}[state]
        cells = [
            tables.rig_cell(rig, state, href),
            tables.Cell(state_text + (f": {reason}" if reason else ""), f"state-{state}", reason),
            tables.Cell(tables.age_text(snap.age(now)) if snap else "never"),
            tables.Cell(miner), tables.Cell(api), tables.Cell(rig.description),
        ]
        if show_address:
            cells.append(tables.Cell(rig.address))
        t.rows.append(tables.Row(cells, tables.row_css(state)))
    return t


def items_for(rigs, now):
    out = []
    for rig in rigs:
        snap = getattr(rig, "snapshot", None)
        state = snap.state(now) if snap else "new"
        out.append((rig, snap, state, reverse("rig_detail", args=[rig.pk])))
    return out


def summary_context(user, now=None):
    now = now or timezone.now()
    rigs = rigs_with_snapshots()
    items = items_for(rigs, now)
    z = tz()
    return {
        "tables": [rigs_table(items, now, tier(user) == SYS), tables.summary_table(items, z),
                   tables.devices_table(items, z), tables.pools_table(items, z)],
        "now": now,
        "rigs": rigs,
    }


def rig_context(user, rig, now=None):
    now = now or timezone.now()
    snap = getattr(rig, "snapshot", None)
    state = snap.state(now) if snap else "new"
    errors = []
    if snap:
        for command, st in (snap.statuses or {}).items():
            if isinstance(st, dict) and st.get("STATUS") not in ("S", "I"):
                errors.append(f"{command}: {st.get('Msg', '')}")
    return {
        "rig": rig,
        "snap": snap,
        "state": state,
        "age": tables.age_text(snap.age(now)) if snap else "never",
        "tables": tables.rig_tables(snap, tz()) if snap else [],
        "command_errors": errors,
        "show_address": tier(user) == SYS,
        "rig_readonly": readonly(user, rig),
        "now": now,
    }
