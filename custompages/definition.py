"""What a section definition says, before any rig is read: the sections a page may name and join,
the restrictions and calc functions it may use, how a field spec ('POOL.URL=Pool||...') parses, and
the PageError a definition that cannot work raises. The engine builds tables with these words and
checks.py validates definitions with them. Plain Python over plain data."""

from typing import Any, TypeAlias

# One section definition as a page stores it: {"section": "POOL", "fields": [...], "where": [...], ...}.
Definition: TypeAlias = dict[str, Any]
# One row of a table: field name -> the value a rig sent or a formula computed; "_rig" names its rig.
Row: TypeAlias = dict[str, Any]

# Page section name -> the stored API section and, for device kinds, a filter.
STANDARD = {
    "SUMMARY": ("SUMMARY", None), "POOL": ("POOLS", None), "DEVS": ("DEVS", None), "EDEVS": ("EDEVS", None),
    "ASC": ("DEVS", "ASC"), "PGA": ("DEVS", "PGA"), "GPU": ("DEVS", "GPU"), "NOTIFY": ("NOTIFY", None),
    "DEVDETAILS": ("DEVDETAILS", None), "STATS": ("STATS", None), "ESTATS": ("ESTATS", None),
    "CONFIG": ("CONFIG", None), "COIN": ("COIN", None), "USBSTATS": ("USBSTATS", None),
    "VERSION": ("VERSION", None),
    # and the drivers' own sections (a ckpool's POOLSTATUS, USERS, WORKERS; an XMRigCC server's CLIENTS),
    # added by add_sections() when the app starts
}
FIXED = {"DATE", "RIGS"}
# Where each rig stands (the farm app's farm.scope.places_of): fields of a rig's RIGS record, named
# RIGS.Site, RIGS.Rack, RIGS.Position ("row,column", empty outside a slot) and RIGS.Tags (the tag
# names in order, joined by ", "). They are in the field catalogue; the engine adds them to every row
# of a section that names one (uses_place), from its rig's "place" (inputs.py passes them in).
RIG_PLACE_FIELDS = ("Site", "Rack", "Position", "Tags")
PLACE = "RIGS."

# Allowed joins and how rows pair up (miner.php's joinsections()).
JOINS = {
    **{("SUMMARY", right): "all" for right in ("POOL", "DEVS", "EDEVS", "CONFIG", "COIN")},
    **{(left, right): "device" for left in ("DEVS", "EDEVS") for right in ("NOTIFY", "DEVDETAILS", "USBSTATS")},
    **{(left, right): "stats" for left in ("DEVS", "EDEVS") for right in ("STATS", "ESTATS")},
    ("POOL", "STATS"): "poolstats",
    # and the drivers' own sections' joins, added by add_sections()
}
RESTRICTIONS = {"set", "=", "<", "<=", ">", ">=", "eq", "lt", "le", "gt", "ge", "sub", "!sub"}  # sub: starts with
CALCS = {"sum", "avg", "min", "max", "lo", "hi", "count", "any"}


def add_sections(sections: tuple[str, ...], joins: dict[tuple[str, str], str]) -> None:
    """Let pages name the sections of other kinds of rig (their drivers declare them; custompages'
    AppConfig.ready() passes them in, so this module stays plain Python and imports no driver)."""
    STANDARD.update({section: (section, None) for section in sections})
    JOINS.update(joins)


class PageError(ValueError):
    """A definition that cannot work: names the part and what is wrong."""


def alternatives(spec: str) -> list[tuple[str, str]]:
    """'GEN.A=A||SUMMARY.MHS av=MHS av' -> [('GEN.A', 'A'), ('SUMMARY.MHS av', 'MHS av')]"""
    if not isinstance(spec, str) or not spec.strip():
        raise PageError("a field name is empty")
    return [parse_field(alt) for alt in spec.split("||")]


def parse_field(spec: str) -> tuple[str, str]:
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


def section_parts(name: str) -> list[str]:
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


def referenced_fields(definition: Definition) -> set[str]:
    """Field names a definition mentions (fields, where, having, group, calc)."""
    names = {name for f in definition.get("fields", []) if isinstance(f, str) and f.strip()
             for name, _ in alternatives(f)}
    for key in ("where", "having"):
        names.update(t[0] for t in definition.get(key, []) if isinstance(t, (list, tuple)) and t)
    names.update(alt for g in definition.get("group", []) for alt in g.split("||"))
    names.update(definition.get("calc", {}))
    return names


def uses_place(definition: Definition) -> bool:
    """Whether a definition names a RIGS field (RIGS.Site...) anywhere: its fields, totals, sort, where,
    having, group, calc or formulas. Only then do its rows carry them."""
    names = [*definition.get("fields", []), *definition.get("totals", []), *definition.get("sort", []),
             *definition.get("group", []), *(definition.get("calc") or {}),
             *(definition.get("gen") or {}).values(), *(definition.get("bgen") or {}).values()]
    names += [t[0] for key in ("where", "having") for t in definition.get(key, [])
              if isinstance(t, (list, tuple)) and t]
    return any(isinstance(n, str) and PLACE in n for n in names)


def plain_names(definition: Definition) -> Definition:
    """In a section that is not a join, 'POOL.Status' means its field 'Status' (as the
    README's `POOL.Status eq Alive` is written): the section's own prefix is dropped."""
    name = definition.get("section", "")
    if "+" in name or name in FIXED:
        return definition
    prefix = f"{name}."

    def bare(f: Any) -> Any:
        return f[len(prefix):] if isinstance(f, str) and f.startswith(prefix) else f

    def bare_spec(spec: Any) -> Any:  # 'POOL.URL=Pool', '-POOL.Accepted'
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
