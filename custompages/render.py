"""Engine results -> the same tables as the standard pages (formatting, late shares, escaping)."""

import logging

from django.urls import reverse
from django.utils import timezone

from rigs import pages, tables
from rigs.formatting import fmt, last_share_state
from rigs.models import Rig

from . import engine
from .models import MAX_ROWS

log = logging.getLogger("minerpanel.pages")

API_SECTION = {"POOL": "POOLS", "EDEVS": "DEVS", "ESTATS": "STATS", "ASC": "DEVS", "PGA": "DEVS", "GPU": "DEVS"}


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
              *(f"snapshot__sections__{n}" for n in needed)]
    now = timezone.now()
    href = reverse("rig_detail", args=[987654321])
    items, rigs = [], []
    n_rig = len(pages.RIG_FIELDS)
    for row in Rig.objects.values_list(*wanted):
        rig = pages.RigView(*row[:n_rig])
        polled_at, last_ok_at, error, error_kind, latency_ms, statuses = row[n_rig:n_rig + 6]
        sections = {n: v for n, v in zip(needed, row[n_rig + 6:]) if v}
        snap = None
        if polled_at is not None:
            snap = pages.BriefView(polled_at, last_ok_at, error, error_kind, latency_ms, sections, statuses or {})
        state = snap.state(now) if snap else "new"
        items.append((rig, snap, state, href.replace("987654321", str(rig.id))))
        when = ((statuses or {}).get("devs") or (statuses or {}).get("summary") or {}).get("When", 0)
        rigs.append({"name": rig.name, "sections": sections, "when": when, "href": items[-1][3], "state": state})
    return items, rigs


def split_field(field):
    if "." in field:
        sec, _, name = field.partition(".")
        if sec in engine.STANDARD or sec in ("GEN", "BGEN"):
            return sec, name
    return "", field


def to_table(result, index, section, rigs_by_name, tz):
    part = section.split("+")[0]
    cols = ([] if result.grouped else [("Rig", False)]) + [(h, False) for h, _ in result.columns]
    t = tables.Table(f"custom-{index}", result.title, cols)
    if len(result.rows) > MAX_ROWS:
        t.note = f"the first {MAX_ROWS:,} of {len(result.rows):,} rows"
    for r in result.rows[:MAX_ROWS]:
        rig = rigs_by_name.get(r.get("_rig"), {})
        when = rig.get("when", 0)
        cells = [] if result.grouped else [tables.cell(r.get("_rig", ""), "rig", "", rig.get("href", ""))]
        errors = r.get("_errors", {})
        for _, field in result.columns:
            if field in errors:
                cells.append(tables.cell("", "err", errors[field]))
                continue
            sec, name = split_field(field)
            value = r.get(field)
            if sec in ("GEN", "BGEN") and isinstance(value, float):
                cells.append(tables.cell(f"{value:,.2f}"))  # as miner.php shows gen results
                continue
            api = API_SECTION.get(sec or part, sec or part)
            cells.append(tables.cell(*fmt(api, name, value, when, tz)))
        css = tables.row_css(rig.get("state", ""))
        devs = {k[5:]: v for k, v in r.items() if k.startswith("DEVS.")} if "DEVS." in " ".join(r) else (
            r if part in ("DEVS", "EDEVS", "ASC", "PGA", "GPU") else {})
        late = last_share_state(devs, when) if devs and not result.grouped else ""
        t.rows.append(tables.Row(cells, f"{css} lst-{late}".strip() if late else css))
    if result.totals:
        cells = [] if result.grouped else [tables.cell("Σ")]
        for _, field in result.columns:
            sec, name = split_field(field)
            value = result.totals.get(field)
            cells.append(tables.cell(*fmt(API_SECTION.get(sec or part, sec or part), name, value)) if value is not None else tables.cell())
        t.totals = tables.Row(cells, "tot")
    return t


# The blocks of each page, built once until a rig is polled, added or edited or the page is
# edited (rigs.pages.shared): every viewer, push and API read in between shares them (a page's
# tables do not depend on the viewer's tier).
_BUILT = {}


def page_context(user, page):
    """The page's blocks; a section that cannot be shown is an error in its own place."""
    definitions = page.definitions()
    now = timezone.now()
    key = (pages.data_version(), repr(definitions), str(pages.tz()))
    built = pages.shared(_BUILT, page.pk, key, lambda: build_blocks(page, definitions, now))
    blocks = [{"date": now} if "date" in b else b for b in built]
    return {"page": page, "blocks": blocks, "now": now}


def build_blocks(page, definitions, now):
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
                blocks.append({"date": now})
            elif result == "RIGS":
                blocks.append({"table": pages.rigs_table(items, now, False)})
            elif isinstance(result, engine.PageError):
                blocks.append({"error": str(result)})
            else:
                try:
                    blocks.append({"table": to_table(result, i, d["section"], by_name, z)})
                except Exception as exc:  # one section's failure never takes the page down
                    log.exception("page %s: section %s failed", page.slug, d["section"])
                    blocks.append({"error": f"{d['section']}: this section could not be shown ({type(exc).__name__})"})
    return blocks
