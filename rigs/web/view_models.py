"""What the summary and rig pages show, for one viewer: plain data for templates and the consumer."""

import zoneinfo

from django.conf import settings
from django.utils import timezone
from django.utils.safestring import mark_safe

from minerpanel.tiers import SYS, readonly, tier
from rigs import drivers
from rigs.readings import digits
from rigs.readings.health import with_reachability
from rigs.readings.version import miner_version

from . import curtailed, tables
from .display import clock, format_rate
from .field_display import fmt


def tz():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


RIGBAR_MAX = 60
RIGBAR_NAMES = 1000  # names the rig bar's filter box offers past RIGBAR_MAX rigs (it finds any)


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


RIG_COLUMNS = [("State", False), ("Rig", False), ("Reasons", False), ("Hashrate", True), ("Hottest", True),
               ("Data age", True), ("Miner", False), ("API", False), ("Description", False)]


def rig_row(rig, now, z, labels=None, aging=False, curtailment=None):
    """(the Rigs table's row of a rig (rigdata.RigData), its Address cell: sys users only). ``aging``:
    its ages as markers each view fills in (tables.Aged), for a row built once and shown later.
    ``curtailment``: its open curtailment (curtailed.open_of's), said among its reasons: in place of the
    health's "curtailed" (what the rig reads back), or after them."""
    h = rig.health
    miner, api = miner_version(rig.sections)
    at = rig.last_ok_at.timestamp() if rig.last_ok_at else None
    said = curtailed.text_of(curtailment, z, now)
    parts = []  # text, and with ``aging`` what each view fills in (tables.Aged)
    for k, r in enumerate(h["reasons"]):
        parts.append(" · " if k else "")
        since = r.get("since")
        if said and r.get("key") == "curtailed":
            parts.append(said)
            said = ""
        elif aging and at is not None and r.get("key") == "stale":
            parts += ["stale: no answer for ", at]
        elif aging and since and isinstance(since, (int, float)):
            parts += [str(r.get("text", "")), ("since", since)]
        else:
            parts.append(reason_text(r, z, now))
    parts.append(f" · {said}" if said else "")
    parts.append(" · read-only" if rig.readonly else "")
    reasons = joined(parts)
    figs = rig.figures
    hs, hottest = figs.get("hashrate_hs"), figs.get("max_temp")
    hottest = digits.as_written(hottest, rig.sections, "Temperature") if rig.polled else hottest
    age = ("never" if at is None else tables.Aged(at) if aging
           else tables.age_text(rig.age(now)))
    cells = [
        tables.cell(HEALTH_LABEL[h["state"]], f"h-{h['state']}"),
        tables.cell(rig.name, "rig", "", rig.href),
        tables.cell(reasons, "reasons"),
        tables.cell(format_rate(hs / 1e6) if hs is not None else "", "num rate"),
        tables.cell(*fmt("DEVS", "Temperature", hottest)) if hottest is not None else tables.cell(),
        tables.cell(age, f"num ticks at-{int(at)}" if rig.polled and at is not None else "num"),
        tables.cell(miner, "n"), tables.cell(api, "n"), tables.cell(rig.description, "n"),
    ]
    row = tables.Row(cells, f"{tables.row_css(rig.state)} h-{h['state']}".strip())
    if labels is not None:
        row.html(labels)
    return row, tables.cell(rig.address, "n")


def joined(parts):
    """Reasons' parts as one text (its start stripped of " ·"), or tables.Aged when some change with time."""
    merged = []
    for p in parts:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        elif p != "":
            merged.append(p)
    if merged and isinstance(merged[0], str):
        merged[0] = merged[0].lstrip(" ·")
    if all(isinstance(p, str) for p in merged):
        return "".join(merged)
    return tables.Aged(*merged)


def rigs_table(rigs, now, show_address):
    """One row per rig (rigdata.RigData): its health first, every reason in words, its hashrate and
    hottest sensor. Below 600 px each row is a card (static/minerpanel.css, table.cards); the columns of
    class "n" stay on wider screens. The pages show it from ready rows (ready_farm.py); this builds it
    whole, for the API."""
    t = tables.Table("rigs", "Rigs", RIG_COLUMNS + ([("Address", False)] if show_address else []), cards=True)
    z = tz()
    found = curtailed.open_of(r.id for r in rigs)
    for rig in rigs:
        row, address = rig_row(rig, now, z, curtailment=found.get(rig.id))
        if show_address:
            row.cells.append(address)
        t.rows.append(row)
    return t


def rig_bar(rigs, count=None):
    """A bar of buttons for a handful of rigs; past RIGBAR_MAX a filter box offering their names (the
    datalist's options, escaped). ``count``: how many there are (``rigs`` may be some of them)."""
    count = len(rigs) if count is None else count
    if count <= RIGBAR_MAX:
        return {"rigs": rigs}
    options = "".join(f'<option value="{tables.escape(r["name"])}">' for r in rigs)
    return {"rigs": [], "rig_filter": mark_safe(options), "rig_count": count}


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
