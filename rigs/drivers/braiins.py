"""Braiins OS (bosminer / BOSer) (research: asic-dialects.md §3.4).

Reads on TCP 4028, joined: `version`, `summary` and `devs` (MH/s; board IDs from 1, or 6-8 on an S9),
`pools`, `fans`, `temps` (board and chip °C), `tunerstatus` (power limit and the approximate power
draw; its per-chain list becomes the TUNERCHAINS section). Writes through the public REST API
(Braiins OS 25.07 and later) on the web port: `POST /api/v1/auth/login` with the user (root) and
password (the rig's token) gives a token sent as `Authorization: <token>` (no "Bearer"), renewed on
a 401; `PUT /api/v1/performance/power-target {"watt": N}`, `PUT /api/v1/actions/{pause,resume,
restart,reboot}`, `PUT /api/v1/actions/locate` with `true`/`false`. Pools are not changed from the
panel: the RPC pool commands are not persistent on Braiins OS and the REST pool groups are left to
its web interface. Older releases (gRPC only, or LuCI/GraphQL) are read but not controlled.
"""

import hashlib
import time
from typing import Any, Unpack

from . import asic, cgminer, curtailing, http
from .described import CURTAIL as CURTAIL_COMMAND
from .described import Command, Curtailing, Param, watts
from .errors import BadReplyError, RigError
from .interface import Access, Limits, Outcome, Rig, Sections, Statuses

KIND = "braiins"
LABEL = "Braiins OS (bosminer)"
FIELDS = ("host", "port", "web_port", "username", "token")
access_denied = cgminer.access_denied  # it answers on the cgminer API: its access-denied rule
WEB_PORT = 80
ABOUT = ("Braiins OS: rates from `summary` and `devs` in MH/s, one device per hashboard (IDs as the miner "
         "numbers them), temperatures from `temps`, fans from `fans`, power and its limit from `tunerstatus`. "
         "Controls (power target, pause/resume, restart, reboot, locate LED) go through its REST API (Braiins OS "
         "25.07 or later) with the web user (root) and password (the rig's token). Pools are changed in its own "
         "web interface: its RPC pool commands do not survive a restart.")
COMMANDS = (
    Command("powertarget", "Power target", "miner", (Param("watts", "int", "Watts", 100, 20000),),
            help="The autotuner's power target in watts; Braiins OS retunes without restarting."),
    asic.PAUSE,
    asic.RESUME,
    CURTAIL_COMMAND,
    asic.IDENTIFY,
    asic.RESTART,
    asic.REBOOT,
)
CURTAIL = Curtailing(
    sleep="pauses mining (REST `PUT /api/v1/actions/pause`); Resume sends `actions/resume`.",
    power="sets the autotuner's power target (REST `PUT /api/v1/performance/power-target`, the value in watts, "
          "clamped by Braiins OS to the model's range); Braiins OS retunes without restarting. The usual target "
          "read before curtailing is set back by Resume.",
    reads_back="paused: every hashboard of `devs` says Paused (a rig that hashes is not paused); a power target: "
               "`tunerstatus` PowerLimit (within 2 %).",
    restore=("powertarget", "watts", "Power Limit"))
POLL_COMMANDS = ["version", "summary", "devs", "pools", "fans", "temps", "tunerstatus"]


def to_sections(sections):
    summary = dict(asic.first(sections.get("SUMMARY")))
    temps = {asic.num(t.get("ID")): t for t in sections.get("TEMPS") or [] if isinstance(t, dict)}
    devs = []
    for d in sections.get("DEVS") or []:
        if not isinstance(d, dict):
            continue
        t = temps.get(asic.num(d.get("ID")), {})
        d = {"Name": "BOS", **d}
        d.setdefault("ASC", d.get("ID"))
        if d.get("Temperature") in (None, 0, 0.0):
            d["Temperature"] = asic.num(t.get("Board"))
        d["Chip Temp"] = asic.hottest(asic.num(t.get("Chip")))
        devs.append(d)
    tuner = dict(asic.first(sections.get("TUNERSTATUS")))
    chains = tuner.pop("TunerChainStatus", None)
    power, rate = asic.num(tuner.get("ApproximateMinerPowerConsumption")), asic.num(summary.get("MHS 5s"))
    return asic.mapped(sections, summary, devs, {
             "Temperature": asic.hottest(*(asic.num(t.get("Board")) for t in temps.values())),
             "Chip Temp": asic.hottest(*(asic.num(t.get("Chip")) for t in temps.values())),
             "Power": power, "Power Limit": asic.num(tuner.get("PowerLimit")),
             "Efficiency J/TH": asic.efficiency(power, rate),
             "Nominal MHS": sum(asic.num(d.get("Nominal MHS")) or 0 for d in devs) or None, "Boards": len(devs)},
        FANS=[f for f in sections.get("FANS") or [] if isinstance(f, dict) and asic.num(f.get("RPM"))],  # empty slots
        TUNERSTATUS=[tuner] if tuner else [],
        TUNERCHAINS=[c for c in chains if isinstance(c, dict)] if isinstance(chains, list) else [])


async def poll(rig: Rig, **limits: Unpack[Limits]) -> tuple[Sections, Statuses]:
    return await asic.poll(rig, POLL_COMMANDS, to_sections, **limits)


