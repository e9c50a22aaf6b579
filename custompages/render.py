"""Engine results -> the same tables as the standard pages (formatting, late shares, escaping)."""

import logging

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from minerpanel.tiers import SYS, tier
from rigs.models import Rig
from rigs.polling import batch_cache
from rigs.readings import digits
from rigs.readings.figures import number, rate_hs
from rigs.readings.freshness import reachability, stale_after
from rigs.web import paging, tables, view_models
from rigs.web.display import date_box, last_share_state
from rigs.web.field_display import fmt, formatter, named, rate_title

from . import engine
from .models import HOME, MAX_ROWS, CustomPage, PageSection

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


# Engine inputs of each rig, built once per snapshot (and per state): a view decodes the
# sections of the rigs that changed since the last one, not of every rig. One entry per rig
# and set of sections read: {(rig id, sections): (key, entry)}.
_INPUTS = {}
# Engine results of a page for one set of inputs: the views and pushes of one snapshot batch
# share them, and draw only the rows they show.
_RESULTS = {}
RESULTS_KEPT = 4


def inputs_for(definitions, now=None):
    """(items, engine rig dicts, key): the key changes whenever any rig's data, state or
    settings change. Nothing is read while no batch was stored (rigs/polling/batch_cache.py); then one
    light query for all rigs, and sections for the rigs that changed only."""
    needed = (*needed_sections([d for d in definitions if isinstance(d, dict)]), settings.CHECK_LAST_SHARE)
    return batch_cache.memo(("custom page inputs", needed), lambda at: read_all(needed, at), now or timezone.now())


def read_all(needed, now):
    light = [*view_models.RIG_FIELDS, *(f"snapshot__{f}" for f in view_models.SNAP_FIELDS)]
    limit = stale_after()
    n_rig = len(view_models.RIG_FIELDS)
    keyed, missing, turns = [], [], []
    for row in Rig.objects.values_list(*light):
        polled_at, last_ok_at, error = row[n_rig:n_rig + 3]
        state = reachability(polled_at, last_ok_at, error, now, limit)
        if state == "ok" and last_ok_at:
            turns.append(last_ok_at.timestamp() + limit)
        key = (row, state)
        keyed.append(key)
        if _INPUTS.get((row[0], needed), (None,))[0] != key:
            missing.append(row[0])
    fresh = read_inputs(missing, needed, now) if missing else {}
    if len(_INPUTS) > 2 * len(keyed) + 100:  # rigs deleted, pages edited: forget what no page reads
        current = {(k[0][0], needed) for k in keyed}
        for gone in [k for k in _INPUTS if k not in current]:
            del _INPUTS[gone]
    items, rigs = [], []
    for key in keyed:
        rig_id = key[0][0]
        found = fresh.get(rig_id)  # read now (its data may be newer than the light query's)
        if found is None:
            found = _INPUTS.get((rig_id, needed), (None, None))[1]
        if found is None:
            continue  # deleted meanwhile
        item, rig = found
        items.append(item)
        rigs.append(rig)
    return (items, rigs, hash(tuple(keyed))), min(turns, default=None)


def warm(rig_ids):
    """Build the engine inputs of freshly stored rigs for the Summary page ('/'), so the next
    view or push decodes nothing. Registered as a hook after each stored batch (apps.py)."""
    home = CustomPage.objects.filter(slug=HOME).first()
    if home is not None and rig_ids:
        needed = (*needed_sections(home.definitions()), settings.CHECK_LAST_SHARE)
        read_inputs(list(rig_ids), needed, timezone.now())


def read_inputs(ids, needed, now):
    wanted = [*view_models.RIG_FIELDS, *(f"snapshot__{f}" for f in view_models.SNAP_FIELDS), "snapshot__statuses",
              "snapshot__brief__figures", "snapshot__brief__health", "snapshot__digits__decimals",
              *(f"snapshot__sections__{n}" for n in needed[:-1])]
    href = reverse("rig_detail", args=[987654321])
    n_rig = len(view_models.RIG_FIELDS)
    fresh = {}
    for start in range(0, len(ids), 500):  # SQLite's limit on parameters
        for row in Rig.objects.filter(id__in=ids[start:start + 500]).values_list(*wanted):
            rig = view_models.RigView(*row[:n_rig])
            (polled_at, last_ok_at, error, error_kind, latency_ms, statuses, figs, health,
             decimals) = row[n_rig:n_rig + 9]
            sections = digits.dress({n: v for n, v in zip(needed[:-1], row[n_rig + 9:]) if v}, decimals)
            snap = None
            if polled_at is not None:
                snap = view_models.BriefView(polled_at, last_ok_at, error, error_kind, latency_ms, sections,
                                             statuses or {}, health, figs)
            state = snap.state(now) if snap else "new"
            item = (rig, snap, state, href.replace("987654321", str(rig.id)))
            when = ((statuses or {}).get("devs") or (statuses or {}).get("summary") or {}).get("When", 0)
            add_markers(sections, when)
            figs = figs or {}
            h = view_models.rig_health(snap, state, now)
            add_figures(sections, figs, h)
            counted = tables.counted(rig, state)
            entry = fresh[rig.id] = (item, {
                "name": rig.name, "sections": sections, "when": when, "href": item[3], "state": state,
                "algorithm": figs.get("algorithm"), "counted": counted, "totals": counted,
                "problem": h["state"] in ("warn", "err")})
            _INPUTS[(rig.id, needed)] = ((row[:n_rig + 5], state), entry)
    return fresh


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


