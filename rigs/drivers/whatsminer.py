"""Whatsminer (MicroBT btminer): API v2 on TCP 4028, and API v3 on 4433 (whatsminer_v3.py) for firmware
from 2024-11 on (research: asic-dialects.md §3.3).

Reads: `summary`, `devs` and `pools` joined (MH/s already: `MHS av`, `MHS 5s`, `HS RT`; `Factory GHS` in
GH/s; pools numbered from 1), and `get_version`, which cannot be joined and answers flat
(`{"STATUS":"S","Code":131,"Msg":{...}}`). Replies may carry `,}` and raw newlines (repaired by the
cgminer parser). Writes: `get_token` gives a salt; the key is the md5-crypt of the API password with
it, the command carries a sign made from the key and the token's time, and goes AES-256-ECB-encrypted
(`{"enc":1,"data":...}`); the reply comes back encrypted the same way. The API password is the rig's
token (admin by default; writes work only once it was changed and the API enabled in WhatsMinerTool).
A rig whose second port is set (4433) is spoken to in API v3 only; otherwise API v2, and when that
fails on a firmware from 2024-11 on, API v3 on 4433.
"""

import hashlib
import json
import re
import time
from typing import Any, Unpack

from . import asic, cgminer, curtailing
from . import whatsminer_v3 as v3
from .cgminer import client
from .cgminer.protocol import cut_reply, load_json
from .described import CURTAIL as CURTAIL_COMMAND
from .described import RESUME, Command, Curtailing, Param, watts
from .errors import BadReplyError, RigError
from .interface import Access, Limits, Outcome, Record, Rig, Sections, Statuses
from .whatsminer_crypto import decrypt, encrypt, keys

KIND = "whatsminer"
LABEL = "Whatsminer (btminer API v2 and v3)"
FIELDS = ("host", "port", "web_port", "username", "token")
access_denied = cgminer.access_denied  # it answers on the cgminer API: its access-denied rule
ABOUT = ("Whatsminer API v2: rates from `summary` and `devs` in MH/s, one device per hashboard slot, the "
         "nominal rate from `Factory GHS`, power and fans from `summary`; firmware from `get_version`. Controls "
         "go through the API's encrypted write path with the API password (the rig's token): enable the API "
         "and change the default password in WhatsMinerTool first. Firmware from 2024-11 on speaks API v3 on "
         "port 4433 (rates in TH/s, shown converted; writes signed with a token from the password, user "
         "super).")
POWER_MODES = (("low", "Low"), ("normal", "Normal"), ("high", "High"))
COMMANDS = (
    asic.SETPOOLS,
    Command("powermode", "Power mode", "miner", (Param("mode", "choice", "Mode", choices=POWER_MODES),),
            help="Low, normal or high power: the miner restarts its mining program to apply it."),
    Command("powerlimit", "Power limit", "miner", (Param("watts", "int", "Watts", 500, 10000),), dangerous=True,
            help="The most the machine may draw, in watts."),
    CURTAIL_COMMAND,
    RESUME,
    asic.IDENTIFY,
    asic.RESTART,
    asic.REBOOT,
)
CURTAIL = Curtailing(
    sleep="stops mining: API v2 `power_off` (respbefore true), API v3 `set.miner.service` stop; Resume sends "
          "`power_on` / `set.miner.service` start, and leaves a low power mode (`set_normal_power`).",
    power="the value low: the low power mode (`set_low_power`, v3 `set.miner.power_mode` low, btminer restarts); "
          "a number: the power limit in watts (`adjust_power_limit`, v3 `set.miner.power_limit`); Resume sets "
          "back the limit read before curtailing.",
    reads_back="`summary` Power Mode (Low) and Power Limit; whether mining is off: API v2 `status` mineroff "
               "(asked when the API shows no hashing), API v3 `get.device.info` miner.working.",
    restore=("powerlimit", "watts", "Power Limit"))
POLL_COMMANDS = ["summary", "devs", "pools"]
TOKEN_LIFE = 25 * 60  # tokens last 30 min; at most 32 per address (quirk Q22)
CODES: dict[int | None, str] = {14: "the miner does not know the command", 23: "the miner could not read the command",
         45: "the miner refuses writes: enable the API and change the default password in WhatsMinerTool",
         132: "the command failed", 135: "the miner refused the token: check the API password (the rig's token)",
         136: "the miner has handed out too many tokens; try again in a few minutes",
         137: "the miner could not decode the command"}


