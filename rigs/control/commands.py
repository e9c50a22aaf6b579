"""Privileged commands, described once: parameters with types and ranges, the device
kinds it applies to, whether it is dangerous. Each driver lists the commands its kind
takes (rigs/drivers/); the forms and the validation (params.py: a Django form built from a
description), the bulk runner and the API use these descriptions through ``COMMANDS``.
Plain Python, no Django.
"""

from collections.abc import Mapping
from typing import Any

from rigs.drivers.described import SECRET, Command


def __getattr__(name: str) -> Any:
    """``COMMANDS``: every driver's commands by name (built on first use, from the drivers)."""
    if name == "COMMANDS":
        from rigs.drivers import commands

        return commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def redacted(command: Command, cleaned: Mapping[str, Any]) -> dict[str, Any]:
    """The values for the audit log, secrets replaced."""
    return {p.name: (SECRET if p.kind == "secret" and cleaned.get(p.name) else cleaned.get(p.name))
            for p in command.params if cleaned.get(p.name) not in (None, "")}


def for_rig(sections: Mapping[str, Any], rig_kind: str = "cgminer") -> list[Command]:
    """The commands that apply to a rig, given its kind and devices."""
    kinds = {k for d in sections.get("DEVS") or [] if isinstance(d, dict) for k in ("ASC", "PGA", "GPU") if k in d}
    from rigs.drivers import commands

    return [c for c in commands().values() if rig_kind in c.rig_kinds and (not c.kinds or set(c.kinds) & kinds)]
