"""Engine results -> the same tables as the standard pages (formatting, late shares, escaping)."""

import logging

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from minerpanel.tiers import SYS, tier
from rigs import pages, tables
from rigs.figures import number, rate_hs
from rigs.formatting import date_box, fmt, formatter, last_share_state, named, rate_title
from rigs.models import Rig

from . import engine
from .models import MAX_ROWS

log = logging.getLogger("minerpanel.pages")

API_SECTION = {"POOL": "POOLS", "EDEVS": "DEVS", "ESTATS": "STATS", "ASC": "DEVS", "PGA": "DEVS", "GPU": "DEVS",
               "#": "#"}


def needed_sections(definitions):
    names = {"VERSION"}
    for d in definitions:
        for part in d["section"].split("+"):
            if part in engine.STANDARD:
                names.add(engine.STANDARD[part][0])
    return sorted(names)


def rigs_for(definitions):
    """[(rig, snapshot-like, state, href)] and engine rig dicts, reading only the sections the page uses."""
    needed = needed_sections(definitions)
    wanted = [*pages.RIG_FIELDS, *(f"snapshot__{f}" for f in pages.SNAP_FIELDS), "snapshot__statuses",
              "snapshot__brief__figures", "snapshot__brief__health",
              *(f"snapshot__sections__{n}" for n in needed)]
    now = timezone.now()
    href = reverse("rig_detail", args=[987654321])
    items, rigs = [], []
    n_rig = len(pages.RIG_FIELDS)
    for row in Rig.objects.values_list(*wanted):
        rig = pages.RigView(*row[:n_rig])
        polled_at, last_ok_at, error, error_kind, latency_ms, statuses, figs, health = row[n_rig:n_rig + 8]
        sections = {n: v for n, v in zip(needed, row[n_rig + 8:]) if v}
        snap = None
        if polled_at is not None:
            snap = pages.BriefView(polled_at, last_ok_at, error, error_kind, latency_ms, sections, statuses or {},
                                   health, figs)
        state = snap.state(now) if snap else "new"
        items.append((rig, snap, state, href.replace("987654321", str(rig.id))))
        when = ((statuses or {}).get("devs") or (statuses or {}).get("summary") or {}).get("When", 0)
        add_markers(sections, when)
        figs = figs or {}
        add_figures(sections, figs, pages.rig_health(snap, state, now))
        counted = tables.counted(rig, state)
        rigs.append({"name": rig.name, "sections": sections, "when": when, "href": items[-1][3], "state": state,
                     "algorithm": figs.get("algorithm"), "counted": counted, "totals": counted})
    return items, rigs


def add_markers(sections, when):
    """The panel's own fields, which a page may list or leave out: POOL 'In Use' (the pool the
    rig mines on) and DEVS/EDEVS 'Late Share' (a share later than 8x/12x the expected interval)."""
    pools = [p for p in sections.get("POOLS") or [] if isinstance(p, dict)]
    current = tables.active_pool(pools) if pools else None
    for p in pools:
        p["In Use"] = "▶ in use" if p is current else ""
    for name in ("DEVS", "EDEVS"):
        for d in sections.get(name) or []:
            if isinstance(d, dict):
                late = last_share_state(d, when) if settings.CHECK_LAST_SHARE else ""
                d["Late Share"] = {"warn": "⚠ late", "err": "⚠ very late"}.get(late, "")


def add_figures(sections, figs, health):
    """The normalised figures and the health as fields of the rig's SUMMARY (SUMMARY.Hashrate av,
    SUMMARY.State...), and miner.php's MHS fields where a firmware gave only GHS/KHS ones (bmminer),
    so pages written for cgminer show every rig. The stored snapshot is not changed."""
    extra = {"Hashrate av": figs.get("hashrate_hs"), "Hashrate now": figs.get("hashrate_now_hs"),
             "Hash Algorithm": figs.get("algorithm"), "Max Temp": figs.get("max_temp"), "State": health["state"],
             "Reasons": " · ".join(r["text"] for r in health["reasons"])}
    if "SUMMARY" in sections:
        sections["SUMMARY"] = [{**extra, **r} if isinstance(r, dict) else r for r in sections["SUMMARY"][:1]]
    for name in ("SUMMARY", "DEVS"):
        for r in sections.get(name) or []:
            if isinstance(r, dict):
                for window in ("av", "5s"):
                    if f"MHS {window}" not in r:
                        hs = rate_hs(r, (window,))
                        if hs is not None:
                            r[f"MHS {window}"] = hs / 1e6


RATE_FIELD = ("MHS ", "GHS ", "KHS ", "THS ", "Hashrate ")


def honest_total(field, result, rigs_by_name):
    """A rate column's total over rigs with current data that are not pools, or None
    with the reason when the rows mine different algorithms."""
    rows = [r for r in result.rows if rigs_by_name.get(r.get("_rig"), {}).get("counted")]
    algos = {rigs_by_name[r["_rig"]].get("algorithm") for r in rows}
    if len(algos) > 1:
        return None, "several algorithms: their hashrates do not add up"
    values = [n for n in (number(r.get(field)) for r in rows) if n is not None]
    return (sum(values) if values else None), ""


def split_field(field):
    if "." in field:
        sec, _, name = field.partition(".")
        if sec in engine.STANDARD or sec in ("GEN", "BGEN"):
            return sec, name
    return "", field


