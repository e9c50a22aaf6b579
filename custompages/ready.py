"""Custom pages as ready rows (rigs/web/ready.py), written on the poller's side.

A section whose rows are each one rig's (no group, no sort) is kept rig by rig like the Overview's
tables: after each batch the engine runs over the batch's rigs, each row's cells are stored by field
(the table's columns depend on the fields every rig has, so they are drawn when viewed), and each rig's
share of the Σ row and of the columns' fields is added up. A section grouped or sorted across rigs is
computed over every rig at most every READY_GLOBAL_EVERY seconds (global.py), stored as rows of no rig.

Kept: the Summary page ('/'), and the pages viewed within READY_IDLE seconds; a page's first view
after that builds it again.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

import orjson
from django.conf import settings
from django.db.models import Q

from rigs.models import ReadyRow, ReadyScope, ReadyTable
from rigs.readings.figures import number
from rigs.web import ready as store
from rigs.web.overview_tables import number as share_number
from rigs.web.tables import td
from rigs.web.view_models import tz

from . import engine
from .cells import RATE_FIELD, column_fields, rig_cell, row_cells, row_text, split_field
from .checks import validate
from .definition import FIXED, PageError, alternatives, plain_names
from .inputs import engine_rig, needed_sections, places
from .models import HOME, CustomPage
from .ready_head import head_of

VERSION = "2"  # of the rows' making: a change rebuilds them (2: RIGS.Site, RIGS.Rack, RIGS.Position, RIGS.Tags)


def key_of(page_pk, index):
    return f"page:{page_pk}:{index}"


def page_of(key):
    return int(key.split(":")[1])


def per_rig(definition):
    """Whether a section's rows are each one rig's, kept rig by rig (else computed across rigs)."""
    if definition["section"] in FIXED or definition.get("group") or definition.get("sort"):
        return False
    try:
        validate(definition, formulas=False)
    except PageError:
        return False  # shown as its error, by the whole-farm path
    return True


def source_of(definition):
    text = json.dumps(definition, sort_keys=True, default=str)
    extra = f"{VERSION}|{settings.TIME_ZONE}|{settings.CHECK_LAST_SHARE}"
    return hashlib.sha1(f"{text}|{extra}".encode()).hexdigest()[:32]


@dataclass
class Spec:
    """One section of a page, as kept."""

    page: int
    index: int  # among the page's good definitions: its table is "custom-<index>"
    definition: dict
    needed: tuple

    @property
    def plain(self):
        return plain_names(self.definition)


def pages_kept(now, only=None):
    """The pages whose tables are kept now (``only``: the pages of these keys, kept or not)."""
    if only is not None:
        pks = {page_of(k) for k in only if k.startswith("page:")}
        return list(CustomPage.objects.filter(pk__in=pks).prefetch_related("sections")) if pks else []
    since = now - timedelta(seconds=settings.READY_IDLE)
    viewed = {page_of(k) for k in ReadyTable.objects.filter(key__startswith="page:", viewed_at__gte=since)
              .values_list("key", flat=True)}
    return list(CustomPage.objects.filter(Q(slug=HOME) | Q(pk__in=viewed)).prefetch_related("sections"))


def specs_of(page, definitions=None):
    """{key: Spec} of every section of a page the engine builds (not DATE or RIGS)."""
    good = [d for d in (page.definitions() if definitions is None else definitions) if isinstance(d, dict)]
    return {key_of(page.pk, i): Spec(page.pk, i, d, tuple(needed_sections([d])))
            for i, d in enumerate(good) if d["section"] not in FIXED}


class PageTables:
    """The provider of the sections kept rig by rig."""

    def wanted(self, now, only=None):
        out = {}
        for page in pages_kept(now, only):
            for key, spec in specs_of(page).items():
                if per_rig(spec.definition):
                    out[key] = (source_of(spec.definition), spec)
        return out

    def sections(self, specs):
        return sorted({name for spec in specs.values() for name in spec.needed})

    def build(self, rigs, specs, now):
        names = self.sections(specs)
        where = places([r.id for r in rigs], [spec.definition for spec in specs.values()])
        inputs = [engine_rig(rig, names, where.get(rig.id)) for rig in rigs]
        z = tz()
        for key, spec in specs.items():
            d, plain = spec.definition, spec.plain
            result = engine.build_section(d, inputs, whole=False)
            by_rig = {}
            for r in result.rows:
                by_rig.setdefault(r.get("_rig"), []).append(r)
            candidates = wanted_fields(plain)
            formats = d.get("formats") or {}
            columns = {}  # column_fields of each set of fields met, worked out once
            numbered = (any(alternatives(f)[0][0] == "#" for f in plain.get("fields", []))
                        or "#" in plain.get("totals", []))
            for rig, made in zip(rigs, inputs):
                mine = by_rig.get(rig.name, [])
                shown = [shown_fields(r, candidates) for r in mine]
                rows = [{"seq": j, "problem": made["problem"], "text": row_text(r),
                         "html": stored_row(r, made, fields, formats, z, d["section"], columns)}
                        for j, (r, fields) in enumerate(zip(mine, shown))]
                yield key, rig, rows, {**store.counts(rows, made["problem"]),
                                       **share_of(plain, mine, made, candidates, numbered, shown)}

    def head(self, key, sums, spec):
        return head_of(sums, spec)


def wanted_fields(definition):
    """The fields a row's cells are kept for: those its field list may show (None: '*', every one)."""
    names = {"#"} | {f"GEN.{g}" for g in definition.get("gen", {})} | {f"BGEN.{g}" for g in definition.get("bgen", {})}
    for spec in definition.get("fields", []) or ["*"]:
        for name, _ in alternatives(spec):
            if name == "*":
                return None
            names.add(name)
    return names


