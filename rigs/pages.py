"""What the summary and rig pages show, for one viewer: plain data for templates and the consumer."""

import gc
import threading
import time
import zoneinfo
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from minerpanel.tiers import SYS, readonly, tier

from . import drivers, tables
from .models import Rig, Snapshot
from .overview import miner_version


def tz():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


RIGBAR_MAX = 60
RIG_FIELDS = ("id", "name", "host", "port", "description", "readonly", "order", "kind", "path")
SNAP_FIELDS = ("polled_at", "last_ok_at", "error", "error_kind", "latency_ms")


@dataclass
class RigView:
    """What the summary needs of a Rig, without a model instance per row."""

    id: int
    name: str
    host: str
    port: int
    description: str
    readonly: bool
    order: int
    kind: str
    path: str

    @property
    def pk(self):
        return self.id

    address = Rig.address


@dataclass
class BriefView:
    """A snapshot's brief, with Snapshot's state() and age()."""

    polled_at: object
    last_ok_at: object
    error: str
    error_kind: str
    latency_ms: object
    sections: dict
    statuses: dict
    state = Snapshot.state
    age = Snapshot.age


def rigs_with_snapshots(ids=None):
    """(rig, snapshot) pairs for the summary, in one query.

    The snapshot carries only its ``brief`` (what the summary shows), not every
    section: a thousand full snapshots are megabytes of JSON to decode.
    """
    wanted = [*RIG_FIELDS, *(f"snapshot__{f}" for f in SNAP_FIELDS), "snapshot__brief"]
    pairs = []
    rigs = Rig.objects.all() if ids is None else Rig.objects.filter(id__in=ids)
    for row in rigs.values_list(*wanted):
        rig = RigView(*row[:len(RIG_FIELDS)])
        snap = None
        polled_at, last_ok_at, error, error_kind, latency_ms, brief = row[len(RIG_FIELDS):]
        if polled_at is not None:
            brief = brief or {}
            snap = BriefView(
                polled_at, last_ok_at, error, error_kind, latency_ms,
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
            tables.cell(state_text + (f": {reason}" if reason else "") + (" · read-only" if rig.readonly else ""),
                        f"state-{state}", reason),
            tables.cell(tables.age_text(snap.age(now)) if snap else "never"),
            tables.cell(miner), tables.cell(api), tables.cell(rig.description),
        ]
        if show_address:
            cells.append(tables.cell(rig.address))
        t.rows.append(tables.Row(cells, tables.row_css(state)))
    return t


def items_for(pairs, now):
    href = reverse("rig_detail", args=[987654321])  # one reverse(), not one per rig
    out = []
    for rig, snap in pairs:
        state = snap.state(now) if snap else "new"
        out.append((rig, snap, state, href.replace("987654321", str(rig.id))))
    return out


@contextmanager
def no_gc_pauses():
    """A 1,000-rig page allocates ~100,000 small objects and no cycles; the cyclic
    collector would stop it several times for nothing."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


# ---------------------------------------------------------------- built once, shared

_edits = [0]  # saves and deletes in this process (the admin); the poller's writes show in data_version()


def data_changed(**kwargs):
    _edits[0] += 1


def data_version():
    """Changes whenever what the pages show may have: a poll stored, a rig added, removed or edited."""
    from django.db.models import Count, Max

    found = Rig.objects.aggregate(n=Count("id"), top=Max("id"), snaps=Count("snapshot"),
                                  polled=Max("snapshot__polled_at"))
    return _edits[0], *found.values()


_locks = {}


def shared(cache, slot, key, build):
    """``build()`` once per ``key``, shared by every view and push that asks in between; and at least
    once a poll interval (5 s or more), so ages and stale states stay true when nothing new is stored.
    While a build is under way, others get the previous one (a second older; the pushes that follow
    the build bring the new one) rather than wait: requests are served one at a time.
    The built values must not be changed."""
    lock = _locks.setdefault((id(cache), slot), threading.Lock())
    if not lock.acquire(blocking=slot not in cache):
        return cache[slot][2]
    try:
        hit = cache.get(slot)
        if hit is None or hit[0] != key or time.monotonic() - hit[1] > max(5.0, settings.POLL_INTERVAL):
            hit = cache[slot] = (key, time.monotonic(), build())
        return hit[2]
    finally:
        lock.release()


def warm_and_prebuild(rig_ids):
    warm(rig_ids)
    prebuild()


def prebuild():
    """Build again what was looked at (the summary per tier, custom pages) after the poller stored a
    round: serve runs this in a thread of its own, so requests find the build ready or under way
    instead of queueing behind it."""
    from custompages.models import CustomPage
    from custompages.render import _BUILT, page_context

    for show in list(_SUMMARY):
        shared(_SUMMARY, show, (data_version(), str(tz())), lambda: build_summary(show, timezone.now()))
    for page in CustomPage.objects.filter(pk__in=list(_BUILT)):
        page_context(None, page)


_SUMMARY = {}


def summary_context(user, now=None):
    """The summary's tables; one build per tier is shared until the data changes."""
    show = tier(user) == SYS
    if now is not None:
        return build_summary(show, now)
    ctx = shared(_SUMMARY, show, (data_version(), str(tz())), lambda: build_summary(show, timezone.now()))
    return {**ctx, "now": timezone.now()}


def build_summary(show_address, now):
    pairs = rigs_with_snapshots()
    items = items_for(pairs, now)
    z = tz()
    return {
        "tables": [rigs_table(items, now, show_address), tables.summary_table(items, z),
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
        "about": drivers.about(rig.kind),
        "now": now,
    }


def warm(rig_ids):
    """Build the summary rows of freshly stored rigs, so views and pushes find them ready.

    The poller calls this after each batch when it runs inside the web process.
    """
    with no_gc_pauses():
        items = items_for(rigs_with_snapshots(rig_ids), timezone.now())
        z = tz()
        for kind, build in (("summary", tables._summary_rows), ("devs", tables._device_rows),
                            ("pools", tables._pool_rows)):
            for rig, snap, state, href in items:
                rows = tables.rows_of(kind, build, rig, snap, state, href, z)
                for row in rows[0] if kind == "devs" else rows:
                    row.html()