def to_table(result, index, section, rigs_by_name, tz, formats=None, rows=None, totals=None, memo=None):
    """The table of an engine result: the rows given (default: all of them) formatted, and the
    Σ row (``totals``: one already built for this result, else built here). ``memo``: rows
    formatted by earlier views of this result, by id of the row."""
    part = section.split("+")[0]
    formats = formats or {}
    cols = ([] if result.grouped else [("Rig", False)]) + [(h, False) for h, _ in result.columns]
    t = tables.Table(f"custom-{index}", result.title, cols)
    t.narrow = narrow_hidden(result)
    fields = []  # per column: field, section, name, its formatter (chosen once), rate or not
    for _, field in result.columns:
        sec, name = split_field(field)
        fields.append((field, sec, name, formatter(API_SECTION.get(sec or part, sec or part), name),
                       bool(rate_title(name, 1))))
    first_when = next(iter(rigs_by_name.values()), {}).get("when", 0)  # a grouped table's, as miner.php
    joined = "+" in section
    for r in (result.rows if rows is None else rows):
        if memo is not None and id(r) in memo:
            t.rows.append(memo[id(r)])
            continue
        rig = rigs_by_name.get(r.get("_rig"), {})
        when = first_when if result.grouped else rig.get("when", 0)
        cells = [] if result.grouped else [tables.cell(r.get("_rig", ""), "rig", "", rig.get("href", ""))]
        errors = r.get("_errors", {})
        for field, _, name, f, rate in fields:
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
        if t.narrow:
            cells = [(c[0], f"{c[1]} n".lstrip(), *c[2:]) if k in t.narrow else c for k, c in enumerate(cells)]
        css = tables.row_css(rig.get("state", ""))
        devs = _record(r, "DEVS", section) if joined and ("DEVS." in " ".join(r)) else (
            r if part in ("DEVS", "EDEVS", "ASC", "PGA", "GPU") else {})
        late = last_share_state(devs, when) if devs and not result.grouped and settings.CHECK_LAST_SHARE else ""
        t.rows.append(tables.Row(cells, f"{css} lst-{late}".strip() if late else css))
        if memo is not None:
            memo[id(r)] = t.rows[-1]
    if totals is not None:
        t.totals = totals or None
    elif result.totals:
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
        if t.narrow:
            cells = [(c[0], f"{c[1]} n".lstrip(), *c[2:]) if k in t.narrow else c for k, c in enumerate(cells)]
        t.totals = tables.Row(cells, "tot")
    return t


# The columns that stay at narrow widths in a wide custom table: rig, state, hashrate, status, last share.
NARROW_KEEP = {"State", "Status", "MHS av", "Hashrate av", "Hashrate now", "Last Share Time", "Late Share", "URL",
               "In Use", "Reasons"}
NARROW_FROM = 7  # a table of fewer columns (the Mobile page's) keeps them all


def narrow_hidden(result):
    """Indices of the columns hidden below 700 px (class "n"), for a table of NARROW_FROM columns or more."""
    offset = 0 if result.grouped else 1
    if len(result.columns) + offset < NARROW_FROM:
        return set()
    return {k + offset for k, (_, fld) in enumerate(result.columns)
            if split_field(fld)[1].split(".")[-1] not in NARROW_KEEP}


def engine_results(page, definitions, rigs, key):
    """The engine's results for this page and these inputs, computed once per snapshot batch."""
    cache_key = (page.pk, repr(definitions), key)
    found = _RESULTS.get(cache_key)
    if found is None:
        if len(_RESULTS) >= RESULTS_KEPT:
            _RESULTS.pop(next(iter(_RESULTS)))
        found = _RESULTS[cache_key] = {"results": engine.build_page(definitions, rigs), "totals": {}, "problem": {},
                                         "rows": {}}
    return found


