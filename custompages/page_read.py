"""A custom page for one view, from ready rows: one page of each table by an indexed query
(rigs/web/ready_read.py), its columns and Σ row as its writer left them (ready.py, across.py).
A table never built, or built from another definition, is built first (on farms of more than
READY_BUILD_IN_VIEW rigs it is left to the poller's next batch and the section says it is being
prepared); one computed across rigs that the poller has not refreshed for a while (no poller running) is
computed again.

A view for a site, a rack or a tag (``?site=&rack=&tag=``: rigs/web/scopes.py) shows the rows of its rigs
only, with the counts and Σ rows of those rigs (ready_read.scoped); a section grouped or sorted across
rigs is computed over the whole farm and says so."""

import logging
from datetime import timedelta

import orjson
from django.conf import settings
from django.utils import timezone

from rigs.models import ReadyTable, Rig
from rigs.readings.freshness import stale_after
from rigs.web import paging, ready, ready_read, scopes, tables, view_models
from rigs.web.display import date_box
from rigs.web.drawn import drawn

from . import across
from .ready import PAGES, key_of, per_rig, source_of, specs_of

log = logging.getLogger("minerpanel.pages")
EMPTY = "<td></td>"
PREPARING = ("{title}: being prepared for the {rigs:,} rigs by the poller; it shows by itself within a poll "
             "round or two")
WHOLE_FARM = "over the whole farm: this section groups or sorts across rigs, the filter does not apply"
VIEWED_EVERY = timedelta(minutes=5)  # how often a view says its page is still viewed (one write)


def page_context(user, page, params=None, shared=True):
    now = timezone.now()
    definitions = page.definitions()
    specs = specs_of(page, definitions)
    z = view_models.tz()
    params = paging.flat(params or {})
    limit = settings.TABLE_ROWS
    shows_rigs = any(isinstance(d, dict) and d["section"] == "RIGS" for d in definitions)
    found, waiting = ready_tables(specs, now, ("rigs",) if shows_rigs else ())
    rig_ids = scopes.rig_ids(params)
    blocks, i = [], -1
    for d in definitions:
        if not isinstance(d, dict):
            log.warning("page %s: %s", page.slug, "; ".join(d.messages))
            blocks.append({"error": "; ".join(d.messages)})
            continue
        i += 1
        try:
            if d["section"] == "DATE":
                blocks.append({"date": date_box(now.timestamp(), z)})
            elif d["section"] == "RIGS":
                blocks.append({"table": ready_read.rigs_block(user, params, limit, now, turned=False,
                                                              shared=shared, found=found)})
            elif key_of(page.pk, i) in waiting:
                blocks.append({"waiting": PREPARING.format(title=d.get("title") or d["section"],
                                                           rigs=waiting[key_of(page.pk, i)]),
                               "waits": key_of(page.pk, i)})
            else:
                spec = specs.get(key_of(page.pk, i))
                mine = spec is not None and per_rig(spec.definition)
                blocks.append(block_of(found.get(key_of(page.pk, i)), i, params, limit, rig_ids if mine else None,
                                       spec, whole_farm=rig_ids is not None and not mine, now=now, shared=shared))
        except Exception as exc:  # one section's failure never takes the page down
            log.exception("page %s: section %s failed", page.slug, d["section"])
            blocks.append({"error": f"{d['section']}: this section could not be shown ({type(exc).__name__})"})
    out = {"page": page, "blocks": blocks, "now": now, "scope": scopes.context(params)}
    if "rigs" in found:  # the header's count, read with the tables
        out["attention"] = (found["rigs"].head or {}).get("attention", 0)
    return out


def ready_tables(specs, now, also=()):
    """({key: ReadyTable} of the page's tables, built where they were not (or are out of date), and
    marked as viewed (the poller's side keeps a page's tables while it is viewed), and the farm tables
    ``also`` as they are; {key: rigs} of those left to the poller, on a farm too large to build them here
    (READY_BUILD_IN_VIEW). One query reads them all when nothing is to be built."""
    ready.refresh_turned(now)
    read = {t.key: t for t in ReadyTable.objects.filter(key__in=[*specs, *also])}
    waiting = left_to_poller(specs, now, read)
    specs = {k: s for k, s in specs.items() if k not in waiting}
    mine = {k: (PAGES, source_of(s.definition), s) for k, s in specs.items() if per_rig(s.definition)}
    found = ready_read.ready_tables(list(mine), now, mine, turned=False, found=read) if mine else {}
    others = {k: s for k, s in specs.items() if k not in found}
    if others:
        have = {k: read[k] for k in others if k in read}
        due = {k: s for k, s in others.items() if k not in have or have[k].source != source_of(s.definition)
               or have[k].built_at is None
               or have[k].built_at < now - timedelta(seconds=max(3 * across.gap(have[k].head), stale_after()))}
        if due:
            across.refresh(now, due, force=True)
            have = {t.key: t for t in ReadyTable.objects.filter(key__in=list(others))}
        found.update(have)
    seen = [k for k, t in found.items() if t.viewed_at is None or now - t.viewed_at > VIEWED_EVERY]
    if seen:
        ReadyTable.objects.filter(key__in=seen).update(viewed_at=now)
    return {**{k: read[k] for k in also if k in read}, **found}, waiting


