"""VNish / AnthillOS, aftermarket firmware for Antminers (research: asic-dialects.md §3.2).

Reads: its TCP 4028 API keeps the stock bmminer dialect (GH/s, `stats` chains), so they are the
Antminer driver's; `version` names VNish. Writes go through its REST API on the web port:
`POST /api/v1/unlock {"pw": ...}` gives a token sent as-is in `Authorization` (the `system/*`
endpoints want it as "Bearer"), 403 for a wrong password; `POST /api/v1/mining/{restart,pause,
resume}`, `/api/v1/system/reboot`, `/api/v1/find-miner` (toggles the locate LED; `status` says
whether it blinks), and `/api/v1/settings` for the pools and the autotune preset (VNish answers
the same whether it took the change or not, so the panel reads the settings back).
"""

from typing import Any, Unpack

from . import antminer, asic, cgminer, curtailing, http
from .described import CURTAIL as CURTAIL_COMMAND
from .described import RESUME, Command, Curtailing, Param
from .errors import BadReplyError, RigError
from .interface import Access, Limits, Outcome, Rig, Sections, Statuses

KIND = "vnish"
LABEL = "VNish / AnthillOS (Antminer)"
FIELDS = ("host", "port", "web_port", "token")
access_denied = cgminer.access_denied  # it answers on the cgminer API: its access-denied rule
WEB_PORT = 80
ABOUT = ("VNish: read like a stock Antminer (rates from `summary` and `stats` in GH/s, one device per hashboard). "
         "Controls (pools, autotune preset, pause/resume, restart, reboot, locate LED) go through VNish's web API "
         "with its web password (the rig's token).")
COMMANDS = (
    asic.SETPOOLS,
    Command("preset", "Autotune preset", "miner", (Param("preset", "text", "Preset (e.g. 3200)"),),
            help="One of the miner's tuned presets (its power in watts as VNish names them)."),
    asic.PAUSE,
    RESUME,
    CURTAIL_COMMAND,
    asic.IDENTIFY,
    asic.RESTART,
    asic.REBOOT,
)
CURTAIL = Curtailing(
    sleep="pauses mining (`POST /api/v1/mining/pause`); Resume sends `mining/resume`.",
    power="switches to one of the miner's tuned autotune presets (the value: a preset name, its watts as VNish "
          "names them, e.g. 2700); set the usual preset back with the Autotune preset form.",
    reads_back="the miner state of `GET /api/v1/status` (`stopped` when paused), asked when the API shows no "
               "hashing; a rig that hashes is not paused. A preset is read back by the command itself.")


async def poll(rig: Rig, **limits: Unpack[Limits]) -> tuple[Sections, Statuses]:
    """Read as a stock Antminer (its API port keeps bmminer's dialect); a rig that hashes nothing is asked
    its miner state (paused, or stopped?): SUMMARY gains "Miner State"."""
    sections, statuses = await asic.poll(rig, antminer.POLL_COMMANDS, antminer.to_sections, **limits)
    if getattr(rig, "token", "") and curtailing.hashing(sections) in (0, 0.0) and sections.get("SUMMARY"):
        try:
            status = await rest(rig, "GET", "status", **limits)
        except RigError:
            status = None  # the figures do not need it
        if isinstance(status, dict) and status.get("miner_state"):
            sections["SUMMARY"][0]["Miner State"] = str(status["miner_state"])[:40]
    return sections, statuses


async def unlock(rig, **limits):
    host, port = rig.host, getattr(rig, "web_port", None) or WEB_PORT
    status, raw = await http.call(host, port, "POST", "/api/v1/unlock", body={"pw": rig.token or ""}, **limits)
    if status in (401, 403):
        raise RigError("VNish refused the web password (the rig's token)")
    if status == 429:
        raise RigError("VNish refuses logins for a while after too many tries: wait, then try again")
    body = http.json_body(raw) if status == 200 else None
    if not isinstance(body, dict) or not isinstance(body.get("token"), str):
        raise BadReplyError(f"VNish answered HTTP {status} to the login without a token")
    return body["token"]


