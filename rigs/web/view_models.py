"""What the summary and rig pages show, for one viewer: plain data for templates and the consumer."""

import gc
import zoneinfo
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from minerpanel.tiers import SYS, readonly, tier
from rigs import drivers
from rigs.models import Rig, SectionsOf, Snapshot
from rigs.polling import batch_cache
from rigs.readings import digits
from rigs.readings.freshness import reachability, stale_after
from rigs.readings.health import with_reachability
from rigs.readings.version import miner_version

from . import overview_tables, paging, tables
from .display import clock, format_rate
from .field_display import fmt


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

    driver = Rig.driver
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
    health: dict = None
    figures: dict = None
    state = Snapshot.state
    age = Snapshot.age


SHOWN = ("VERSION", "SUMMARY", "DEVS", "POOLS")  # the sections the fixed tables show, read by key
HEALTH_LABEL = {"ok": "ok", "warn": "⚠ warning", "err": "✖ problem", "new": "waiting"}


def rig_health(snap, state, now):
    """The stored health with unreachable/stale added: {"state", "reasons"}."""
    if snap is None:
        return {"state": "new", "reasons": []}
    age = snap.age(now)
    return with_reachability(getattr(snap, "health", None)
                             or (snap.brief.get("health") if hasattr(snap, "brief") else None),
                             state, snap.error, tables.age_text(age), snap.error_kind)


def reason_text(reason, tz, now=None):
    """'GPU 1 Sick since 02:07' (the time it was first seen, if not this round)."""
    since = reason.get("since")
    text = str(reason.get("text", ""))
    if since and now is not None and now.timestamp() - since > 60:
        text += f" since {clock(since, tz)[:5]}"
    return text


def figures_line(figs):
    """'23.70 TH/s average · 25.09 TH/s now · SHA-256d · hottest 67°C · 3,937 accepted · 100 rejected'."""
    if not figs:
        return ""
    parts = []
    if figs.get("hashrate_hs") is not None:
        parts.append(f"{format_rate(figs['hashrate_hs'] / 1e6)} average")
    if figs.get("hashrate_now_hs") is not None:
        parts.append(f"{format_rate(figs['hashrate_now_hs'] / 1e6)} now")
    parts.append(f"{figs.get('algorithm') or 'SHA-256d'}{' pool' if figs.get('role') == 'pool' else ''}")
    if figs.get("max_temp") is not None:
        parts.append(f"hottest {figs['max_temp']:.0f}°C")
    for key, word in (("accepted", "accepted"), ("rejected", "rejected"), ("stale", "stale"),
                      ("hw_errors", "HW errors")):
        if figs.get(key):
            parts.append(f"{figs[key]:,} {word}")
    return " · ".join(parts)


def reasons_line(health, tz, now):
    return " · ".join(reason_text(r, tz, now) for r in health["reasons"])


_BRIEFS = {}  # rig id -> (polled_at, sections, statuses, health, figures): what the tables show of each rig's snapshot
BRIEFS_MAX = 500_000


def rigs_with_snapshots(ids=None):
    """(rig, snapshot) pairs for the summary: the rigs and their snapshots' times in one light
    query; what the tables show of a snapshot (four of its sections, in one extraction, and its
    brief's figures and health) is read again only when the poller stored a newer one, so a table
    rebuilt after each batch reads the batch's rigs, not the farm's. A thousand full snapshots would
    be megabytes of JSON to decode.
    """
    rigs = Rig.objects.all() if ids is None else Rig.objects.filter(id__in=ids)
    rows = list(rigs.values_list(*RIG_FIELDS, *(f"snapshot__{f}" for f in SNAP_FIELDS)))
    at = len(RIG_FIELDS)
    if ids is None and len(_BRIEFS) > len(rows):  # rigs deleted since
        for gone in _BRIEFS.keys() - {row[0] for row in rows}:
            _BRIEFS.pop(gone, None)
    if len(_BRIEFS) > BRIEFS_MAX:
        _BRIEFS.clear()
    stale = [row[0] for row in rows if row[at] is not None and (_BRIEFS.get(row[0]) or (None,))[0] != row[at]]
    for start in range(0, len(stale), 2000):
        for rig_id, polled_at, when, health, figs, shown, decimals in Snapshot.objects.filter(
                rig_id__in=stale[start:start + 2000]).annotate(shown=SectionsOf(F("sections"), SHOWN)).values_list(
                "rig_id", "polled_at", "brief__when", "brief__health", "brief__figures", "shown", "digits__decimals"):
            shown = shown if isinstance(shown, list) else []
            _BRIEFS[rig_id] = (polled_at, digits.dress(
                               {name: records for name, records in zip(SHOWN, shown)
                                if isinstance(records, list) and records},
                               decimals),
                               {c: {"When": w} for c, w in (when if isinstance(when, dict) else {}).items()},
                               health if isinstance(health, dict) else None, figs if isinstance(figs, dict) else None)
    pairs = []
    for row in rows:
        rig = RigView(*row[:at])
        snap = None
        polled_at, last_ok_at, error, error_kind, latency_ms = row[at:]
        read = _BRIEFS.get(rig.id)
        if polled_at is not None and read is not None:
            _, sections, statuses, health, figs = read
            snap = BriefView(polled_at, last_ok_at, error, error_kind, latency_ms, sections=sections,
                             statuses=statuses, health=health, figures=figs)
        pairs.append((rig, snap))
    return pairs


