"""The custom page engine: section definitions + rig data in, tables out.

miner.php's custom summary pages, rebuilt as plain functions over plain data
(no ORM, request or template here). A rig is a dict:

    {"name": "rig1", "sections": {"SUMMARY": [...], "POOLS": [...], "DEVS": [...], ...}}

with sections as the poller stores them (the cgminer API's names). A section
definition is a dict:

    {"section": "SUMMARY+POOL", "fields": ["POOL.URL=Pool", "SUMMARY.Elapsed"],
     "totals": ["POOL.Accepted"], "where": [["POOL.Status", "eq", "Alive"]],
     "group": ["POOL.URL"], "calc": {"POOL.Accepted": "sum"}, "having": [...],
     "gen": {"Rate": "POOL.Difficulty Accepted/max(POOL.Accepted,1)"}, "bgen": {...}}

The extension runs in miner.php's order: where -> bgen -> group/calc -> gen -> having
(the steps themselves are in rowops.py).
A field may name alternatives, 'GEN.GHS av=GH/s av||SUMMARY.MHS av=MHS av': the first one
that has data is shown. ``formats`` names a format per field (see rigs.field_formats.NAMED).
"""

from dataclasses import dataclass, field

from .rowops import apply_gen, calc, group_rows, passes, sort_key

# Page section name -> the stored API section and, for device kinds, a filter.
STANDARD = {
    "SUMMARY": ("SUMMARY", None), "POOL": ("POOLS", None), "DEVS": ("DEVS", None), "EDEVS": ("EDEVS", None),
    "ASC": ("DEVS", "ASC"), "PGA": ("DEVS", "PGA"), "GPU": ("DEVS", "GPU"), "NOTIFY": ("NOTIFY", None),
    "DEVDETAILS": ("DEVDETAILS", None), "STATS": ("STATS", None), "ESTATS": ("ESTATS", None),
    "CONFIG": ("CONFIG", None), "COIN": ("COIN", None), "USBSTATS": ("USBSTATS", None),
    "VERSION": ("VERSION", None),
    # ckpool and XMRigCC server rigs
    "POOLSTATUS": ("POOLSTATUS", None), "USERS": ("USERS", None), "WORKERS": ("WORKERS", None),
    "CLIENTS": ("CLIENTS", None),
}
FIXED = {"DATE", "RIGS"}
DEVICE_KINDS = ("ASC", "PGA", "GPU", "CPU")

# Allowed joins and how rows pair up (miner.php's joinsections()).
JOINS = {
    **{("SUMMARY", right): "all" for right in ("POOL", "DEVS", "EDEVS", "CONFIG", "COIN")},
    **{(left, right): "device" for left in ("DEVS", "EDEVS") for right in ("NOTIFY", "DEVDETAILS", "USBSTATS")},
    **{(left, right): "stats" for left in ("DEVS", "EDEVS") for right in ("STATS", "ESTATS")},
    ("POOL", "STATS"): "poolstats",
    ("USERS", "WORKERS"): "user",
    **{("POOLSTATUS", right): "all" for right in ("USERS", "WORKERS")},
    ("SUMMARY", "CLIENTS"): "all",
}
RESTRICTIONS = {"set", "=", "<", "<=", ">", ">=", "eq", "lt", "le", "gt", "ge", "sub", "!sub"}  # sub: starts with
CALCS = {"sum", "avg", "min", "max", "lo", "hi", "count", "any"}


class PageError(ValueError):
    """A definition that cannot work: names the part and what is wrong."""


@dataclass
class Result:
    """One table of a custom page: columns (header, source field) and rows of values."""

    title: str
    columns: list  # [(header, field)]
    rows: list = field(default_factory=list)  # [{"_rig": name, field: value, "_errors": {field: reason}}]
    totals: dict | None = None
    grouped: bool = False


# ---------------------------------------------------------------- validation


def alternatives(spec):
    """'GEN.A=A||SUMMARY.MHS av=MHS av' -> [('GEN.A', 'A'), ('SUMMARY.MHS av', 'MHS av')]"""
    if not isinstance(spec, str) or not spec.strip():
        raise PageError("a field name is empty")
    return [parse_field(alt) for alt in spec.split("||")]


def parse_field(spec):
    """'POOL.URL=Pool' -> ('POOL.URL', 'Pool'); '*' and '#' are allowed."""
    if not isinstance(spec, str) or not spec.strip():
        raise PageError("a field name is empty")
    name, eq, header = spec.partition("=")
    name, header = name.strip(), header.strip()
    if not name:
        raise PageError(f"field '{spec}' has no name before '='")
    if eq and not header:
        raise PageError(f"field '{spec}' has an empty new name after '='")
    return name, header or name


