"""What the summary and rig pages show, for one viewer: plain data for templates and the consumer."""

import zoneinfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from minerpanel.tiers import SYS, readonly, tier

from . import tables
from .models import Rig, Snapshot
from .overview import miner_version


def tz():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


RIGBAR_MAX = 60
RIG_FIELDS = ("id", "name", "host", "port", "description", "readonly", "order")
SNAP_FIELDS = ("polled_at", "last_ok_at", "error", "error_kind", "latency_ms")


def rigs_with_snapshots():
    """(rig, snapshot) pairs for the summary, in one query.

    The snapshot carries only its ``brief`` (what the summary shows), not every
    section: a thousand full snapshots are megabytes of JSON to decode.
    """
    wanted = [*RIG_FIELDS, *(f"snapshot__{f}" for f in SNAP_FIELDS), "snapshot__brief"]
    pairs = []
    for row in Rig.objects.values(*wanted):
        rig = Rig(**{f: row[f] for f in RIG_FIELDS})
        snap = None
        if row["snapshot__polled_at"] is not None:
            brief = row["snapshot__brief"] or {}
            snap = Snapshot(
                rig_id=rig.id, **{f: row[f"snapshot__{f}"] for f in SNAP_FIELDS},
                sections={k: v for k, v in brief.items() if k != "when" and v},
                statuses={c: {"When": w} for c, w in (brief.get("when") or {}).items()},
            )
        pairs.append((rig, snap))
    return pairs


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
            tables.cell(state_text + (f": {reason}" if reason else ""), f"state-{state}", reason),
            tables.cell(tables.age_text(snap.age(now)) if snap else "never"),
            tables.cell(miner), tables.cell(api), tables.cell(rig.description),
        ]
        if show_address:
            cells.append(tables.cell(rig.address))
        t.rows.append(tables.Row(cells, tables.row_css(state)))
    return t


def items_for(pairs, now):
    out = []
    for rig, snap in pairs:
        state = snap.state(now) if snap else "new"
        out.append((rig, snap, state, reverse("rig_detail", args=[rig.pk])))
    return out


def summary_context(user, now=None):
    now = now or timezone.now()
    pairs = rigs_with_snapshots()
    items = items_for(pairs, now)
    z = tz()
    return {
        "tables": [rigs_table(items, now, tier(user) == SYS), tables.summary_table(items, z),
                   tables.devices_table(items, z), tables.pools_table(items, z)],
        "now": now,
        # a bar of buttons is for a handful of rigs; big farms use the RIGS table's links
        "rigs": [rig for rig, _ in pairs] if len(pairs) <= RIGBAR_MAX else [],
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