# ------------------------------------------------------------------ requests
async def flat(host, port, obj, **limits):
    """A request outside the cgminer grammar (get_*, encrypted writes): its JSON reply as a dict."""
    raw = await client.exchange(host, port, json.dumps(obj, separators=(",", ":")).encode(), **limits)
    text = cut_reply(raw).strip()
    if not text:
        raise RigError("the miner closed the connection without answering")
    reply = load_json(text)
    if not isinstance(reply, dict):
        raise BadReplyError("the miner's reply is not a JSON object")
    return reply


def _code(reply):
    status = reply.get("STATUS")
    if isinstance(status, list) and status and isinstance(status[0], dict):
        reply = status[0]
    return asic.num(reply.get("Code")), str(reply.get("Msg") if not isinstance(reply.get("Msg"), dict) else "")


_TOKENS: dict[tuple[str, int, str], tuple[float, tuple[bytes, str]]] = {}  # -> (when, (AES key, sign))


async def token(rig, fresh=False, **limits):
    """(AES key, sign) for the rig, cached for TOKEN_LIFE per address and password."""
    cache_key = (rig.host, rig.port, hashlib.sha256((rig.token or "admin").encode()).hexdigest())
    hit = _TOKENS.get(cache_key)
    if hit and not fresh and time.monotonic() - hit[0] < TOKEN_LIFE:
        return hit[1]
    reply = await flat(rig.host, rig.port, {"cmd": "get_token"}, **limits)
    msg = reply.get("Msg")
    if not isinstance(msg, dict) or not all(isinstance(msg.get(k), str) for k in ("time", "salt", "newsalt")):
        code, text = _code(reply)
        raise RigError(f"the miner gave no token: {CODES.get(int(code or 0), text or 'no reason given')}")
    found = keys(rig.token or "admin", msg["salt"], msg["newsalt"], msg["time"])
    if len(_TOKENS) > 4096:
        _TOKENS.clear()
    _TOKENS[cache_key] = (time.monotonic(), found)
    return found


async def write(rig, cmd, **params):
    """Send one encrypted command: (letter, message, code)."""
    limits = {k: params.pop(k) for k in ("timeout", "connect_timeout", "max_reply") if k in params}
    for attempt in (1, 2):
        aes_key, sign = await token(rig, fresh=attempt == 2, **limits)
        reply = await flat(rig.host, rig.port,
                           {"enc": 1, "data": encrypt(aes_key, {"cmd": cmd, **params, "token": sign})},
                           **limits)
        if isinstance(reply.get("enc"), str):
            reply = decrypt(aes_key, reply["enc"])
            if not isinstance(reply, dict):
                raise BadReplyError("the miner's decrypted reply is not a JSON object")
        code, text = _code(reply)
        if code == 135 and attempt == 1:
            continue  # the cached token expired: ask a fresh one once
        break
    letter = str(reply.get("STATUS") if isinstance(reply.get("STATUS"), str) else "E")[:1]
    code = int(code) if code is not None else None
    if letter in ("S", "I") and code in (None, 131):
        return "S", "", code
    return "E", CODES.get(code, text or "the miner refused the command"), code


# ------------------------------------------------------------------ the driver
def to_sections(sections, version=None):
    summary = dict(asic.first(sections.get("SUMMARY")))
    if summary.get("MHS 5s") is None and summary.get("HS RT") is not None:
        summary["MHS 5s"] = asic.num(summary["HS RT"])
    power, rate = asic.num(summary.get("Power")), asic.num(summary.get("MHS 5s"))
    devs: list[Record] = []
    for d in sections.get("DEVS") or []:
        if not isinstance(d, dict):
            continue
        d = {"ASC": d.get("ASC", len(devs)), "Name": d.get("Name", "SM"), **d}
        d.setdefault("Chip Temp", asic.num(d.get("Chip Temp Max")))
        devs.append(d)
    fans = asic.fans([(0, asic.num(summary.get("Fan Speed In"))), (1, asic.num(summary.get("Fan Speed Out")))])
    firmware = str(version.get("fw_ver", "")).strip("'") if isinstance(version, dict) else ""
    versions = [{"Miner": f"btminer {firmware}".strip(), "Firmware": firmware,
                 "API": version.get("api_ver"), "Platform": version.get("platform"),
                 "Chip": version.get("chip")}] if isinstance(version, dict) else []
    return asic.mapped(sections, summary, devs, {
        "Nominal MHS": asic.mhs(summary.get("Factory GHS"), "G"), "Efficiency J/TH": asic.efficiency(power, rate),
        "Chip Temp": asic.num(summary.get("Chip Temp Max")), "Boards": len(devs)}, FANS=fans, VERSION=versions)


def v3_date(fw):
    """Whether a firmware string ("'20241105.16.Rel'") dates from API v3's time (2024-11 on)."""
    digits = str(fw or "").strip("'")[:8]
    return digits.isdigit() and digits >= "20241101"