def _record(r, sec, part):
    """The row's fields of one section, bare-named."""
    if "+" not in part:
        return r
    prefix = f"{sec}."
    return {k[len(prefix):]: v for k, v in r.items() if k.startswith(prefix)}


def to_table(result, index, section, rigs_by_name, tz, formats=None):
    part = section.split("+")[0]
    formats = formats or {}
    cols = ([] if result.grouped else [("Rig", False)]) + [(h, False) for h, _ in result.columns]
    t = tables.Table(f"custom-{index}", result.title, cols)
    fields = []  # per column: field, section, name, its formatter (chosen once), rate or not
    for _, field in result.columns:
        sec, name = split_field(field)
        fields.append((field, sec, name, formatter(API_SECTION.get(sec or part, sec or part), name),
                       bool(rate_title(name, 1))))
    first_when = next(iter(rigs_by_name.values()), {}).get("when", 0)  # a grouped table's, as miner.php
    joined = "+" in section
    if len(result.rows) > MAX_ROWS:
        t.note = f"the first {MAX_ROWS:,} of {len(result.rows):,} rows"
    for r in result.rows[:MAX_ROWS]:
        rig = rigs_by_name.get(r.get("_rig"), {})
        when = first_when if result.grouped else rig.get("when", 0)
        cells = [] if result.grouped else [tables.cell(r.get("_rig", ""), "rig", "", rig.get("href", ""))]
        errors = r.get("_errors", {})
        for field, sec, name, f, rate in fields:
            if field in errors:
                cells.append(tables.cell("", "err", errors[field]))
                continue
            value = r.get(field)
            if field in formats:
                cells.append(tables.cell(*named(formats[field], value, tz)))
                continue
            # the row as miner.php's fmt() sees it: in a join its names are prefixed, so the
            # classes that compare fields (hi/lo, late shares) stay off there, as in miner.php
            text, css = f(value, when, tz, r)
            cells.append((text, css, rate_title(name, value) if rate else "", ""))
        css = tables.row_css(rig.get("state", ""))
        devs = _record(r, "DEVS", section) if joined and ("DEVS." in " ".join(r)) else (
            r if part in ("DEVS", "EDEVS", "ASC", "PGA", "GPU") else {})
        late = last_share_state(devs, when) if devs and not result.grouped and settings.CHECK_LAST_SHARE else ""
        t.rows.append(tables.Row(cells, f"{css} lst-{late}".strip() if late else css))
    if result.totals:
        cells = [] if result.grouped else [tables.cell("Σ", title="rigs without current data and pools are not added")]
        for field, sec, name, _, _ in fields:
            value = result.totals.get(field)
            if value is not None and not result.grouped and name.startswith(RATE_FIELD):
                value, why = honest_total(field, result, rigs_by_name)
                if why:
                    cells.append(tables.cell("", "", why))
                    continue
            if value is None:
                cells.append(tables.cell())
            elif field in formats:
                cells.append(tables.cell(*named(formats[field], value, tz)))
            else:
                text, css = fmt("GEN total" if sec in ("GEN", "BGEN") else "total", name, value, 0, tz)
                cells.append(tables.cell(text, css, rate_title(name, value)))
        t.totals = tables.Row(cells, "tot")
    return t


# The blocks of each page, built once until a rig is polled, added or edited or the page is
# edited (rigs.pages.shared): every viewer, push and API read in between shares them (a page's
# tables do not depend on the viewer's tier).
_BUILT = {}


def page_context(user, page, sys=None):
    """The page's blocks; a section that cannot be shown is an error in its own place. Built once per
    data change and tier (sys users see the rigs' addresses) and shared; ``sys`` instead of a user
    when the poller's thread builds ahead."""
    sys = (user is not None and tier(user) == SYS) if sys is None else sys
    definitions = page.definitions()
    now = timezone.now()
    key = (pages.data_version(), repr(definitions), str(pages.tz()))
    built = pages.shared(_BUILT, (page.pk, sys), key, lambda: build_blocks(page, definitions, now, sys))
    blocks = [{"date": date_box(now.timestamp(), pages.tz())} if "date" in b else b for b in built]
    return {"page": page, "blocks": blocks, "now": now}


def build_blocks(page, definitions, now, sys=False):
    good = [d for d in definitions if isinstance(d, dict)]
    items, rigs = rigs_for(good)
    z = pages.tz()
    by_name = {r["name"]: r for r in rigs}
    results = iter(engine.build_page(good, rigs))
    blocks = []
    with pages.no_gc_pauses():
        for i, d in enumerate(definitions):
            if not isinstance(d, dict):
                log.warning("page %s: %s", page.slug, "; ".join(d.messages))
                blocks.append({"error": "; ".join(d.messages)})
                continue
            result = next(results)
            if result == "DATE":
                blocks.append({"date": date_box(now.timestamp(), z)})
            elif result == "RIGS":
                blocks.append({"table": pages.rigs_table(items, now, sys)})
            elif isinstance(result, engine.PageError):
                blocks.append({"error": str(result)})
            else:
                try:
                    blocks.append({"table": to_table(result, i, d["section"], by_name, z, d.get("formats")),
                                   "result": result})
                except Exception as exc:  # one section's failure never takes the page down
                    log.exception("page %s: section %s failed", page.slug, d["section"])
                    blocks.append({"error": f"{d['section']}: this section could not be shown ({type(exc).__name__})"})
    return blocks
