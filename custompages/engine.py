"""The custom page engine: section definitions + rig data in, tables out.

miner.php's custom summary pages, rebuilt as plain functions over plain data
(no ORM, request or template here). A rig is a dict:

    {"name": "rig1", "sections": {"SUMMARY": [...], "POOLS": [...], "DEVS": [...], ...},
     "place": {"Site": "Oslo", "Rack": "A1", "Position": "2,1", "Tags": "hot, s19"}}

with sections as the poller stores them (the cgminer API's names) and, for a section that names a RIGS
field, where the rig stands (its rows get RIGS.Site, RIGS.Rack, RIGS.Position, RIGS.Tags). A section
definition is a dict:

    {"section": "SUMMARY+POOL", "fields": ["POOL.URL=Pool", "SUMMARY.Elapsed"],
     "totals": ["POOL.Accepted"], "where": [["POOL.Status", "eq", "Alive"]],
     "group": ["POOL.URL"], "calc": {"POOL.Accepted": "sum"}, "having": [...],
     "gen": {"Rate": "POOL.Difficulty Accepted/max(POOL.Accepted,1)"}, "bgen": {...}}

The extension runs in miner.php's order: where -> bgen -> group/calc -> gen -> having
(the steps themselves are in rowops.py).
A field may name alternatives, 'GEN.GHS av=GH/s av||SUMMARY.MHS av=MHS av': the first one
that has data is shown. ``formats`` names a format per field (see rigs.web.field_display.NAMED).
"""

from dataclasses import dataclass, field
from typing import Any

from .checks import validate
from .definition import (
    FIXED,
    JOINS,
    PLACE,
    RIG_PLACE_FIELDS,
    STANDARD,
    Definition,
    PageError,
    Row,
    alternatives,
    plain_names,
    section_parts,
    uses_place,
)
from .rowops import apply_gen, calc, group_rows, passes, sort_key

DEVICE_KINDS = ("ASC", "PGA", "GPU", "CPU")


@dataclass
class Result:
    """One table of a custom page: columns (header, source field) and rows of values."""

    title: str
    columns: list[tuple[str, str]]  # [(header, field)]
    rows: list[Row] = field(default_factory=list)  # [{"_rig": name, field: value, "_errors": {field: reason}}]
    totals: Row | None = None
    grouped: bool = False


# ---------------------------------------------------------------- rows


def _records(rig, part):
    api, kind = STANDARD[part]
    records = [r for r in (rig.get("sections") or {}).get(api) or [] if isinstance(r, dict)]
    if kind:
        records = [r for r in records if kind in r]
    if api in ("DEVS", "EDEVS"):  # GPUs have no Name and ID: miner.php makes them 'GPU' and the GPU number
        records = [{**r, "Name": "GPU", "ID": r["GPU"]} if "GPU" in r and "Name" not in r else r for r in records]
    return records


def device_key(rec: Row) -> tuple[str, str] | None:
    """(Name, ID) of a device; GPU devices without them get ('GPU', index)."""
    if "Name" in rec and "ID" in rec:
        return str(rec["Name"]), str(rec["ID"])
    for kind in DEVICE_KINDS:
        if kind in rec:
            return kind, str(rec[kind])
    return None


def _prefixed(prefix, rec, names):
    """``rec`` with its fields named "PREFIX.field". ``names``: {prefix: {field: its name}}, the names made
    so far, so that every row of a computation shares one string per name (a section across 100,000 rigs
    holds millions of them at once)."""
    made = names.setdefault(prefix, {})
    out = {}
    for k, v in rec.items():
        name = made.get(k)
        if name is None:
            name = made[k] = f"{prefix}.{k}"
        out[name] = v
    return out


def rig_rows(rig: dict[str, Any], name: str, names: dict[str, dict[str, str]] | None = None) -> list[Row]:
    """The rows of one rig for a plain or joined section, in miner.php's order. ``names``: see _prefixed
    (one per computation: the fields of the rigs' records are theirs, so it is not kept beyond it)."""
    names = {} if names is None else names
    parts = section_parts(name)
    if len(parts) == 1:
        return [dict(r) for r in _records(rig, parts[0])]
    left, right = parts
    lrecs, rrecs = _records(rig, left), _records(rig, right)
    how = JOINS[(left, right)]
    rows = []
    for lrec in lrecs:
        for rrec in rrecs:
            if how == "device":
                lk = device_key(lrec)
                if lk is None or lk != device_key(rrec):
                    continue
            elif how == "stats":
                lk = device_key(lrec)
                if lk is None or f"{lk[0]}{lk[1]}" != str(rrec.get("ID")):
                    continue
            elif how == "poolstats":
                if f"POOL{lrec.get('POOL')}" != str(rrec.get("ID")):
                    continue
            elif how == "user" and lrec.get("User") != rrec.get("User"):
                continue
            rows.append({**_prefixed(left, lrec, names), **_prefixed(right, rrec, names)})
    return rows


