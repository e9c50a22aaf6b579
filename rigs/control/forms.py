"""Forms for the command descriptions, as plain data for templates (no logic there)."""

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.forms import BoundField, PasswordInput

from rigs import drivers
from rigs.drivers.described import Command
from rigs.readings.records import active_pool, device_name

from . import commands, params


def field(bound: BoundField, kept: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A form field as the template draws it, read from the command's Django form (params.py)."""
    widget = bound.field.widget
    f = {"name": bound.name, "label": bound.label, "input": getattr(widget, "input_type", "textarea"),
         "required": bound.field.required, "min": widget.attrs.get("min"), "max": widget.attrs.get("max"),
         "step": widget.attrs.get("step", "1"), "options": list(getattr(widget, "choices", ())),
         # what the user typed, shown again after a refusal; secrets are typed again
         "value": "" if kept is None or isinstance(widget, PasswordInput) else str(kept.get(bound.name, ""))[:2000]}
    if "placeholder" in widget.attrs:
        f["placeholder"] = widget.attrs["placeholder"]
    return f


def form(command: Command, sections: Mapping[str, Any], fixed: Mapping[str, Any] | None = None,
         kept: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """kept: {"command", "values", "error"} of a refused submission, shown again in its form."""
    fixed = fixed or {}
    mine = kept if kept and kept.get("command") == command.name else None
    values = mine["values"] if mine else None
    return {"command": command.name, "label": command.label, "dangerous": command.dangerous, "help": command.help,
            "fixed": fixed, "error": mine["error"] if mine else "", "open": mine is not None,
            "fields": [field(bound, values) for bound in params.form_class(command)(sections=sections)
                       if bound.name not in fixed]}


def client_rows(sections: Mapping[str, Any], offered: Collection[str], names: Sequence[str]) -> list[dict[str, Any]]:
    """A fleet's clients (XMRigCC): a row per client with the quick actions its driver names (the
    others are in the forms)."""
    rows = []
    for c in sections.get("CLIENTS") or []:
        if isinstance(c, dict) and c.get("Client"):
            rows.append({"id": str(c["Client"]), "actions": actions(names, offered)})
    return rows


POOL_ACTIONS = ("switchpool", "enablepool", "disablepool", "removepool")
POOL_INPUTS = ("addpool", "poolpriority")  # the forms POOL_INPUTS=false hides, as miner.php's $poolinputs


def actions(names: Sequence[str], offered: Collection[str]) -> list[tuple[str, str, bool]]:
    return [(n, commands.COMMANDS[n].label, commands.COMMANDS[n].dangerous) for n in names if n in offered]


def rig_controls(sections: Mapping[str, Any], rig_kind: str = "cgminer",
                 may: Callable[[str], bool] = lambda perm: not perm,
                 kept: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Per-pool, per-device and per-client action rows, and a form for every other command the kind offers.

    ``may(permission)`` says whether the viewer holds a command's extra permission;
    ``kept`` is a refused submission to show again in its form."""
    offered = {c.name for c in commands.for_rig(sections, rig_kind)}
    pools = [p for p in sections.get("POOLS") or [] if isinstance(p, dict)]
    current = active_pool(pools)
    pool_rows = []
    for p in pools if offered & set(POOL_ACTIONS) else []:
        n = params.pool_ids({"POOLS": [p]})
        if n:
            pool_rows.append({"id": n.pop(), "url": str(p.get("URL", "")), "status": str(p.get("Status", "")),
                              "in_use": p is current, "actions": actions(POOL_ACTIONS, offered)})
    device_rows = []
    for d in sections.get("DEVS") or []:
        kind = next((k for k in ("ASC", "PGA", "GPU") if k in d), None) if isinstance(d, dict) else None
        names = [f"{(kind or '').lower()}enable", f"{(kind or '').lower()}disable",
                 "gpurestart" if kind == "GPU" else f"{(kind or '').lower()}identify"]
        if kind is not None and offered & set(names):
            device_rows.append({"id": d[kind], "name": device_name(d), "status": str(d.get("Status", "")),
                                "actions": actions(names, offered)})
    client_actions = drivers.client_actions(rig_kind)
    quick = set(POOL_ACTIONS) | set(client_actions) | {
        f"{k}{a}" for k in ("asc", "pga", "gpu") for a in ("enable", "disable", "identify")} | {"gpurestart"}
    return {"pools": pool_rows, "devices": device_rows,
            "clients": client_rows(sections, offered, client_actions) if offered & set(client_actions) else [],
            "access": drivers.can(rig_kind, "check_access"),
            "forms": [form(c, sections, kept=kept) for c in commands.for_rig(sections, rig_kind)
                      if c.name not in quick and may(c.permission)
                      and (settings.POOL_INPUTS or c.name not in POOL_INPUTS)]}


def bulk_forms(rigs: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Commands that make sense for many rigs at once (no pool or device numbers), each
    with the rigs of the kinds it applies to; a command no rig can take is left out."""
    out = []
    for c in commands.COMMANDS.values():
        if any(p.kind in params.SNAPSHOT_KINDS for p in c.params):
            continue
        mine = [r for r in rigs if r.kind in c.rig_kinds]
        if mine:
            out.append({**form(c, {}), "rigs": mine, "kinds": ", ".join(c.rig_kinds)})
    return out