def left_to_poller(specs, now, read):
    """{key: rigs} of the tables never built, or built from another definition, when the farm holds more
    than READY_BUILD_IN_VIEW rigs: each gets a table marked viewed and of no definition, which the
    poller's side builds at its next batch (ready.outdated, across.refresh) and announces; {} else.
    ``read``: {key: ReadyTable} as they are."""
    missing = [k for k, s in specs.items() if k not in read or read[k].source != source_of(s.definition)]
    if not missing:
        return {}
    rigs = Rig.objects.count()
    if rigs <= settings.READY_BUILD_IN_VIEW:
        return {}
    for key in missing:
        ReadyTable.objects.update_or_create(key=key, defaults={"viewed_at": now, "source": ""})
    log.info("pages: %s left to the poller's next batch (%d rigs)", ", ".join(missing), rigs)
    return dict.fromkeys(missing, rigs)


def block_of(ready_table, i, params, limit, rig_ids=None, spec=None, whole_farm=False, now=None, shared=True):
    """One section's table: its rows of this page drawn for the table's columns (once for every viewer
    of the same: rigs/web/drawn.py). ``rig_ids``: the rows of these rigs only, with their Σ row (a section
    kept rig by rig, whose ``spec`` it is); ``whole_farm``: a filter was asked for that this section
    (across rigs) does not follow: its note says so."""
    if ready_table is not None and rig_ids is not None:  # the Σ row of those rigs, if it has one
        ready_table = ready_read.scoped(ready_table, (PAGES, "", spec), rig_ids,
                                        totals=bool(spec.plain.get("totals")))
    head = ready_table.head if ready_table is not None else {"error": "this section is not built yet"}
    if head.get("error"):
        return {"error": head["error"]}
    view = (i, sorted(params.items()), limit, whole_farm)
    table = drawn(ready_table, view, lambda: drawn_block(ready_table, i, params, limit, rig_ids, whole_farm),
                  (now or timezone.now()).timestamp(), shared)
    return {"table": table}


def drawn_block(ready_table, i, params, limit, rig_ids, whole_farm):
    head = ready_table.head
    rows, pager = ready_read.page_rows(ready_table, f"custom-{i}", params, limit, rig_ids=rig_ids)
    columns, grouped, narrow = head["columns"], head.get("grouped", False), set(head.get("narrow", ()))
    t = tables.Table(f"custom-{i}", head["title"], ([] if grouped else [("Rig", False)]) + [
        (h, False) for h, _ in columns])
    t.narrow = narrow
    offset = 0 if grouped else 1  # the Rig column
    at = [k + offset in narrow for k in range(len(columns))]
    fields = [f for _, f in columns]
    wide = not any(at)
    for html, _, _ in rows:
        data = orjson.loads(html)
        kept = data["c"]
        tds = ([kept.get(f, EMPTY) for f in fields] if wide
               else [narrowed_td(kept.get(f, EMPTY), n) for f, n in zip(fields, at)])
        first = "" if grouped else data["r"]
        css = data["s"]
        t.rows.append(tables.Row([], css, (f'<tr class="{css}">' if css else "<tr>") + first + "".join(tds) + "</tr>"))
    t.foot = head.get("foot", "")
    t.note = WHOLE_FARM if whole_farm else ""
    t.pager = pager
    t.shows = (ready_table.key, {rig for _, _, rig in rows if rig is not None})
    return t


def narrowed_td(td, narrow):
    """A cell's <td> with the class "n" (hidden at narrow widths) when its column is one of those."""
    if not narrow:
        return td
    if td.startswith('<td class="'):
        end = td.index('"', 11)
        return f"{td[:end]} n{td[end:]}"
    return '<td class="n"' + td[3:]