def rigs_table(items, now, show_address):
    """One row per rig: its health first, every reason in words, its hashrate and hottest sensor.
    Below 600 px each row is a card (static/minerpanel.css, table.cards); the columns of class "n" stay on
    wider screens."""
    cols = [("State", False), ("Rig", False), ("Reasons", False), ("Hashrate", True), ("Hottest", True),
            ("Data age", True), ("Miner", False), ("API", False), ("Description", False)]
    cols += [("Address", False)] if show_address else []
    t = tables.Table("rigs", "Rigs", cols, cards=True)
    z = tz()
    for rig, snap, state, href in items:
        miner, api = miner_version(snap.sections if snap else {})
        h = rig_health(snap, state, now)
        reasons = reasons_line(h, z, now) + (" · read-only" if rig.readonly else "")
        figs = overview_tables.figures_of(snap)
        hs, hottest = figs.get("hashrate_hs"), figs.get("max_temp")
        hottest = digits.as_written(hottest, snap.sections, "Temperature") if snap else hottest
        cells = [
            tables.cell(HEALTH_LABEL[h["state"]], f"h-{h['state']}"),
            tables.cell(rig.name, "rig", "", href),
            tables.cell(reasons.lstrip(" ·"), "reasons"),
            tables.cell(format_rate(hs / 1e6) if hs is not None else "", "num rate"),
            tables.cell(*fmt("DEVS", "Temperature", hottest)) if hottest is not None else tables.cell(),
            tables.cell(tables.age_text(snap.age(now)) if snap else "never",
                        f"num ticks at-{int(snap.last_ok_at.timestamp())}" if snap and snap.last_ok_at else "num"),
            tables.cell(miner, "n"), tables.cell(api, "n"), tables.cell(rig.description, "n"),
        ]
        if show_address:
            cells.append(tables.cell(rig.address, "n"))
        t.rows.append(tables.Row(cells, f"{tables.row_css(state)} h-{h['state']}".strip()))
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


def farm_states(now=None):
    """[{"pk", "name", "state"}] of every enabled rig in one light query (no sections):
    for the header's count and the rig bar. Kept until a batch of snapshots is stored
    (rigs/polling/batch_cache.py) or a rig's data goes stale."""
    now = now or timezone.now()
    return list(batch_cache.memo("farm_states", read_farm_states, now))


def read_farm_states(now):
    limit = stale_after()
    out, turns = [], []
    for pk, name, polled_at, last_ok_at, error, stored in Rig.objects.filter(enabled=True).values_list(
            "id", "name", "snapshot__polled_at", "snapshot__last_ok_at", "snapshot__error",
            "snapshot__brief__health__state"):
        state = reachability(polled_at, last_ok_at, error, now, limit)
        if state == "new":
            pass
        elif state != "ok" or last_ok_at is None:
            state = "err"
        else:
            state = stored if stored in ("ok", "warn", "err") else "ok"
            turns.append(last_ok_at.timestamp() + limit)
        out.append({"pk": pk, "name": name, "state": state})
    return out, min(turns, default=None)


def attention(now=None):
    """How many rigs need attention (state warn or err)."""
    return sum(1 for r in farm_states(now) if r["state"] in ("warn", "err"))


def rebuild_overviews():
    """Build again the Overview's shared tables as they were viewed, after the poller stored a batch
    (a hook, rigs/apps.py): serve runs it in a thread of its own, so the next view or push finds them built."""
    now = timezone.now()
    for problems in list(OVERVIEWS):
        overview_memo(now, problems, tz())


OVERVIEWS = set()  # problems-only or not, as viewed


def overview_memo(now, problems, z):
    OVERVIEWS.add(problems)
    return batch_cache.memo(("overview", problems, str(z)), lambda at: shared_overview(at, problems, z), now)


