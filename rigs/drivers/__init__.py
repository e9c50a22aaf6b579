"""Every kind of rig is a driver: a module here with the same interface.

    KIND, LABEL                                         the rig kind's key and its name in the admin
    COMMANDS                                            the privileged commands it takes (described.Command)
    async poll(rig, **limits) -> (sections, statuses)   sections in the cgminer API's shape
    async command(rig, name, values, **limits) -> (letter, message[, code])
    async detect(host, port, **limits) -> str | None    a description if something of this kind answers there

and, where the kind has them:

    ABOUT                                  where its numbers come from, for the rig page
    IS_POOL = True                         its hashrate is its miners' (never added to the farm's totals)
    FIELDS                                 the Rig fields it uses besides name and description (the admin
                                           groups the connection fields by them)
    NEEDS_SECRET = False                   it takes no token or password (the simulators register none)
    FLEET_SECTION, FLEET_UNIT              a fleet: the section whose records are its members and what
                                           they are called ("WORKERS", "workers"); the fleet alert counts them
    CLIENT_ACTIONS                         the client commands offered as quick actions on each fleet row
    PAGE_SECTIONS, PAGE_JOINS              sections of its own custom pages may name, and their joins
    CUSTOM_PAGES                           built-in custom pages for its kind (a page's exported form)
    device_label(record) -> str            how to name one of its device records (default "GPU 1", "Name ID")
    access_denied(code, message="") -> bool
                                           whether an answer (a STATUS's code and message, or a command's
                                           code) says the rig refuses the panel access
    get_config, set_config, get_log, templates, redact, parse_config
                                           a fleet's clients' config and log (the pages rigs/web/client_views.py)
    check(rig) -> {field: message}         what the admin must refuse for this kind
    address(rig) -> str                    how to show where the rig is (default host:port)
    async report(rig, command, parameter, **limits) -> {command: reply dict}
                                           any report command, for the API's ?fresh=1
    async check_access(rig, **limits) -> (ok, message, letter, code)
                                           whether the rig takes privileged commands from the panel
    CURTAIL, curtail(rig, how, value), resume(rig), curtailed(sections, how, value)
                                           using less power on command (interface.Curtails): sleep and/or
                                           power, through the firmware's write path, read back from a poll

``rig`` is anything with the Rig fields the driver reads (a Rig or a poller Target); a
driver may note on it what it learned (cgminer: whether the rig joins commands).
Errors are rigs.drivers.errors.RigError, with a message for the user. The poller,
control, the API and the pages look drivers up here by kind and never name one.
"""

import importlib
import sys
from collections.abc import Callable
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any, Unpack

from .interface import Limits

if TYPE_CHECKING:
    from . import antminer, avalon, braiins, cgminer, ckpool, luxos, vnish, whatsminer, xmrig, xmrigcc
    from .described import Command, Curtailing
    from .interface import Addresses, ChecksAccess, ChecksSettings, Curtails, Detects, Driver, Reports

    # mypy holds every driver module against the interface, and each capability against its kinds
    _DRIVERS: tuple[Driver, ...] = (
        braiins, whatsminer, luxos, vnish, antminer, avalon, cgminer, xmrig, ckpool, xmrigcc)
    _DETECTS: tuple[Detects, ...] = (braiins, whatsminer, luxos, vnish, antminer, avalon, cgminer, xmrig, xmrigcc)
    _CHECK_ACCESS: tuple[ChecksAccess, ...] = (braiins, whatsminer, luxos, vnish, antminer, avalon, cgminer)
    _REPORTS: tuple[Reports, ...] = (cgminer,)
    _CHECKS: tuple[ChecksSettings, ...] = (ckpool, xmrigcc)
    _ADDRESSES: tuple[Addresses, ...] = (ckpool,)
    _CURTAILS: tuple[Curtails, ...] = (braiins, whatsminer, luxos, vnish, antminer, avalon, cgminer, xmrig, xmrigcc)

# Adding a kind: its module here, its simulator in rigs/simulators/, its tests, and this line.
# The ASIC firmwares come before cgminer: detection asks in this order (asic-dialects.md §5) and
# cgminer recognises any cgminer-like `version`.
MODULES = {
    "braiins": "rigs.drivers.braiins",
    "whatsminer": "rigs.drivers.whatsminer",
    "luxos": "rigs.drivers.luxos",
    "vnish": "rigs.drivers.vnish",
    "antminer": "rigs.drivers.antminer",
    "avalon": "rigs.drivers.avalon",
    "cgminer": "rigs.drivers.cgminer",
    "xmrig": "rigs.drivers.xmrig",
    "ckpool": "rigs.drivers.ckpool",
    "xmrigcc-server": "rigs.drivers.xmrigcc",
}


def driver(kind: str) -> ModuleType:
    name = MODULES[kind]
    return sys.modules.get(name) or importlib.import_module(name)  # import_module's locks cost per call


def kinds() -> list[str]:
    return list(MODULES)


def choices() -> list[tuple[str, str]]:
    """(kind, label) for the Rig model's field (a callable: a new kind needs no migration): the
    default kind first, then by label (MODULES is in detection order)."""
    default = "cgminer"
    return sorted(((kind, driver(kind).LABEL) for kind in MODULES), key=lambda c: (c[0] != default, c[1].lower()))


def about(kind: str) -> str:
    """What the rig page says about where a kind's numbers come from, if anything."""
    return getattr(driver(kind), "ABOUT", "") if kind in MODULES else ""


