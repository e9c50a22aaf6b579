"""LuxOS (Luxor's LUXminer) on TCP 4028 (research: asic-dialects.md §3.5).

Reads, joined (LuxOS joins parameterless commands only): `version`, `summary` (GH/s), `devs` (MH/s,
not sorted by ID), `pools`, `config` (profile, curtail mode, nameplate TH/s), `power` (watts), `fans`
(`FAN` a string), `temps` (four sensors per board). Writes go to the same port: pool commands as in
cgminer (no session needed); the others carry a session id as their first parameter: `logon` gives
one, only one session exists at a time (code 402 "Another session is active": the active one is
taken from `session`, as Luxor's own tools do), and the panel logs off the sessions it opened.
The docs say sessions coordinate, they do not secure: LuxOS needs no password.
"""

import re
from typing import Any, Unpack

from . import asic, cgminer, curtailing
from .cgminer import client
from .cgminer.commands import COMMANDS as CGMINER_COMMANDS
from .cgminer.commands import parameter
from .cgminer.protocol import escape_param
from .described import CURTAIL as CURTAIL_COMMAND
from .described import RESUME, Command, Curtailing, Param, watts
from .errors import RigError
from .interface import Access, Limits, Outcome, Rig, Sections, Statuses

KIND = "luxos"
LABEL = "LuxOS (LUXminer)"
FIELDS = ("host", "port")
NEEDS_SECRET = False  # LuxOS sessions coordinate, they do not authenticate
access_denied = cgminer.access_denied  # it answers on the cgminer API: its access-denied rule
ABOUT = ("LuxOS: rates from `summary` (GH/s, shown converted) and `devs` (MH/s), one device per hashboard "
         "sorted by its ID, board temperatures from `temps`, power from `power`, profile and curtail mode from "
         "`config`. Controls go to its API port: pools as in cgminer; LED, profile, sleep/wake, restart and "
         "reboot within a LuxOS session the panel opens and closes (LuxOS has no password: sessions only stop "
         "two tools acting at once).")
_POOL_COMMANDS = ("switchpool", "enablepool", "disablepool", "removepool", "addpool")
COMMANDS = (
    *(c for c in CGMINER_COMMANDS if c.name in _POOL_COMMANDS),
    Command("profile", "Performance profile", "miner", (Param("profile", "text", "Profile"),),
            help="A profile name from the PROFILES list (e.g. 290MHz), default, or a selector LuxOS takes: "
                 "110THs, 3200W, +1, -2."),
    CURTAIL_COMMAND,
    RESUME,
    asic.IDENTIFY,
    asic.RESTART,
    asic.REBOOT,
)
CURTAIL = Curtailing(
    sleep="`curtail|<session>,sleep` (LuxOS's sleep mode: it stops hashing and lasts across reboots until woken); "
          "Resume sends `curtail|<session>,wakeup`.",
    power="switches the performance profile by a power selector (`profileset|<session>,3200W`: the value in "
          "watts, or a profile name); Resume sets back the profile read before curtailing.",
    reads_back="`config` CurtailMode (None when awake; the sleep mode's name while asleep).",
    restore=("profile", "profile", "Profile"))
POLL_COMMANDS = ["version", "summary", "devs", "pools", "config", "power", "fans", "temps", "profiles"]
_BOARD_SENSORS = ("TopLeft", "TopRight", "BottomLeft", "BottomRight", "Board")  # `Chip` is a chip: Chip Temp
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
SESSION_COMMANDS = {"profile": "profileset", "curtail": "curtail", "resume": "curtail", "identify": "ledset",
                    "restart": "resetminer", "reboot": "rebootdevice"}


def to_sections(sections):
    summary = dict(asic.first(sections.get("SUMMARY")))
    summary.update(asic.rates(summary, "G", {"GHS 5s": "MHS 5s", "GHS av": "MHS av", "GHS 1m": "MHS 1m",
                                             "GHS 5m": "MHS 5m", "GHS 15m": "MHS 15m", "GHS 30m": "MHS 30m"}))
    temps, chips = {}, {}  # per board ID: its hottest board sensor, its hottest chip (S9 layout: Board, Chip)
    for t in sections.get("TEMPS") or []:
        if isinstance(t, dict):
            board_id = asic.num(t.get("ID"))
            temps[board_id] = asic.hottest(*(asic.num(t.get(k)) for k in _BOARD_SENSORS))
            chips[board_id] = asic.hottest(asic.num(t.get("Chip")))
    devs = []
    for d in sorted((d for d in sections.get("DEVS") or [] if isinstance(d, dict)),
                    key=lambda d: asic.num(d.get("ID")) or 0):  # LuxOS lists boards unsorted (Q16)
        d = {"Name": "LUX", **d}
        if d.get("Temperature") in (None, 0, 0.0):
            d["Temperature"] = temps.get(asic.num(d.get("ID")))
        if d.get("Chip Temp") is None and chips.get(asic.num(d.get("ID"))):
            d["Chip Temp"] = chips[asic.num(d.get("ID"))]
        devs.append(d)
    power = asic.num(asic.first(sections.get("POWER")).get("Watts"))
    config = asic.first(sections.get("CONFIG"))
    rate = asic.num(summary.get("MHS 5s"))
    return asic.mapped(sections, summary, devs, {
             "Temperature": asic.hottest(*temps.values()), "Chip Temp": asic.hottest(*chips.values()), "Power": power,
             "Efficiency J/TH": asic.efficiency(power, rate),
             "Nominal MHS": asic.mhs(config.get("NameplateTHS"), "T"), "Profile": config.get("Profile"),
             "Curtail Mode": config.get("CurtailMode"), "Boards": len(devs)})


