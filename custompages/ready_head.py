"""What a custom page's table kept rig by rig (ready.py) draws beside its rows, from its rigs' shares
added up: its columns (the engine's rule, over the fields any rig's rows have), the columns hidden at
narrow widths, and the Σ row."""

from rigs.web.shares import total
from rigs.web.tables import foot_html
from rigs.web.view_models import tz

from . import engine
from .cells import column_fields, narrow_hidden, totals_row
from .rowops import php_number

SEVERAL = "several algorithms: their hashrates do not add up"


def columns_of(definition, sums):
    """The engine's columns for rows that have the fields the shares say some rig's rows have."""
    fields = [name[2:] for name in sums if name.startswith("f|")]
    errors = [name[2:] for name in sums if name.startswith("e|")]
    if not fields and not errors:
        return engine._columns(definition, [])
    return engine._columns(definition, [{**dict.fromkeys(fields, 1), "_errors": dict.fromkeys(errors, "")}])


def head_of(sums, spec):
    definition = spec.plain
    columns = columns_of(definition, sums)
    narrow = narrow_hidden(columns, False)
    head = {"columns": [list(c) for c in columns], "narrow": sorted(narrow),
            "title": definition.get("title") or definition["section"], "grouped": False, "foot": ""}
    if not total(sums, "t|", 0):
        return head
    totals = {}
    if total(sums, "t|#") is not None:
        totals["#"] = total(sums, "t|#")
    for fld in definition.get("totals", []):
        value = total(sums, f"t|{fld}")
        if fld != "#" and value is not None:
            totals[fld] = php_number(value)
    if not totals:
        return head
    several = sum(1 for name in sums if name.startswith("ha|")) > 1

    def honest(field):
        return (None, SEVERAL) if several else (total(sums, f"h|{field}"), "")

    fields = column_fields([f for _, f in columns], definition["section"])
    row = totals_row(fields, totals, honest, False, spec.definition.get("formats") or {}, tz(), narrow)
    head["foot"] = foot_html([row])
    return head
