"""Privileged commands, described once: parameters with types and ranges, the device
kinds it applies to, whether it is dangerous. Each driver lists the commands its kind
takes (rigs/drivers/); forms, validation, the bulk runner and the API use these
descriptions through ``COMMANDS``. Plain Python, no Django.
"""

from rigs.drivers.cgminer.protocol import as_number
from rigs.drivers.described import CLIENT, POOL, SECRET, URL_SCHEMES, Command, Param  # noqa: F401  (re-exported)


def __getattr__(name):
    """``COMMANDS``: every driver's commands by name (built on first use, from the drivers)."""
    if name == "COMMANDS":
        from rigs.drivers import commands

        return commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Invalid(ValueError):
    def __init__(self, errors):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def pool_ids(sections):
    return {int(n) for p in sections.get("POOLS") or [] if isinstance(p, dict)
            for n in [as_number(p.get("POOL"))] if n is not None}


def client_ids(sections):
    return {str(c.get("Client")) for c in sections.get("CLIENTS") or [] if isinstance(c, dict) and c.get("Client")}


def device_ids(sections, kind):
    ids = set()
    for d in sections.get("DEVS") or []:
        if isinstance(d, dict) and kind in d and as_number(d[kind]) is not None:
            ids.add(int(as_number(d[kind])))
    return ids


def clean(command, values, sections):
    """Validate form values against the command and the rig's latest snapshot.

    Returns the cleaned values {param: value}; raises Invalid({param: message}).
    """
    errors, out = {}, {}
    for p in command.params:
        value = values.get(p.name)
        raw = "" if value is None else str(value).strip()  # a numeric 0 is a value, not a missing one
        if not raw:
            if p.required and p.kind != "bool":
                errors[p.name] = "required"
            out[p.name] = False if p.kind == "bool" else None
            continue
        try:
            out[p.name] = _clean_one(p, raw, command, sections)
        except ValueError as exc:
            errors[p.name] = str(exc)
    if errors:
        raise Invalid(errors)
    return out


def _clean_one(p, raw, command, sections):
    if p.kind in ("int", "pool", "device"):
        try:
            n = int(raw)
        except ValueError:
            raise ValueError(f"'{raw}' is not a whole number") from None
        if p.kind == "pool":
            known = pool_ids(sections)
            if n not in known:
                raise ValueError(f"the rig has no pool {n}"
                                 + (f" (pools: {', '.join(map(str, sorted(known)))})" if known else ""))
        elif p.kind == "device":
            known = device_ids(sections, command.device_kind())
            if n not in known:
                raise ValueError(f"the rig has no {command.device_kind()} {n}")
        elif (p.lo is not None and n < p.lo) or (p.hi is not None and n > p.hi):
            raise ValueError(f"must be between {p.lo:g} and {p.hi:g}")
        return n
    if p.kind == "float":
        try:
            f = float(raw)
        except ValueError:
            raise ValueError(f"'{raw}' is not a number") from None
        if not (p.lo <= f <= p.hi):
            raise ValueError(f"must be between {p.lo:g} and {p.hi:g}")
        return f
    if p.kind == "pools":
        try:
            order = [int(x) for x in raw.split(",") if x.strip()]
        except ValueError:
            raise ValueError("a comma-separated list of pool numbers") from None
        known = pool_ids(sections)
        if not order or len(set(order)) != len(order) or not set(order) <= known:
            raise ValueError(f"each pool once, from {sorted(known)}")
        return order
    if p.kind == "intensity":
        if raw.upper() == "D":
            return "D"
        if raw.isascii() and raw.isdigit() and 8 <= int(raw) <= 31:
            return raw
        raise ValueError("D (dynamic) or 8 to 31")
    if p.kind == "choice":
        if raw not in {c for c, _ in p.choices}:
            raise ValueError(f"one of {', '.join(c for c, _ in p.choices)}")
        return raw
    if p.kind == "bool":
        return raw.lower() in ("1", "true", "on", "yes", "y")
    if p.kind == "url":
        if not raw.startswith(URL_SCHEMES) or len(raw) < 12 or any(c.isspace() for c in raw):
            raise ValueError("a pool URL such as stratum+tcp://pool.example.com:3333")
        hostport = raw.split("://", 1)[1].split("/", 1)[0]
        port = hostport.rpartition(":")[2]
        if ":" in hostport and not hostport.endswith("]") and not (port.isdigit() and 1 <= int(port) <= 65535):
            raise ValueError(f"the port must be a number from 1 to 65535, not {port[:20]!r}")
        return raw
    if p.kind == "client":
        known = client_ids(sections)
        if raw not in known:
            raise ValueError("the server lists no such client")
        return raw
    if p.kind == "script":
        if len(raw) > 65536 or any(ord(c) < 32 and c not in "\n\r\t" for c in raw):
            raise ValueError("at most 64 KB of text")
        return raw.replace("\r\n", "\n")
    if len(raw) > 200 or any(ord(c) < 32 for c in raw):
        raise ValueError("at most 200 printable characters")
    return raw


def redacted(command, cleaned):
    """The values for the audit log, secrets replaced."""
    return {p.name: (SECRET if p.kind == "secret" and cleaned.get(p.name) else cleaned.get(p.name))
            for p in command.params if cleaned.get(p.name) not in (None, "")}


def for_rig(sections, rig_kind="cgminer"):
    """The commands that apply to a rig, given its kind and devices."""
    kinds = {k for d in sections.get("DEVS") or [] if isinstance(d, dict) for k in ("ASC", "PGA", "GPU") if k in d}
    from rigs.drivers import commands

    return [c for c in commands().values() if rig_kind in c.rig_kinds and (not c.kinds or set(c.kinds) & kinds)]