def shown_fields(r, candidates):
    """The fields of a row its page may show (``candidates``, None: all): those it has, then those in
    error."""
    fields = tuple(k for k in r if k[0] != "_" and (candidates is None or k in candidates))
    if "_errors" in r:
        fields += tuple(k for k in r["_errors"] if candidates is None or k in candidates)
    return fields


def stored_row(r, rig, fields, formats, z, section, columns):
    """A row as JSON: its rig's name and link, its css, and its cells that are not empty, by field
    (``fields``: shown_fields)."""
    found = columns.get(fields)
    if found is None:
        found = columns[fields] = column_fields(fields, section)
    cells, css = row_cells(r, found, rig, rig.get("when", 0), formats, z, section, False)
    return stored_json(cells, fields, css, rig_cell(r, rig))


def stored_json(cells, fields, css, first=None):
    """A row kept for columns not known yet: {"r": its Rig cell's <td>, "s": its css, "c": {field: <td>}}
    (the cells that are not empty; page_read.py draws them for the table's columns)."""
    kept = {f: td(c) for f, c in zip(fields, cells) if c[0] or c[1] or c[2]}
    return orjson.dumps({"r": td(first) if first else "", "s": css, "c": kept}).decode()


def total_of(values):
    """engine.calc(values, "sum") without PHP's rounding (the Σ row rounds the farm's total): a sum of
    integers stays one."""
    ints, floats, floated = 0, 0.0, False
    for v in values:
        if v is None:
            continue
        kind = v.__class__
        if kind is int:
            ints += v
        elif isinstance(v, float):
            floats += v
            floated = True
        else:  # text, booleans: engine.calc's rules
            return engine.calc(values, "sum")
    if floated:
        return floats + ints
    return ints if any(v is not None for v in values) else None


def share_of(definition, rows, rig, candidates=None, numbered=False, shown=None):
    """A rig's share of a section: the fields its rows have ("f|" and, with an error, "e|": of
    ``candidates``, the fields the page may show, None: all; ``shown``: its rows' shown_fields, if
    known), and what it adds to the Σ row ("t|": totals, "h|": rate columns over rigs with current data,
    "ha|": their algorithms)."""
    share = {}
    for r, fields in zip(rows, shown or [None] * len(rows)):
        if fields is not None and "_errors" not in r:  # shown_fields is then the fields it has
            for k in fields:
                share["f|" + k] = 1
            continue
        for k in r:
            if k[0] != "_" and (candidates is None or k in candidates):
                share["f|" + k] = 1
        for k in r.get("_errors", ()):
            if candidates is None or k in candidates:
                share["e|" + k] = 1
    counted = [r for r in rows if not r.get("_nototal")]
    if not counted:
        return share
    share["t|"] = len(counted)
    if numbered:
        share["t|#"] = len(counted)
    for fld in definition.get("totals", []):
        if fld == "#":
            continue
        value = share_number(total_of([r.get(fld) for r in counted]))
        if value is not None:
            share[f"t|{fld}"] = value
        if split_field(fld)[1].startswith(RATE_FIELD) and rig.get("counted"):
            values = [n for n in (number(r.get(fld)) for r in rows) if n is not None]
            if values:
                share[f"h|{fld}"] = float(sum(values))
    if rig.get("counted"):
        share[f"ha|{rig.get('algorithm')}"] = 1
    return share


PAGES = PageTables()


def edited(sender, instance, raw=False, **kwargs):
    """A section saved or deleted: its page's tables go (their keys may have moved); the next view, or
    the poller's next batch for the Summary page, builds them again."""
    if raw:
        return
    keys = list(ReadyTable.objects.filter(key__startswith=f"page:{instance.page_id}:").values_list("key", flat=True))
    if keys:
        ReadyRow.objects.filter(table__in=keys).delete()
        ReadyScope.objects.filter(table__in=keys).delete()
        ReadyTable.objects.filter(key__in=keys).delete()