async def poll(rig: Rig, **limits: Unpack[Limits]) -> tuple[Sections, Statuses]:
    return await asic.poll(rig, POLL_COMMANDS, to_sections, **limits)


def _session_id(reply):
    """The SessionID of a reply, if it is one (letters, digits, dashes: it goes into our parameters)."""
    sid = str(asic.first(reply.sections.get("SESSION")).get("SessionID") or "")
    return sid if SESSION_ID.fullmatch(sid) else ""


async def _session(rig, **limits):
    """(session id, whether the panel opened it)."""
    reply = await client.call(rig.host, rig.port, "logon", **limits)
    if reply.ok and _session_id(reply):
        return _session_id(reply), True
    if reply.code == 402 or "session" in reply.msg.lower():
        sid = _session_id(await client.call(rig.host, rig.port, "session", **limits))
        if sid:
            return sid, False
    raise RigError(f"LuxOS gave no session: {reply.msg[:200] or 'no reason given'}")


def _session_parameter(name, values):
    if name == "profile":
        if "," in values["profile"]:
            raise RigError("a profile name has no comma")
        return values["profile"]
    return {"curtail": values.get("action"), "resume": "wakeup",
            "identify": "red," + ("blink" if values.get("on") else "off")}.get(name)


async def command(rig: Rig, name: str, values: dict[str, Any], **limits: Unpack[Limits]) -> Outcome:
    if name in _POOL_COMMANDS:
        if name == "addpool":  # LuxOS takes url,user,pass (trailing empty parameters keep their comma)
            param = ",".join(escape_param(values.get(k) or "") for k in ("url", "user", "password"))
        else:
            param = parameter(next(c for c in COMMANDS if c.name == name), values)
        reply = await client.call(rig.host, rig.port, name, param, **limits)
        return reply.letter or "E", reply.msg, reply.code
    if name == "curtail" and values.get("action") != "sleep":  # the generic form (how, value); "action" of old
        if values.get("action") == "wakeup":
            return await resume(rig, **limits)
        return await curtail(rig, values.get("how") or "", values.get("value"), **limits)
    if name not in SESSION_COMMANDS:
        raise RigError(f"{name} is not a LuxOS command")
    extra = _session_parameter(name, values)
    sid, opened = await _session(rig, **limits)
    try:
        reply = await client.call(rig.host, rig.port, SESSION_COMMANDS[name],
                                  sid if extra is None else f"{sid},{extra}", **limits)
    finally:
        if opened and name != "reboot":
            try:
                await client.call(rig.host, rig.port, "logoff", sid, **limits)
            except RigError:
                pass  # it expires after 60 s idle
    return reply.letter or "E", reply.msg, reply.code


async def curtail(rig: Rig, how: str, value: str | None = None, **limits: Unpack[Limits]) -> Outcome:
    curtailing.check(LABEL, CURTAIL, how, value)
    if how == "sleep":
        return await command(rig, "curtail", {"action": "sleep"}, **limits)
    try:
        target = watts(value)
    except ValueError as exc:
        raise RigError(str(exc)) from None
    return await command(rig, "profile", {"profile": f"{target}W" if target else str(value).strip()}, **limits)


async def resume(rig: Rig, **limits: Unpack[Limits]) -> Outcome:
    return await command(rig, "resume", {}, **limits)


def curtailed(sections: Sections, how: str | None = None, value: str | None = None) -> bool | None:
    if how == "power":
        return None  # a profile chosen by watts is not named by them
    mode = curtailing.summary(sections).get("Curtail Mode")
    if mode is None:
        mode = asic.first(sections.get("CONFIG")).get("CurtailMode")
    if mode is None:
        return None
    return str(mode).strip().lower() not in ("", "none")


async def check_access(rig: Rig, **limits: Unpack[Limits]) -> Access:
    async def logon_logoff():
        sid, opened = await _session(rig, **limits)
        if opened:
            await client.call(rig.host, rig.port, "logoff", sid, **limits)

    return await asic.access(logon_logoff(), "LuxOS hands out a session to the panel.")


async def detect(host: str, port: int, **limits: Unpack[Limits]) -> str | None:
    text = await asic.version_text(host, port, **limits)
    if "LUXMINER" not in text:
        return None
    return f"LuxOS {asic.probed(text, 'LUXMINER').lower()} on {asic.probed(text, 'TYPE') or 'an Antminer'}"