def section_parts(name):
    parts = name.split("+")
    for p in parts:
        if p not in STANDARD and p not in FIXED:
            raise PageError(f"unknown section '{p}' (known: {', '.join(sorted(STANDARD) + sorted(FIXED))})")
    if len(parts) > 2:
        raise PageError(f"'{name}': only two sections can be joined")
    if len(parts) == 2 and (parts[0], parts[1]) not in JOINS:
        known = ", ".join(f"{a}+{b}" for a, b in JOINS)
        raise PageError(f"sections '{name}' cannot be joined (possible: {known})")
    return parts


def referenced_fields(definition):
    """Field names a definition mentions (fields, where, having, group, calc)."""
    names = {name for f in definition.get("fields", []) if isinstance(f, str) and f.strip()
             for name, _ in alternatives(f)}
    for key in ("where", "having"):
        names.update(t[0] for t in definition.get(key, []) if isinstance(t, (list, tuple)) and t)
    names.update(alt for g in definition.get("group", []) for alt in g.split("||"))
    names.update(definition.get("calc", {}))
    return names


# ---------------------------------------------------------------- rows


def _records(rig, part):
    api, kind = STANDARD[part]
    records = [r for r in (rig.get("sections") or {}).get(api) or [] if isinstance(r, dict)]
    if kind:
        records = [r for r in records if kind in r]
    if api in ("DEVS", "EDEVS"):  # GPUs have no Name and ID: miner.php makes them 'GPU' and the GPU number
        records = [{**r, "Name": "GPU", "ID": r["GPU"]} if "GPU" in r and "Name" not in r else r for r in records]
    return records


def device_key(rec):
    """(Name, ID) of a device; GPU devices without them get ('GPU', index)."""
    if "Name" in rec and "ID" in rec:
        return str(rec["Name"]), str(rec["ID"])
    for kind in DEVICE_KINDS:
        if kind in rec:
            return kind, str(rec[kind])
    return None


def _prefixed(prefix, rec):
    return {f"{prefix}.{k}": v for k, v in rec.items()}


def rig_rows(rig, name):
    """The rows of one rig for a plain or joined section, in miner.php's order."""
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
            elif how == "user":
                if lrec.get("User") != rrec.get("User"):
                    continue
            rows.append({**_prefixed(left, lrec), **_prefixed(right, rrec)})
    return rows


# ---------------------------------------------------------------- the page


def plain_names(definition):
    """In a section that is not a join, 'POOL.Status' means its field 'Status' (as the
    README's `POOL.Status eq Alive` is written): the section's own prefix is dropped."""
    name = definition.get("section", "")
    if "+" in name or name in FIXED:
        return definition
    prefix = f"{name}."

    def bare(f):
        return f[len(prefix):] if isinstance(f, str) and f.startswith(prefix) else f

    def bare_spec(spec):  # 'POOL.URL=Pool', '-POOL.Accepted'
        sign = "-" if isinstance(spec, str) and spec.startswith("-") else ""
        return sign + bare(spec[len(sign):]) if isinstance(spec, str) else spec

    out = dict(definition)
    for key in ("fields", "totals", "group", "sort"):
        if key in out:
            out[key] = [bare_spec(f) for f in out[key]]
    for key in ("where", "having"):
        if key in out:
            out[key] = [[bare(t[0]), *t[1:]] if isinstance(t, (list, tuple)) and t else t for t in out[key]]
    if isinstance(out.get("calc"), dict):
        out["calc"] = {bare(k): v for k, v in out["calc"].items()}
    return out


def build_section(definition, rigs):
    """One table from one section definition over all rigs (in the order given)."""
    from .checks import validate  # checks.py builds on this module's parsing

    validate(definition, formulas=False)  # formulas compile against the rows' own fields
    definition = plain_names(definition)
    name = definition["section"]
    if name in FIXED:
        raise PageError(f"{name} is drawn by the page, not the engine")
    rows = []
    for rig in rigs:
        for r in rig_rows(rig, name):
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
    counts = {}
    for r in rows:  # '#' numbers the rows shown, per rig (one pseudo-rig when grouped)
        r["#"] = counts[r.get("_rig")] = counts.get(r.get("_rig"), 0) + 1
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
    columns = []
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


def build_page(definitions, rigs):
    """Every table of a page; a broken section becomes an error, not a broken page."""
    out = []
    for d in definitions:
        if d.get("section") in FIXED:
            out.append(d["section"])
            continue
        try:
            out.append(build_section(d, rigs))
        except PageError as exc:
            out.append(PageError(f"{d.get('section', '?')}: {exc}"))
    return out
