"""Custom page sections computed across rigs (grouped or sorted: a row may be many rigs', or its place
depends on the others): the engine runs over every rig at most every READY_GLOBAL_EVERY seconds (0: the
poll interval) and at most a quarter of the time (SHARE: 30 s a computation at 100,000 rigs, every 120 s),
on the poller's side after a batch, by one poller process (the first to claim it), and when a page is
edited or first viewed; the rows are stored as ReadyRows of no rig (rigs/web/ready.py) for every web
process to read."""

import logging
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rigs.models import ReadyRow, ReadyScope, ReadyTable
from rigs.polling.upsert import upsert
from rigs.web import rigdata
from rigs.web.tables import foot_html
from rigs.web.view_models import tz

from . import engine
from .cells import column_fields, honest_total, narrow_hidden, problems_of, rig_cell, row_cells, row_text, totals_row
from .inputs import engine_rig, places
from .ready import pages_kept, per_rig, source_of, specs_of, stored_json

log = logging.getLogger("minerpanel.pages")


SHARE = 4  # a section is computed again at the earliest SHARE times what its last computation took


def every():
    return settings.READY_GLOBAL_EVERY or settings.POLL_INTERVAL


def gap(head):
    """Seconds between two computations of a section whose stored head is ``head``: READY_GLOBAL_EVERY,
    or SHARE times what the last one took when longer (a farm of 100,000 rigs: 30 s a computation)."""
    return max(every(), SHARE * float((head or {}).get("took", 0) or 0))


def across_specs(pages):
    return {key: spec for page in pages for key, spec in specs_of(page).items() if not per_rig(spec.definition)}


def refresh(now=None, specs=None, force=False):
    """Compute the sections across rigs that are due (``specs``: these; ``force``: even if not due);
    their keys. A section due again is claimed first (its built_at moved to now where it still is what
    was read): of the poller processes after their batches, one computes it, not each of them."""
    now = now or timezone.now()
    specs = across_specs(pages_kept(now)) if specs is None else specs
    if not specs:
        return []
    have = {t["key"]: t for t in
            ReadyTable.objects.filter(key__in=list(specs)).values("key", "source", "built_at", "head")}
    due = {k: s for k, s in specs.items() if force or anew(have.get(k), s) or again(have[k], now)}
    if not due:
        return []
    started = time.monotonic()
    names = sorted({name for spec in due.values() for name in spec.needed})
    where = places(None, [spec.definition for spec in due.values()])
    # every rig read and made the engine's input one at a time: its own records (POOLS: copied to be marked)
    # are not all held beside the copies (at 100,000 rigs this computation is the poller's peak of memory)
    inputs = [engine_rig(rig, names, where.get(rig.id)) for rig in rigdata.each(None, names, now)]
    by_name = {r["name"]: r for r in inputs}
    for key, spec in due.items():
        rows, head = computed(spec, inputs, by_name)
        head["took"] = round(time.monotonic() - started, 3)  # (with the read of every rig, shared)
        replace(key, source_of(spec.definition), rows, head, now)
    return list(due)


def anew(table, spec):
    """Whether a section is to be built whole: never built, or built from another definition."""
    return table is None or table["source"] != source_of(spec.definition) or table["built_at"] is None


def again(table, now):
    """Whether a section built is due again, and claimed by this process."""
    was = table["built_at"]
    return was <= now - timedelta(seconds=gap(table["head"])) and claimed(table["key"], was, now)


def claimed(key, was, now):
    """Whether this process computes the section now: its built_at still ``was`` and moved to ``now``."""
    return ReadyTable.objects.filter(key=key, built_at=was).update(built_at=now) == 1


def computed(spec, inputs, by_name):
    """(row dicts, head) of one section over every rig."""
    d = spec.definition
    try:
        result = engine.build_section(d, inputs)
    except engine.PageError as exc:
        return [], {"error": f"{d.get('section', '?')}: {exc}"}
    z, formats = tz(), d.get("formats") or {}
    fields = column_fields([f for _, f in result.columns], d["section"])
    first_when = next(iter(by_name.values()), {}).get("when", 0)  # a grouped table's, as miner.php
    problem = problems_of(result, by_name)
    rows = []
    for j, r in enumerate(result.rows):
        rig = {} if result.grouped else by_name.get(r.get("_rig"), {})
        when = first_when if result.grouped else rig.get("when", 0)
        cells, css = row_cells(r, fields, rig, when, formats, z, d["section"], result.grouped)
        rows.append({"seq": j, "problem": problem[j], "text": row_text(r),
                     "html": stored_json(cells, [f[0] for f in fields], css,
                                         None if result.grouped else rig_cell(r, rig))})
    narrow = narrow_hidden(result.columns, result.grouped)
    foot = ""
    if result.totals:
        foot = foot_html([totals_row(fields, result.totals, lambda f: honest_total(f, result, by_name),
                                     result.grouped, formats, z, narrow)])
    return rows, {"columns": [list(c) for c in result.columns], "narrow": sorted(narrow), "title": result.title,
                  "grouped": result.grouped, "foot": foot}


def replace(key, source, rows, head, now):
    """A table's rows and head, all new, in one transaction."""
    with transaction.atomic():
        ReadyRow.objects.filter(table=key).delete()
        upsert(ReadyRow, [{"table": key, "rig": None, "state": "", "order": 0, "name": "", "sys_html": "", **r}
                          for r in rows], [], unique=["table", "rig", "seq"])
        problems = sum(1 for r in rows if r["problem"])
        ReadyTable.objects.update_or_create(key=key, defaults={
            "rows": len(rows), "problems": problems, "bad_rows": problems, "sums": {}, "head": head,
            "source": source, "generation": "", "built_at": now, "stamp": secrets.token_hex(8)})


def sweep(now=None):
    """Drop the tables of pages no longer kept (deleted, edited, not viewed for READY_IDLE)."""
    now = now or timezone.now()
    kept = set()
    for page in pages_kept(now):
        kept.update(specs_of(page))
    gone = [k for k in ReadyTable.objects.filter(key__startswith="page:").values_list("key", flat=True)
            if k not in kept]
    if gone:
        with transaction.atomic():
            ReadyRow.objects.filter(table__in=gone).delete()
            ReadyScope.objects.filter(table__in=gone).delete()
            ReadyTable.objects.filter(key__in=gone).delete()
    return gone


def after_batch(ids):
    """On the poller's side, after a batch was written: the sections across rigs that are due, and the
    tables no page keeps any more dropped."""
    changed = refresh()
    sweep()
    return changed
