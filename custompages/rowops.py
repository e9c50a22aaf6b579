"""The steps a custom page section takes over its rows, in miner.php's terms: restrictions
(where/having), formulas (bgen/gen), grouping with its calcs, and the sort order.

Plain functions over lists of row dicts; the engine runs them in miner.php's order.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rigs.web.php import php_str

from .definition import Row
from .formula import FormulaError, compile_formula


def _num(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    try:
        return float(str(v))
    except (TypeError, ValueError):
        return None


def passes(row: Row, tests: Iterable[Sequence[Any]]) -> bool:
    """All restrictions hold, as miner.php's docompare(): 'set' drops a row without the field
    (an empty value is set); any other test passes a row without the field."""
    for test in tests:
        fld, op = test[0], test[1]
        if op == "set":
            if row.get(fld) is None:
                return False
            continue
        if fld not in row:
            continue
        value = row[fld]
        want = test[2]
        if op in ("=", "<", "<=", ">", ">="):
            a, b = _num(value), _num(want)
            if a is None or b is None:
                return False
            ok = {"=": a == b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        else:
            a, b = str(value).lower(), str(want).lower()
            ok = {"eq": a == b, "lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b,
                  "sub": a.startswith(b), "!sub": not a.startswith(b)}[op]
        if not ok:
            return False
    return True


def apply_gen(rows: list[Row], gens: Mapping[str, str], prefix: str, own: str | None = None) -> None:
    """Add GEN.name / BGEN.name to each row; a failing formula leaves a blank with its reason.
    ``own``: the plain section the rows are of, whose prefix a formula may write ('POOL.Accepted')."""
    for gname, text in gens.items():
        key = f"{prefix}.{gname}"
        fields: set[str] = set()
        for r in rows:
            fields.update(r)
        fields.discard("_rig")
        if own:
            fields.update([f"{own}.{f}" for f in fields])
        try:
            formula = compile_formula(text, sorted(fields))
        except FormulaError as exc:
            for r in rows:
                r.setdefault("_errors", {})[key] = str(exc)
            continue
        aliases = {f: f[len(own) + 1:] for f in formula.fields if own and f.startswith(f"{own}.")}
        for r in rows:
            try:
                r[key] = formula.evaluate({**r, **{f: r[b] for f, b in aliases.items() if b in r}} if aliases else r)
            except FormulaError as exc:
                r.setdefault("_errors", {})[key] = exc.message


INTEGER = re.compile(r"^\s*[-+]?\d+\s*$")


def php_number(value: Any) -> Any:
    """A computed number as PHP holds it: integers stay integers, floats keep 14 digits."""
    if isinstance(value, float):
        text = php_str(value)
        return int(text) if INTEGER.match(text) else float(text) if "INF" not in text and "NAN" not in text else value
    return value


def calc(values: Iterable[Any], how: str) -> Any:
    """miner.php's docalc() over the rows that have the field; sums of integers are integers."""
    present = [v for v in values if v is not None and v != ""]
    if how == "count":
        return len(present)
    if how == "any":
        return present[0] if present else None
    if how in ("lo", "hi"):
        if not present:
            return None
        return (min if how == "lo" else max)(present, key=lambda v: str(v).lower())
    pairs = [(v, n) for v, n in ((v, _num(v)) for v in present) if n is not None]
    if not pairs:
        return None
    if how in ("min", "max"):
        return (min if how == "min" else max)(pairs, key=lambda p: p[1])[0]
    if all(type(v) is int or (isinstance(v, str) and INTEGER.match(v)) for v, _ in pairs):
        total = sum(int(v) for v, _ in pairs)
    else:
        total = sum(n for _, n in pairs)
    return php_number(total / len(pairs) if how == "avg" else total)


def sort_key(value: Any) -> tuple[int, float, str]:
    """Numbers in numeric order, then text case-insensitively, missing values last."""
    if value is None or value == "":
        return (2, 0, "")
    n = _num(value)
    return (0, n, "") if n is not None else (1, 0, str(value).lower())


def group_rows(rows: Iterable[Row], group: Sequence[str], calcs: Mapping[str, str]) -> list[Row]:
    """Group by the fields' values (first appearance order); only group and calc fields remain."""
    groups: dict[tuple[str, ...], list[Row]] = {}
    for r in rows:
        if r.get("_nototal"):
            continue
        key = tuple(str(r.get(f, "")) for f in group)
        groups.setdefault(key, []).append(r)
    out = []
    for members in groups.values():
        row = {f: members[0].get(f) for f in group if f in members[0]}
        for fld, how in calcs.items():
            value = calc([m.get(fld) for m in members], str(how).lower())
            if value is not None:
                row[fld] = value
        out.append(row)
    return out