async def v3_port(rig, **limits):
    """The API v3 port to use, or None for API v2: the rig's second port when set; else 4433 when the
    firmware on 4028 is from API v3's time."""
    if getattr(rig, "web_port", None):
        return rig.web_port
    try:
        version = (await flat(rig.host, rig.port, {"cmd": "get_version"}, **limits)).get("Msg")
    except RigError:
        return None
    return v3.PORT if isinstance(version, dict) and v3_date(version.get("fw_ver")) else None


async def poll(rig: Rig, **limits: Unpack[Limits]) -> tuple[Sections, Statuses]:
    if getattr(rig, "web_port", None):
        return await v3.poll(rig.host, rig.web_port, **limits)
    try:
        sections, statuses = await cgminer.read(rig, POLL_COMMANDS, **limits)
        answered = (statuses.get("summary") or {}).get("STATUS") in ("S", "I")
        failed: str | RigError | None = None if answered else "summary"
    except RigError as exc:
        failed = exc
    if failed is not None:  # a firmware from 2024-11 on answers little on 4028
        port = await v3_port(rig, **limits)
        if port is not None:
            return await v3.poll(rig.host, port, **limits)
        if isinstance(failed, RigError):
            raise failed
    version = None
    try:  # asked apart: btminer joins no get_* command
        version = (await flat(rig.host, rig.port, {"cmd": "get_version"}, **limits)).get("Msg")
    except RigError:
        pass  # the figures do not need it
    mapped = to_sections(sections, version)
    if curtailing.hashing(mapped) in (0, 0.0) and mapped.get("SUMMARY"):  # off, or broken? `status` says
        state = await miner_state(rig, **limits)
        if state.get("mineroff") not in (None, ""):
            mapped["SUMMARY"][0]["Miner Off"] = curtailing.yes(state["mineroff"])
    return mapped, statuses


async def miner_state(rig, **limits):
    """The flat `status` read (mineroff "true"/"false", power_mode, power_limit_set); {} when it fails."""
    try:
        msg = (await flat(rig.host, rig.port, {"cmd": "status"}, **limits)).get("Msg")
    except RigError:
        return {}
    return msg if isinstance(msg, dict) else {}


V3_COMMANDS = {"powermode": "set.miner.power_mode", "powerlimit": "set.miner.power_limit",
               "identify": "set.system.led", "restart": "set.miner.service", "reboot": "set.system.reboot",
               "setpools": "set.miner.pools"}


def v3_param(name, values):
    if name == "setpools":
        return [{"pool": u, "worker": w, "passwd": p} for u, w, p in asic.pool_slots(values)]
    if name == "identify":
        return [{"color": "red", "period": 1000, "duration": 500, "start": 0}] if values.get("on") else "auto"
    return {"powermode": values.get("mode"), "powerlimit": values.get("watts"), "restart": "restart"}.get(name)


async def command(rig: Rig, name: str, values: dict[str, Any], **limits: Unpack[Limits]) -> Outcome:
    if name == "curtail":
        return await curtail(rig, values.get("how") or "", values.get("value"), **limits)
    if name == "resume":
        return await resume(rig, **limits)
    port = await v3_port(rig, **limits)
    if port is not None and name in V3_COMMANDS:
        letter, msg, code = await v3.write(rig, port, V3_COMMANDS[name], v3_param(name, values), **limits)
        return letter, msg or f"{dict((c.name, c.label) for c in COMMANDS)[name]}: done.", code
    if name == "setpools":
        slots = asic.pool_slots(values) + [("", "", "")] * 3
        params = {}
        for i, (url, user, pw) in enumerate(slots[:3], start=1):
            params.update({f"pool{i}": url, f"worker{i}": user, f"passwd{i}": pw})
        letter, msg, code = await write(rig, "update_pools", **params, **limits)
        return letter, msg or "Pools set; the miner switches to them at once.", code
    if name == "powermode":
        letter, msg, code = await write(rig, f"set_{values['mode']}_power", **limits)
        return letter, msg or f"Power mode set to {values['mode']}.", code
    if name == "powerlimit":
        letter, msg, code = await write(rig, "adjust_power_limit", power_limit=str(values["watts"]), **limits)
        return letter, msg or f"Power limit set to {values['watts']} W.", code
    if name == "identify":
        led = ({"color": "red", "period": 1000, "duration": 500, "start": 0} if values.get("on")
               else {"param": "auto"})
        letter, msg, code = await write(rig, "set_led", **led, **limits)
        return letter, msg or ("The red LED is flashing." if values.get("on") else "The LEDs are back to normal."), code
    if name == "restart":
        letter, msg, code = await write(rig, "restart_btminer", **limits)
        return letter, msg or "btminer is restarting.", code
    if name == "reboot":
        letter, msg, code = await write(rig, "reboot", **limits)
        return letter, msg or "The Whatsminer is rebooting.", code
    raise RigError(f"{name} is not a Whatsminer command")