@cache  # asked several times for every snapshot
def is_pool(kind: str) -> bool:
    return kind in MODULES and getattr(driver(kind), "IS_POOL", False)


def can(kind: str, feature: str) -> bool:
    """Whether the kind's driver offers an optional function (report, check_access...)."""
    return kind in MODULES and callable(getattr(driver(kind), feature, None))


@cache
def _attribute(kind: str, name: str, default: Any) -> Any:
    return getattr(driver(kind), name, default) if kind in MODULES else default


def fleet_unit(kind: str) -> str:
    """What a fleet's members are called ("workers", "clients"); "" for a kind that is not a fleet."""
    return _attribute(kind, "FLEET_UNIT", "")


def fleet_section(kind: str) -> str:
    """The section whose records are a fleet's members ("WORKERS"); "" for a kind that is not a fleet."""
    return _attribute(kind, "FLEET_SECTION", "")


@cache
def fleet_kinds() -> tuple[str, ...]:
    return tuple(kind for kind in MODULES if fleet_unit(kind))


def curtailment(kind: str) -> "Curtailing":
    """What the kind can do to use less power (described.Curtailing); a kind without the capability says why."""
    from .described import Curtailing

    return _attribute(kind, "CURTAIL", None) or Curtailing(cannot=_attribute(
        kind, "CANNOT_CURTAIL", "the panel knows no way to curtail this kind of rig"))


def curtailed(kind: str, sections: dict[str, Any], how: str | None = None, value: str | None = None) -> bool | None:
    """Whether a poll's sections show the rig curtailed (its driver's reading); None when the kind cannot
    curtail or its firmware does not say."""
    read = _attribute(kind, "curtailed", None)
    return read(sections if isinstance(sections, dict) else {}, how, value) if read else None


def needs_secret(kind: str) -> bool:
    return _attribute(kind, "NEEDS_SECRET", True)


def client_actions(kind: str) -> tuple[str, ...]:
    """The client commands a fleet's rows offer as quick actions; () for a kind without clients."""
    return tuple(_attribute(kind, "CLIENT_ACTIONS", ()))


def device_labeller(kind: str) -> Callable[[dict[str, Any]], str] | None:
    """The driver's device_label(record), or None: the usual one ("GPU 1", "Name ID")."""
    return _attribute(kind, "device_label", None)


def access_denied(kind: str, code: int | None, message: object = "") -> bool:
    """Whether a rig's answer says it refuses the panel access, by its driver's rule (cgminer: code 45);
    a kind without one: never."""
    rule = _attribute(kind, "access_denied", None)
    return bool(rule and rule(code, message))


def page_sections() -> tuple[str, ...]:
    """The sections of their own the drivers let custom pages name (a ckpool's USERS...), in registry order."""
    return tuple(dict.fromkeys(s for kind in MODULES for s in getattr(driver(kind), "PAGE_SECTIONS", ())))


def page_joins() -> dict[tuple[str, str], str]:
    """{(left, right): how rows pair up} for the drivers' own sections."""
    return {pair: how for kind in MODULES for pair, how in getattr(driver(kind), "PAGE_JOINS", {}).items()}


def custom_pages() -> list[dict[str, Any]]:
    """The built-in custom pages the drivers declare (custompages/builtin.py adds them), in MODULES' order."""
    return [page for kind in MODULES for page in getattr(driver(kind), "CUSTOM_PAGES", ())]


def connection_fields() -> tuple[str, ...]:
    """Every Rig field some driver connects with (their FIELDS), in the order they list them: what the
    poller's Target holds and asks of the database (rigs/polling/target.py)."""
    return tuple(dict.fromkeys(f for kind in MODULES for f in getattr(driver(kind), "FIELDS", ())))


def field_groups() -> list[tuple[list[str], list[str]]]:
    """[(kinds, fields)]: the Rig fields the drivers use (FIELDS), grouped so that fields a kind uses
    together stay together (host, port, web_port, username, token; path, logdir): the admin's fieldsets.
    Kinds in the order of choices(), fields in the order the drivers list them."""
    order = [kind for kind, _ in choices()]
    listed = list(connection_fields())
    groups: list[tuple[set[str], set[str]]] = []
    for kind in order:
        fields = set(getattr(driver(kind), "FIELDS", ()))
        joined = [g for g in groups if g[1] & fields]
        kinds = {kind}.union(*(g[0] for g in joined))
        fields = fields.union(*(g[1] for g in joined))
        groups = [g for g in groups if g not in joined]
        groups.append((kinds, fields))
    groups.sort(key=lambda g: min(order.index(k) for k in g[0]))
    return [(sorted(kinds, key=order.index), sorted(fields, key=listed.index)) for kinds, fields in groups]


@cache
def commands() -> "dict[str, Command]":
    """Every kind's commands by name; a name several kinds share is described once, taking
    the kinds of all of them (and the first help text given)."""
    from dataclasses import replace

    merged: dict[str, Command] = {}
    for kind in MODULES:
        for c in driver(kind).COMMANDS:
            first = merged.get(c.name)
            merged[c.name] = replace(c, rig_kinds=(kind,)) if first is None else replace(
                first, rig_kinds=(*first.rig_kinds, kind), help=first.help or c.help)
    return merged


async def detect(host: str, port: int, **limits: Unpack[Limits]) -> tuple[str, str] | None:
    """(kind, description) of what answers at host:port, trying each kind in turn; None if nothing does."""
    for kind in MODULES:
        found = getattr(driver(kind), "detect", None)
        if found is None:
            continue
        description = await found(host, port, **limits)
        if description:
            return kind, description
    return None
