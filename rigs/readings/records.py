"""What a record of a rig's reply is: a device's name, the pool the rig mines on. Plain functions."""

from collections.abc import Iterable, Mapping
from typing import Any

from rigs.drivers.cgminer.protocol import as_number


def device_name(d: Mapping[str, Any]) -> str:
    for kind in ("ASC", "PGA", "GPU", "CPU"):
        if kind in d:
            name = d.get("Name")
            return f"{kind} {d[kind]}" + (f" ({name} {d.get('ID', '')})" if name else "")
    return str(d.get("Name", "?"))


def active_pool(pools: Iterable[Any]) -> dict[str, Any] | None:
    """The pool the rig mines on: the best-priority Alive pool (Stratum Active may be
    true for backup pools too)."""
    alive = [p for p in pools if isinstance(p, dict) and p.get("Status") == "Alive"]
    if not alive:
        return None
    return min(alive, key=lambda p: (as_number(p.get("Priority")) or 0))
