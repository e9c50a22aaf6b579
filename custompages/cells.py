"""Engine results -> the same cells as the standard pages (formatting, late shares, escaping): one row's
cells by field, the Σ row, the columns hidden at narrow widths. The page's tables are put together from
them by render.py (computed whole, for the API) and page_read.py (from ready rows)."""

from django.conf import settings

from rigs.readings.figures import number
from rigs.web import tables
from rigs.web.display import last_share_state
from rigs.web.field_display import fmt, formatter, named, rate_title

from . import engine

API_SECTION = {"POOL": "POOLS", "EDEVS": "DEVS", "ESTATS": "STATS", "ASC": "DEVS", "PGA": "DEVS", "GPU": "DEVS",
               "#": "#"}
RATE_FIELD = ("MHS ", "GHS ", "KHS ", "THS ", "Hashrate ")
DEVICE_PARTS = ("DEVS", "EDEVS", "ASC", "PGA", "GPU")
# The columns that stay at narrow widths in a wide custom table: rig, state, hashrate, status, last share.
NARROW_KEEP = {"State", "Status", "MHS av", "Hashrate av", "Hashrate now", "Last Share Time", "Late Share", "URL",
               "In Use", "Reasons"}
NARROW_FROM = 7  # a table of fewer columns (the Mobile page's) keeps them all


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


def column_fields(fields, section):
    """Per field: (field, section, name, its formatter (chosen once), rate or not)."""
    part = section.split("+")[0]
    out = []
    for field in fields:
        sec, name = split_field(field)
        out.append((field, sec, name, formatter(API_SECTION.get(sec or part, sec or part), name),
                    bool(rate_title(name, 1))))
    return out


def row_cells(r, fields, rig, when, formats, tz, section, grouped):
    """([cell per field of ``fields`` (column_fields)], the row's css) of one engine row; ``rig``: the
    engine's dict of its rig ({} for a grouped row)."""
    errors = r.get("_errors", {})
    cells = []
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
    part = section.split("+")[0]
    css = tables.row_css(rig.get("state", ""))
    devs = _record(r, "DEVS", section) if "+" in section and ("DEVS." in " ".join(r)) else (
        r if part in DEVICE_PARTS else {})
    late = last_share_state(devs, when) if devs and not grouped and settings.CHECK_LAST_SHARE else ""
    return cells, (f"{css} lst-{late}".strip() if late else css)


def rig_cell(r, rig):
    return tables.cell(r.get("_rig", ""), "rig", "", rig.get("href", ""))


def narrowed(cells, narrow):
    return [(c[0], f"{c[1]} n".lstrip(), *c[2:]) if k in narrow else c for k, c in enumerate(cells)]


def totals_row(fields, totals, honest, grouped, formats, tz, narrow=()):
    """The Σ row of a table: ``totals`` {field: value}; ``honest(field)``: (a rate column's total over
    rigs with current data that are not pools, or None with the reason when they mine different
    algorithms)."""
    cells = [] if grouped else [tables.cell("Σ", title="rigs without current data and pools are not added")]
    for field, sec, name, _, _ in fields:
        value = totals.get(field)
        if value is not None and not grouped and name.startswith(RATE_FIELD):
            value, why = honest(field)
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
    return tables.Row(narrowed(cells, narrow) if narrow else cells, "tot")


def honest_total(field, result, rigs_by_name):
    """A rate column's total over rigs with current data that are not pools, or None
    with the reason when the rows mine different algorithms."""
    rows = [r for r in result.rows if rigs_by_name.get(r.get("_rig"), {}).get("counted")]
    algos = {rigs_by_name[r["_rig"]].get("algorithm") for r in rows}
    if len(algos) > 1:
        return None, "several algorithms: their hashrates do not add up"
    values = [n for n in (number(r.get(field)) for r in rows) if n is not None]
    return (sum(values) if values else None), ""


def to_table(result, index, section, rigs_by_name, tz, formats=None, rows=None):
    """The table of an engine result, computed whole: the rows given (default: all of them) formatted,
    and the Σ row."""
    formats = formats or {}
    cols = ([] if result.grouped else [("Rig", False)]) + [(h, False) for h, _ in result.columns]
    t = tables.Table(f"custom-{index}", result.title, cols)
    t.narrow = narrow_hidden(result.columns, result.grouped)
    fields = column_fields([f for _, f in result.columns], section)
    first_when = next(iter(rigs_by_name.values()), {}).get("when", 0)  # a grouped table's, as miner.php
    for r in (result.rows if rows is None else rows):
        rig = {} if result.grouped else rigs_by_name.get(r.get("_rig"), {})
        when = first_when if result.grouped else rig.get("when", 0)
        cells, css = row_cells(r, fields, rig, when, formats, tz, section, result.grouped)
        cells = cells if result.grouped else [rig_cell(r, rig), *cells]
        t.rows.append(tables.Row(narrowed(cells, t.narrow) if t.narrow else cells, css))
    if result.totals:
        t.totals = totals_row(fields, result.totals, lambda f: honest_total(f, result, rigs_by_name),
                              result.grouped, formats, tz, t.narrow)
    return t


def narrow_hidden(columns, grouped):
    """Indices of the columns hidden below 700 px (class "n"), for a table of NARROW_FROM columns or more."""
    offset = 0 if grouped else 1
    if len(columns) + offset < NARROW_FROM:
        return set()
    return {k + offset for k, (_, fld) in enumerate(columns) if split_field(fld)[1].split(".")[-1] not in NARROW_KEEP}


def problems_of(result, rigs_by_name):
    """Per row: does it belong to a rig needing attention (grouped rows belong to none)."""
    if result.grouped:
        return [False] * len(result.rows)
    return [bool(rigs_by_name.get(r.get("_rig"), {}).get("problem")) for r in result.rows]


def row_text(row):
    if "_errors" in row:
        return " ".join(str(v) for k, v in row.items() if k != "_errors").lower()
    return " ".join(map(str, row.values())).lower()
