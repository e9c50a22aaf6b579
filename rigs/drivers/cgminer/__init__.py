"""The cgminer RPC API (TCP 4028): cgminer, bfgminer, sgminer, bmminer and the firmwares built on them.

``protocol.py`` is the wire format, ``client.py`` the bounded TCP client, ``commands.py``
the privileged commands. This module is the driver interface (see rigs/drivers/).
"""

import functools
import socket
from typing import Any, Unpack

from .. import curtailing
from ..described import CURTAIL as CURTAIL_COMMAND
from ..described import RESUME, Curtailing
from ..errors import RigError
from ..interface import Access, Limits, Outcome, Record, Rig, Sections, Statuses
from . import client
from .commands import COMMANDS as PRIVILEGED
from .commands import parameter

COMMANDS = (*PRIVILEGED, CURTAIL_COMMAND, RESUME)
COMMANDS_BY_NAME = {c.name: c for c in PRIVILEGED}
KIND = "cgminer"
LABEL = "cgminer API (cgminer, bfgminer, sgminer, bmminer...)"
FIELDS = ("host", "port")
NEEDS_SECRET = False
ACCESS_DENIED = 45  # the STATUS code of a command the rig's --api-allow does not allow
__all__ = ["COMMANDS", "CURTAIL", "FIELDS", "KIND", "LABEL", "NEEDS_SECRET", "access_denied", "check_access", "command",
           "curtail", "curtailed", "detect", "poll", "report", "resume"]
CURTAIL = Curtailing(
    sleep="disables every device through the API (`gpudisable`, `pgadisable`, `ascdisable` with its number): the "
          "devices stop hashing but stay powered (an idle GPU or USB ASIC still draws some power) and the miner "
          "keeps running; Resume enables each again. cgminer forgets it when it restarts (it hashes again), and "
          "an ASIC whose driver does not restart a disabled device may need a miner restart. It needs the "
          "API's privileged access (--api-allow W:).",
    reads_back="`devs` Enabled: curtailed when every device says N.")
DEVICE_KINDS = ("GPU", "PGA", "ASC")

# What the pages need, asked in one joined request where the rig allows (API >= 3.1).
POLL_COMMANDS = ["version", "config", "summary", "devs", "pools", "notify", "devdetails", "stats", "coin"]
# Asked only when a custom page uses their section (``rig.wanted``); edevs and estats answer
# DEVS and STATS sections, stored apart as EDEVS and ESTATS.
ON_DEMAND = {"EDEVS": "edevs", "ESTATS": "estats", "USBSTATS": "usbstats"}
RENAME = {"edevs": "EDEVS", "estats": "ESTATS"}


def poll_commands(wanted=()):
    """POLL_COMMANDS (without `notify` when NOTIFY is off: miner.php's $notify) and the on-demand
    commands of the sections pages use."""
    from django.conf import settings

    return list(_poll_commands(tuple(POLL_COMMANDS), getattr(settings, "NOTIFY", True), tuple(wanted)))


@functools.lru_cache(maxsize=64)  # every rig, every round, from the same few arguments
def _poll_commands(commands, notify, wanted):
    usual = [c for c in commands if c != "notify" or notify]
    return (*usual, *(ON_DEMAND[s] for s in sorted(wanted) if s in ON_DEMAND))


async def poll(rig: Rig, **limits: Unpack[Limits]) -> tuple[Sections, Statuses]:
    commands = poll_commands(getattr(rig, "wanted", ()))
    sections, statuses = await read(rig, commands, **limits)
    if "devs" in commands and bfgminer(statuses):
        await per_processor(rig, sections, statuses, **limits)
    return sections, statuses


def bfgminer(statuses):
    """Whether the replies came from bfgminer: every STATUS it sends has "Description": "bfgminer 5.5.0"."""
    for status in statuses.values():
        return isinstance(status, dict) and str(status.get("Description", "")).startswith("bfgminer")
    return False


async def per_processor(rig, sections, statuses, **limits):
    """bfgminer's `devs` leaves out ProcID; its `procs` answers the same DEVS records, one per processor, with it
    (miner.php reads `procs` when $per_proc is on). One request more for a bfgminer rig only: its DEVS become the
    processors; where `procs` fails or answers none, its `devs` stay."""
    try:
        reply = await client.call(rig.host, rig.port, "procs", **limits)
    except RigError:
        return
    procs = reply.sections.get("DEVS") if reply.ok else None
    if procs:
        sections["DEVS"] = procs
        statuses["procs"] = reply.status


async def read(rig, commands, **limits):
    """Ask report commands, joined unless the rig is known to refuse joins (notes on ``rig.joins``
    whether it took them, and adds their raw text to ``rig.raws``: the poller learns from it how the
    rig writes its numbers); (sections, statuses). The ASIC drivers read through this too."""
    replies, rig.joins = await client.query(rig.host, rig.port, commands,
                                            join=getattr(rig, "joins", None) is not False, **limits)
    rig.raws = (*getattr(rig, "raws", ()), *[response.raw for response in replies.values()])  # a join's: one, n times
    return stored(replies)