def summary_context(user, now=None, problems=False, params=None):
    """``problems``: only the rigs whose state is not ok (totals still count every rig).
    Long tables show the rows of rigs needing attention first, settings.TABLE_ROWS a page,
    as ``params`` (the query) asks: see paging.py. The whole tables are built once per stored
    batch (rigs/polling/batch_cache.py) and shared by every view and push; a view cuts out its rows."""
    now = now or timezone.now()
    z = tz()
    farm = overview_memo(now, problems, z)
    shown, states, bad_names = farm["shown"], farm["states"], farm["bad"]
    params = paging.flat(params or {})
    limit = settings.TABLE_ROWS
    rig_choice = paging.choice_of(params, "rigs")
    if rig_choice.q:  # the filter reads the rows' text: build them all
        rigs = paging.page_table(rigs_table(shown, now, tier(user) == SYS), params, limit, bad_names)
    else:  # build the rows shown only
        picked, pager = paging.choose(len(shown), lambda i: shown[i][0].name in bad_names, None, rig_choice, limit,
                                      "rigs", params)
        rigs = rigs_table([shown[i] for i in picked], now, tier(user) == SYS)
        rigs.pager = pager
    return {
        "attention": len(bad_names),
        "tables": [rigs] + [paging.page_table(t, params, limit, bad_names) for t in farm["tables"]],
        "now": now,
        "problems": problems,
        **rig_bar(states),
    }


def shared_overview(now, problems, z):
    """What every view of the Overview shares until the next batch, and until when (a rig's data
    going stale changes its state)."""
    items = items_for(rigs_with_snapshots(), now)
    states = [{"pk": rig.id, "name": rig.name, "state": rig_health(snap, state, now)["state"]}
              for rig, snap, state, _ in items]
    bad = {s["name"] for s in states if s["state"] in ("warn", "err")}
    shown = [i for i in items if i[0].name in bad] if problems else items
    limit = stale_after()
    turns = [snap.last_ok_at.timestamp() + limit for _, snap, state, _ in items
             if state == "ok" and snap and snap.last_ok_at]
    built = [overview_tables.summary_table(items, z, shown), overview_tables.devices_table(shown, z),
             overview_tables.pools_table(shown, z)]
    return {"items": items, "shown": shown, "states": states, "bad": bad, "tables": built}, min(turns, default=None)


def rig_bar(rigs):
    """A bar of buttons for a handful of rigs; past RIGBAR_MAX a filter box offering every name."""
    return {"rigs": rigs} if len(rigs) <= RIGBAR_MAX else {"rigs": [], "rig_filter": rigs}


def neighbours(rig, ids):
    """(previous, next) rig ids around ``rig`` in the panel's order, wrapping round; None with one rig."""
    if len(ids) < 2 or rig.pk not in ids:
        return None, None
    i = ids.index(rig.pk)
    return ids[i - 1], ids[(i + 1) % len(ids)]


def rig_context(user, rig, now=None):
    now = now or timezone.now()
    snap = getattr(rig, "snapshot", None)
    state = snap.state(now) if snap else "new"
    health = rig_health(snap, state, now)
    z = tz()
    errors = []
    if snap:
        for command, st in (snap.statuses or {}).items():
            if isinstance(st, dict) and st.get("STATUS") not in ("S", "I"):
                errors.append(f"{command}: {st.get('Msg', '')}")
    return {
        "rig": rig,
        "snap": snap,
        "state": state,
        "health": health,
        "health_label": HEALTH_LABEL[health["state"]],
        "reasons": [(r["level"], reason_text(r, z, now)) for r in health["reasons"]],
        "figures": figures_line((snap.brief or {}).get("figures") if snap else None),
        "age": tables.age_text(snap.age(now)) if snap and snap.last_ok_at else "",
        "tables": tables.rig_tables(snap, tz()) if snap else [],
        "command_errors": errors,
        "show_address": tier(user) == SYS,
        "rig_readonly": readonly(user, rig),
        "about": drivers.about(rig.kind),
        "now": now,
    }


def warm(rig_ids):
    """Build the summary rows of freshly stored rigs, so views and pushes find them ready: a hook
    after each stored batch (rigs/apps.py)."""
    with no_gc_pauses():
        items = items_for(rigs_with_snapshots(rig_ids), timezone.now())
        z = tz()
        for kind, build in (("summary", overview_tables._summary_rows), ("devs", overview_tables._device_rows),
                            ("pools", overview_tables._pool_rows)):
            for rig, snap, state, href in items:
                rows = overview_tables.rows_of(kind, build, rig, snap, state, href, z)
                for row in rows[0] if kind == "devs" else rows:
                    row.html()