def place_fields(rig: dict[str, Any]) -> Row:
    """RIGS.Site, RIGS.Rack, RIGS.Position and RIGS.Tags of a rig (its "place": {"Site": ...}; "" unknown)."""
    place = rig.get("place") or {}
    return {f"{PLACE}{name}": str(place.get(name) or "") for name in RIG_PLACE_FIELDS}


# ---------------------------------------------------------------- the page


def build_section(definition: Definition, rigs: list[dict[str, Any]], whole: bool = True) -> Result:
    """One table from one section definition over all rigs (in the order given). ``whole``: its columns
    and Σ row too (else the rows alone: a page kept rig by rig works those out from every rig's share)."""
    validate(definition, formulas=False)  # formulas compile against the rows' own fields
    definition = plain_names(definition)
    name = definition["section"]
    if name in FIXED:
        raise PageError(f"{name} is drawn by the page, not the engine")
    rows = []
    placed = uses_place(definition)
    names: dict[str, dict[str, str]] = {}
    for rig in rigs:
        place = place_fields(rig) if placed else None
        for r in rig_rows(rig, name, names):
            if place:
                r.update(place)
            r["_rig"] = rig.get("name", "")
            if rig.get("totals") is False:  # a pool: its hashrate is its miners'
                r["_nototal"] = True
            rows.append(r)
    rows = [r for r in rows if passes(r, definition.get("where", []))]
    own = None if "+" in name else name  # a plain section's formulas may write its prefix
    apply_gen(rows, definition.get("bgen", {}), "BGEN", own)
    grouped = bool(definition.get("group"))
    if grouped:
        group = [_first_present(g.split("||"), rows) for g in definition["group"]]
        rows = group_rows(rows, group, definition.get("calc", {}))
    apply_gen(rows, definition.get("gen", {}), "GEN", own)
    rows = [r for r in rows if passes(r, definition.get("having", []))]
    for spec in reversed(definition.get("sort", [])):  # rig order, record order, unless sorted
        fld = spec.lstrip("-")
        rows.sort(key=lambda r: sort_key(r.get(fld)), reverse=spec.startswith("-"))
    counts: dict[object, int] = {}
    for r in rows:  # '#' numbers the rows shown, per rig (one pseudo-rig when grouped)
        r["#"] = counts[r.get("_rig")] = counts.get(r.get("_rig"), 0) + 1
    if not whole:
        return Result(definition.get("title") or name, [], rows, None, grouped)
    columns = _columns(definition, rows)
    totals = _totals(definition, rows)
    return Result(definition.get("title") or name, columns, rows, totals, grouped)


def _has_data(fld, rows):
    return any(fld in r or fld in r.get("_errors", {}) for r in rows)


def _first_present(names, rows):
    """Of alternative names, the first that some row has (else the first)."""
    return next((n for n in names if _has_data(n, rows)), names[0])


def _columns(definition, rows):
    """Fields in the order given, renames as headers, '*' for all, the first alternative
    with data, columns with no data dropped."""
    fields = {}  # every field some row has, in first-seen order
    errors = set()  # and those some row has an error for
    for r in rows:
        fields.update(dict.fromkeys(r))
        if "_errors" in r:
            errors.update(r["_errors"])
    seen = [k for k in fields if not k.startswith("_")]
    present = errors.union(fields)
    gens = [f"GEN.{g}" for g in definition.get("gen", {})] + [f"BGEN.{g}" for g in definition.get("bgen", {})]
    specs = list(definition.get("fields", [])) or ["*"]
    columns: list[tuple[str, str]] = []
    for spec in specs:
        alts = alternatives(spec)
        name, header = next(((n, h) for n, h in alts if n in fields), None) or \
            next(((n, h) for n, h in alts if n in present), alts[0])
        if name == "*":
            columns.extend((k, k) for k in seen if k != "#" and (k, k) not in columns)
        else:
            columns.append((header, name))
    listed = {n for spec in specs for n, _ in alternatives(spec)}
    for g in gens:  # formulas are shown even when the field list forgot them
        if g not in listed:
            columns.append((g.split(".", 1)[1], g))
    return [(h, f) for h, f in columns if f == "#" or f in present]


def _totals(definition, rows):
    """The Σ row: the totals fields summed, and '#' (always, as miner.php) the number of rows.
    Rows of rigs given with "totals": False are not added."""
    rows = [r for r in rows if not r.get("_nototal")]
    if not rows:
        return None
    totals = {}
    if any(alternatives(f)[0][0] == "#" for f in definition.get("fields", [])):
        totals["#"] = len(rows)
    for fld in definition.get("totals", []):
        if fld == "#":
            totals["#"] = len(rows)
            continue
        value = calc([r.get(fld) for r in rows], "sum")
        if value is not None:
            totals[fld] = value
    return totals or None


def build_page(definitions: list[Definition], rigs: list[dict[str, Any]]) -> list[Result | PageError | str]:
    """Every table of a page; a broken section becomes an error, not a broken page."""
    out: list[Result | PageError | str] = []
    for d in definitions:
        if d.get("section") in FIXED:
            out.append(d["section"])
            continue
        try:
            out.append(build_section(d, rigs))
        except PageError as exc:
            out.append(PageError(f"{d.get('section', '?')}: {exc}"))
    return out