def problems_of(result, rigs_by_name):
    """Per row: does it belong to a rig needing attention (grouped rows belong to none)."""
    if result.grouped:
        return [False] * len(result.rows)
    return [bool(rigs_by_name.get(r.get("_rig"), {}).get("problem")) for r in result.rows]


def rig_text(rig):
    """What a filter of the Rigs table searches: name, state and reasons."""
    summary = (rig["sections"].get("SUMMARY") or [{}])[0]
    reasons = summary.get("Reasons", "") if isinstance(summary, dict) else ""
    return f"{rig['name']} {rig['state']} {reasons}".lower()


def row_text(row):
    return " ".join(str(v) for k, v in row.items() if k != "_errors").lower()


def sections_in_use():
    """Every section a custom page names, so the poller has the drivers ask for them (a hook, apps.py)."""
    return PageSection.objects.values_list("section", flat=True).distinct()


# The pages viewed since the start, so the thread that runs after each stored batch builds them
# again before anyone asks (rebuild_viewed).
VIEWED = set()


def rebuild_viewed():
    """Build again the custom pages viewed since the start, after a stored batch (a hook, apps.py)."""
    for page in CustomPage.objects.filter(pk__in=list(VIEWED)):
        page_context(None, page)


def page_context(user, page, params=None, whole=False):
    """The page's blocks for one view. Long tables show the rows of rigs needing attention first
    and settings.TABLE_ROWS rows a page, chosen by ``params`` (the query: paging.choice_of);
    only the rows shown are formatted. ``whole``: every row up to MAX_ROWS (the API). A section that cannot be
    shown is an error in its own place; ``user`` None: a viewer without a tier (the prebuild)."""
    VIEWED.add(page.pk)
    definitions = page.definitions()
    good = [d for d in definitions if isinstance(d, dict)]  # the others failed the model's checks
    now = timezone.now()
    items, rigs, key = inputs_for(good, now)
    z = view_models.tz()
    by_name = {r["name"]: r for r in rigs}
    params = paging.flat(params or {})
    limit = MAX_ROWS if whole else settings.TABLE_ROWS  # the API's bound: problems first, then the first rows
    sys = user is not None and tier(user) == SYS
    blocks = []
    with view_models.no_gc_pauses():
        cached = engine_results(page, good, rigs, key)
        results = iter(enumerate(cached["results"]))
        for d in definitions:
            if not isinstance(d, dict):
                log.warning("page %s: %s", page.slug, "; ".join(d.messages))
                blocks.append({"error": "; ".join(d.messages)})
                continue
            i, result = next(results)
            try:
                blocks.append(block_of(i, d, result, cached, items, rigs, by_name, now, z, params, limit, sys, whole))
            except Exception as exc:  # one section's failure never takes the page down
                log.exception("page %s: section %s failed", page.slug, d["section"])
                blocks.append({"error": f"{d['section']}: this section could not be shown ({type(exc).__name__})"})
    return {"page": page, "blocks": blocks, "now": now}


def block_of(i, d, result, cached, items, rigs, by_name, now, z, params, limit, sys, whole):
    if result == "DATE":
        return {"date": date_box(now.timestamp(), z)}
    if result == "RIGS":
        problem = [r["problem"] for r in rigs]
        shown, pager = paging.choose(len(items), problem.__getitem__, lambda j: rig_text(rigs[j]),
                                     paging.choice_of(params, "rigs"), limit, "rigs", params)
        t = view_models.rigs_table([items[j] for j in shown], now, sys)
        t.pager = pager
        return {"table": t}
    if isinstance(result, engine.PageError):
        return {"error": str(result)}
    tid = f"custom-{i}"
    if i not in cached["problem"]:
        cached["problem"][i] = problems_of(result, by_name)
    problem = cached["problem"][i]
    shown, pager = paging.choose(len(result.rows), problem.__getitem__, lambda j: row_text(result.rows[j]),
                                 paging.choice_of(params, tid), limit, tid, params)
    if (i, str(z)) not in cached["totals"]:
        whole_table = to_table(result, i, d["section"], by_name, z, d.get("formats"), rows=[])
        cached["totals"][(i, str(z))] = whole_table.totals or False
    rows = result.rows if pager is None else [result.rows[j] for j in shown]
    t = to_table(result, i, d["section"], by_name, z, d.get("formats"), rows=rows,
                 totals=cached["totals"][(i, str(z))],
                 memo=None if whole else cached["rows"].setdefault((i, str(z)), {}))
    t.pager = pager
    return {"table": t, "result": result}