async def curtail(rig: Rig, how: str, value: str | None = None, **limits: Unpack[Limits]) -> Outcome:
    curtailing.check(LABEL, CURTAIL, how, value)
    target = None
    if how == "power":
        try:
            target = watts(value, 500, 10000)
        except ValueError as exc:
            raise RigError(str(exc)) from None
        if target is None and str(value).strip().lower() != "low":
            raise RigError(f"a Whatsminer curtails its power to the low power mode (low) or a limit in watts, "
                           f"not {str(value)[:40]!r}")
    port = await v3_port(rig, **limits)
    if port is not None:
        cmd, param = (("set.miner.service", "stop") if how == "sleep" else
                      ("set.miner.power_limit", target) if target else ("set.miner.power_mode", "low"))
        letter, msg, code = await v3.write(rig, port, cmd, param, **limits)
        return letter, msg or f"{cmd} {param}: done.", code
    if how == "sleep":
        letter, msg, code = await write(rig, "power_off", respbefore="true", **limits)
        return letter, msg or "Mining is off (power_off).", code
    if target:
        return await command(rig, "powerlimit", {"watts": target}, **limits)
    return await command(rig, "powermode", {"mode": "low"}, **limits)


async def resume(rig: Rig, **limits: Unpack[Limits]) -> Outcome:
    """Mining on, and out of the low power mode: only what the miner says is curtailed is undone."""
    port = await v3_port(rig, **limits)
    done = []
    if port is not None:
        info = v3.message(await v3.call(rig.host, port, {"cmd": "get.device.info"}, **limits), "get.device.info")
        miner, power = (info.get(k) if isinstance(info.get(k), dict) else {} for k in ("miner", "power"))
        working, mode = curtailing.yes(miner.get("working")), str(power.get("mode") or "")
        steps = ([("set.miner.service", "start")] if working is not True else []) + (
            [("set.miner.power_mode", "normal")] if mode.lower() == "low" else [])
        for cmd, param in steps:
            letter, msg, code = await v3.write(rig, port, cmd, param, **limits)
            if letter != "S":
                return letter, msg, code
            done.append(f"{cmd} {param}")
        return "S", f"Resumed ({', '.join(done)})." if done else "The Whatsminer was not curtailed: nothing sent.", 0
    state = await miner_state(rig, **limits)
    steps = ([("power_on", "mining on")] if curtailing.yes(state.get("mineroff")) is not False else []) + (
        [("set_normal_power", "normal power mode")] if str(state.get("power_mode") or "").lower() == "low" else [])
    code = None
    for cmd, what in steps:
        letter, msg, code = await write(rig, cmd, **limits)
        if letter != "S":
            return letter, msg, code
        done.append(what)
    return "S", f"Resumed ({', '.join(done)})." if done else "The Whatsminer was not curtailed: nothing sent.", code


def curtailed(sections: Sections, how: str | None = None, value: str | None = None) -> bool | None:
    summary = curtailing.summary(sections)
    if how == "power":
        try:
            target = watts(value, 500, 10000)
        except ValueError:
            return None
        if target is not None:
            return curtailing.near(summary.get("Power Limit"), target)
    if str(summary.get("Power Mode") or "").lower() == "low":
        return True
    if curtailing.hashing(sections):  # a rig that hashes is not off, whatever else it says: MicroBT's own v3
        return False                  # example answers working "false" beside a hashing summary
    off = curtailing.yes(summary.get("Miner Off"))
    if off is None and "Working" in summary:
        off = curtailing.yes(summary.get("Working")) is False
    return off


async def check_access(rig: Rig, **limits: Unpack[Limits]) -> Access:
    """Whether the miner hands out write tokens; a wrong password shows only on the first command."""
    return await asic.access(token(rig, fresh=True, **limits),
                             "The miner hands out write tokens (the password is checked by the first command).")


async def detect(host: str, port: int, **limits: Unpack[Limits]) -> str | None:
    text = await asic.version_text(host, port, **limits)
    if not any(w in text for w in ("BTMINER", "BITMICRO", '"FW_VER"')):
        return None
    fw = re.search(r'"FW_VER": ?"\\?\'?(\d{8})[^"]*"', text)  # '20200917..' also written \'20200917..\'
    if fw and v3_date(fw.group(1)):
        return f"Whatsminer (btminer API v3 on port 4433, firmware {fw.group(1)})"
    return f"Whatsminer (btminer API v2{', firmware ' + fw.group(1) if fw else ''})"