async def rest(rig, method, path, body=None, token=None, **limits):
    """The JSON of one call to /api/v1/<path>."""
    token = token or await unlock(rig, **limits)
    auth = f"Bearer {token}" if path.startswith("system") else token
    status, raw = await http.call(rig.host, getattr(rig, "web_port", None) or WEB_PORT, method, f"/api/v1/{path}",
                                  auth, body, **limits)
    if status >= 400:
        raise RigError(f"VNish answered HTTP {status} to {method} /api/v1/{path}")
    try:
        return http.json_body(raw)
    except BadReplyError:
        return None


async def command(rig: Rig, name: str, values: dict[str, Any], **limits: Unpack[Limits]) -> Outcome:
    if name == "curtail":
        return await curtail(rig, values.get("how") or "", values.get("value"), **limits)
    token = await unlock(rig, **limits)
    if name in ("pause", "resume", "restart"):
        await rest(rig, "POST", f"mining/{name}", token=token, **limits)
        return "S", {"pause": "Mining paused.", "resume": "Mining resumed.", "restart": "Mining restarts."}[name]
    if name == "reboot":
        await rest(rig, "POST", "system/reboot", token=token, **limits)
        return "S", "The miner is rebooting."
    if name == "identify":
        status = await rest(rig, "GET", "status", token=token, **limits)
        blinking = bool(status.get("find_miner")) if isinstance(status, dict) else None
        if blinking is not bool(values.get("on")):
            await rest(rig, "POST", "find-miner", token=token, **limits)
        return "S", "The LED is blinking." if values.get("on") else "The LED is back to normal."
    if name == "preset":
        presets = await rest(rig, "GET", "autotune/presets", token=token, **limits)
        names = [str(p.get("name")) for p in presets or [] if isinstance(p, dict)]
        if values["preset"] not in names:
            return "E", f"the miner has no preset {values['preset']} (it has: {', '.join(names) or 'none'})"
        change: dict[str, Any] = {"miner": {"overclock": {"preset": values["preset"]}}}

        def took(settings):
            return str(((settings.get("miner") or {}).get("overclock") or {}).get("preset")) == values["preset"]
    elif name == "setpools":
        slots = asic.pool_slots(values)
        change = {"miner": {"pools": [{"url": u, "user": w, "pass": p} for u, w, p in slots]}}

        def took(settings):
            pools = (settings.get("miner") or {}).get("pools") or []
            return [(p.get("url"), p.get("user")) for p in pools if isinstance(p, dict) and p.get("url")] == [
                (u, w) for u, w, _ in slots]
    else:
        raise RigError(f"{name} is not a VNish command")
    await rest(rig, "POST", "settings", change, token=token, **limits)
    after = await rest(rig, "GET", "settings", token=token, **limits)
    if not isinstance(after, dict) or not took(after):
        return "W", "VNish answered but its settings did not change."
    return "S", "Preset set." if name == "preset" else f"Pools set ({len(slots)})."


async def curtail(rig: Rig, how: str, value: str | None = None, **limits: Unpack[Limits]) -> Outcome:
    curtailing.check(LABEL, CURTAIL, how, value)
    if how == "sleep":
        return await command(rig, "pause", {}, **limits)
    preset = str(value).strip().removesuffix("W").removesuffix("w").strip()
    return await command(rig, "preset", {"preset": preset}, **limits)


async def resume(rig: Rig, **limits: Unpack[Limits]) -> Outcome:
    return await command(rig, "resume", {}, **limits)


def curtailed(sections: Sections, how: str | None = None, value: str | None = None) -> bool | None:
    if how == "power":
        return None  # the preset is in its settings, not in a poll
    state = curtailing.summary(sections).get("Miner State")
    if state in ("stopped", "paused"):
        return True
    return False if state == "mining" or curtailing.hashing(sections) else None  # failure, restarting...: unknown


async def check_access(rig: Rig, **limits: Unpack[Limits]) -> Access:
    return await asic.access(unlock(rig, **limits), "VNish takes the panel's web password.")


async def detect(host: str, port: int, **limits: Unpack[Limits]) -> str | None:
    text = await asic.version_text(host, port, **limits)
    if "VNISH" not in text:
        return None
    return f"VNish on {asic.probed(text, 'TYPE') or 'an Antminer'}"