# ------------------------------------------------------------------ REST (writes)
_TOKENS: dict[tuple[str, int, str], tuple[float, str]] = {}  # -> (good until, token)


def _where(rig):
    return rig.host, getattr(rig, "web_port", None) or WEB_PORT


async def login(rig, **limits):
    host, port = _where(rig)
    key = (host, port, hashlib.sha256(f"{rig.username}:{rig.token}".encode()).hexdigest())
    hit = _TOKENS.get(key)
    if hit and time.monotonic() < hit[0]:
        return hit[1]
    user = getattr(rig, "username", "") or "root"
    status, raw = await http.call(host, port, "POST", "/api/v1/auth/login", body={"username": user,
                                                                                  "password": rig.token or ""},
                                  **limits)
    if status in (401, 403):
        raise RigError(f"Braiins OS refused user '{user}' and the rig's password (the rig's token)")
    if status == 404:
        raise RigError("this Braiins OS has no REST API (it needs 25.07 or later): control it from its web interface")
    body = http.json_body(raw) if status == 200 else None
    if not isinstance(body, dict) or not isinstance(body.get("token"), str):
        raise BadReplyError(f"Braiins OS login answered HTTP {status} without a token")
    life = min(max(asic.num(body.get("timeout_s")) or 300, 30), 3600)
    if len(_TOKENS) > 4096:
        _TOKENS.clear()
    _TOKENS[key] = (time.monotonic() + life * 0.8, body["token"])
    return body["token"]


async def rest(rig, method, path, body=None, **limits):
    """(status, JSON) of one REST call, logging in (again on a 401) as needed."""
    host, port = _where(rig)
    for attempt in (1, 2):
        token = await login(rig, **limits)
        status, raw = await http.call(host, port, method, path, token, body, **limits)
        if status != 401 or attempt == 2:
            break
        _TOKENS.clear()
    if status >= 400:
        raise RigError(f"Braiins OS answered HTTP {status} to {method} {path}")
    try:
        return status, http.json_body(raw)
    except BadReplyError:
        return status, None


async def command(rig: Rig, name: str, values: dict[str, Any], **limits: Unpack[Limits]) -> Outcome:
    if name == "curtail":
        return await curtail(rig, values.get("how") or "", values.get("value"), **limits)
    if name == "powertarget":
        _, reply = await rest(rig, "PUT", "/api/v1/performance/power-target", {"watt": values["watts"]}, **limits)
        got = asic.num(reply.get("watt")) if isinstance(reply, dict) else None
        if got is not None and got != values["watts"]:
            return "W", f"Braiins OS set the power target to {got:g} W (its limits), not {values['watts']} W."
        return "S", f"Power target set to {values['watts']} W."
    if name in ("pause", "resume", "restart", "reboot"):
        _, reply = await rest(rig, "PUT", f"/api/v1/actions/{name}", **limits)
        if reply is True and name in ("pause", "resume"):
            return "I", f"The miner was already {'paused' if name == 'pause' else 'mining'}."
        return "S", {"pause": "Mining paused.", "resume": "Mining resumed.", "restart": "bosminer is restarting.",
                     "reboot": "The miner is rebooting."}[name]
    if name == "identify":
        on = bool(values.get("on"))
        await rest(rig, "PUT", "/api/v1/actions/locate", on, **limits)
        return "S", "The locate LED is blinking." if on else "The locate LED is off."
    raise RigError(f"{name} is not a Braiins OS command")


async def curtail(rig: Rig, how: str, value: str | None = None, **limits: Unpack[Limits]) -> Outcome:
    curtailing.check(LABEL, CURTAIL, how, value)
    if how == "sleep":
        return await command(rig, "pause", {}, **limits)
    try:
        target = watts(value)
    except ValueError as exc:
        raise RigError(str(exc)) from None
    if target is None:
        raise RigError(f"Braiins OS takes a power target in watts, not {str(value)[:40]!r}")
    return await command(rig, "powertarget", {"watts": target}, **limits)


async def resume(rig: Rig, **limits: Unpack[Limits]) -> Outcome:
    return await command(rig, "resume", {}, **limits)


def curtailed(sections: Sections, how: str | None = None, value: str | None = None) -> bool | None:
    if how == "power":
        try:
            target = watts(value)
        except ValueError:
            return None
        return curtailing.near(asic.first(sections.get("TUNERSTATUS")).get("PowerLimit"), target)
    boards = [d.get("Status") for d in sections.get("DEVS") or [] if isinstance(d, dict)]
    if boards and all(b == "Paused" for b in boards):
        return True
    rate = curtailing.hashing(sections)
    return False if rate else None


async def check_access(rig: Rig, **limits: Unpack[Limits]) -> Access:
    return await asic.access(login(rig, **limits), "Braiins OS takes the panel's user and password.")


async def detect(host: str, port: int, **limits: Unpack[Limits]) -> str | None:
    text = await asic.version_text(host, port, **limits)
    if "BOSMINER" not in text and "BOSER" not in text:
        return None
    return f"Braiins OS ({(asic.probed(text, 'BOSER') or asic.probed(text, 'BOSMINER') or 'bosminer').lower()})"