def stored(replies):
    """{command: Response} -> (sections, statuses), the shape a snapshot keeps."""
    sections: Sections = {}
    statuses: Statuses = {}
    for name, response in replies.items():
        statuses[name] = response.status
        rename = RENAME.get(name)
        for section, records in response.sections.items():
            section = rename or section
            # the response's own list, unless two commands answered the same section: then a new one
            sections[section] = sections[section] + records if section in sections else records
    return sections, statuses


async def command(rig: Rig, name: str, values: dict[str, Any], **limits: Unpack[Limits]) -> Outcome:
    if name == "curtail":
        return await curtail(rig, values.get("how") or "", values.get("value"), **limits)
    if name == "resume":
        return await resume(rig, **limits)
    response = await client.call(rig.host, rig.port, name, parameter(COMMANDS_BY_NAME[name], values), **limits)
    if name in ("quit", "restart") and response.msg in ("BYE", "RESTART"):
        return "S", {"BYE": "The miner is quitting.",
                     "RESTART": "The miner is restarting."}[response.msg], response.code
    if response.code == ACCESS_DENIED:
        return "E", explain_denied(rig, name), ACCESS_DENIED
    return response.letter or "E", response.msg, response.code


async def every_device(rig, action, **limits):
    """``action`` (enable, disable) every device the miner lists: (letter, message, code)."""
    reply = await client.call(rig.host, rig.port, "devs", **limits)
    devices = [(k, int(d[k])) for d in reply.sections.get("DEVS") or [] if isinstance(d, dict)
               for k in DEVICE_KINDS if isinstance(d.get(k), int)][:256]
    if not devices:
        return "W", "The miner lists no device to " + action + ".", None
    failed, code = [], None
    for kind, number in devices:
        response = await client.call(rig.host, rig.port, f"{kind.lower()}{action}", str(number), **limits)
        if response.code == ACCESS_DENIED:
            return "E", explain_denied(rig, f"{kind.lower()}{action}"), ACCESS_DENIED
        if response.letter not in ("S", "I"):
            failed.append(f"{kind} {number}: {response.msg}"[:120])
        code = response.code
    if failed:
        return "E", f"{len(devices) - len(failed)} of {len(devices)} devices {action}d; " + "; ".join(failed), code
    return "S", f"{len(devices)} device(s) {action}d.", code


async def curtail(rig: Rig, how: str, value: str | None = None, **limits: Unpack[Limits]) -> Outcome:
    curtailing.check(LABEL, CURTAIL, how, value)
    return await every_device(rig, "disable", **limits)


async def resume(rig: Rig, **limits: Unpack[Limits]) -> Outcome:
    return await every_device(rig, "enable", **limits)


def curtailed(sections: Sections, how: str | None = None, value: str | None = None) -> bool | None:
    enabled = [str(d.get("Enabled")) for d in sections.get("DEVS") or [] if isinstance(d, dict) and "Enabled" in d]
    if not enabled:
        return None
    return all(e == "N" for e in enabled)


def access_denied(code: int | None, message: object = "") -> bool:
    """Whether an answer refuses the panel access: code 45, or a STATUS message saying so (the firmwares
    built on cgminer send either)."""
    return code == ACCESS_DENIED or "access denied" in str(message or "").lower()


async def report(rig: Rig, command: str, parameter: str | None = None,
                 **limits: Unpack[Limits]) -> dict[str, Record]:
    """Any report command (joined with '+' or not), as the miner's JSON replies by command."""
    answers = await client.request(rig.host, rig.port, command, parameter or None, **limits)
    return {n: r.as_dict() for n, r in answers.items()}


async def check_access(rig: Rig, **limits: Unpack[Limits]) -> Access:
    """Ask the rig `privileged`: (ok, message, letter, code); ok is None when it could not be asked."""
    try:
        reply = await client.call(rig.host, rig.port, "privileged", **limits)
    except RigError as exc:
        return None, f"could not ask: {exc.message}", "error", None
    if reply.code == ACCESS_DENIED:
        return False, explain_denied(rig, "privileged"), "E", ACCESS_DENIED
    return reply.ok, reply.msg, reply.letter, reply.code


async def detect(host: str, port: int, **limits: Unpack[Limits]) -> str | None:
    """A description ("cgminer 4.11.1, API 3.7") when a valid `version` reply comes back."""
    try:
        reply = await client.call(host, port, "version", **limits)
    except RigError:
        return None
    version = (reply.sections.get("VERSION") or [{}])[0]
    if not reply.ok or not isinstance(version, dict) or not version:
        return None
    key, value = next(((k, v) for k, v in version.items() if k not in ("API", "Type")), ("", "a miner"))
    miner = str(value) if " " in str(value) else f"{key} {value}"  # bfgminer: "Miner": "bfgminer 5.5.0"
    kind = f" ({version['Type']})" if version.get("Type") else ""
    return f"{miner}{kind}, API {version.get('API', '?')}"[:200]


def panel_address(host, port):
    """The address this panel uses toward the rig (what --api-allow must list). Sends nothing."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((host, port))
            return s.getsockname()[0]
    except OSError:
        return "<this panel's address>"


def explain_denied(rig, command_name):
    addr = panel_address(rig.host, rig.port)
    return (f"The rig refused '{command_name}': its --api-allow does not give this panel's address ({addr}) "
            f"write access. Start the miner with --api-allow W:{addr} (or add W:{addr} to its list, or a group "
            f"from --api-groups that allows '{command_name}'), then restart it.")
