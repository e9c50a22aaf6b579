"""Antminer stock firmware (Bitmain bmminer / "cgminer 1.0.0"): reads on TCP 4028, writes through
the web CGI behind HTTP Digest (research: asic-dialects.md §3.1).

Reads: `version`, `summary` (GH/s: `GHS 5s`, `GHS av`, `GHS 30m`), `pools`, `stats` (`STATS[1]`
is one flat record: `chain_rate N` strings in GH/s, `""` for an absent board, `temp_pcb N` /
`temp_chip N` dash-joined strings, `fan N`). S19-class units refuse joined commands; the client
falls back to one per connection. Stock RPC is read-only for network clients, so every write goes
to `/cgi-bin/*.cgi` on the web port with the web user (root) and password (the rig's token):
`set_miner_conf.cgi` (pools, work mode; it says "OK" even when nothing changed, so the panel reads
the configuration back), `blink.cgi`, `reboot.cgi`.
"""

import re
from typing import Any, Unpack

from . import asic, cgminer, curtailing, http
from .described import CURTAIL as CURTAIL_COMMAND
from .described import RESUME, Command, Curtailing, Param
from .errors import BadReplyError, RigError
from .interface import Access, Limits, Outcome, Record, Rig, Sections, Statuses

KIND = "antminer"
LABEL = "Antminer stock firmware (bmminer)"
FIELDS = ("host", "port", "web_port", "username", "token")
access_denied = cgminer.access_denied  # it answers on the cgminer API: its access-denied rule
WEB_PORT = 80
WRITE_TIMEOUT = 35.0  # set_miner_conf.cgi takes ~21 s on S19-class units (Q17)
ABOUT = ("Antminer stock firmware: rates from `summary` and `stats` are in GH/s and shown converted; one "
         "device per hashboard from `stats` (chain_rate, temp_pcb, temp_chip); fans and power from `stats`. "
         "Controls go through the miner's web interface (HTTP Digest, user root and the web password set "
         "as the rig's token); its API port stays read-only.")
MODES = (("0", "Normal"), ("1", "Sleep"))
COMMANDS = (
    asic.SETPOOLS,
    Command("workmode", "Work mode", "miner", (Param("mode", "choice", "Mode", choices=MODES),),
            help="Sleep stops hashing (fans slow down) until set back to Normal; the miner restarts its "
                 "mining program to apply it. Some 2025 S21 builds accept the change without applying it: "
                 "the panel reads the setting back and says so."),
    CURTAIL_COMMAND,
    RESUME,
    asic.IDENTIFY,
    asic.REBOOT,
)
CURTAIL = Curtailing(
    sleep="sets the work mode to Sleep (set_miner_conf.cgi `miner-mode` 1): the hashboards stop, the fans slow "
          "down; Resume sets Normal (0). The miner restarts its mining program for each.",
    reads_back="the work mode (`bitmain-work-mode` of get_miner_conf.cgi), asked when the API shows no hashing; "
               "a rig that hashes is not asleep.")
POLL_COMMANDS = ["version", "summary", "pools", "stats"]
_CHAIN = re.compile(r"chain_rate(\d+)\Z")


def stats_record(stats):
    """The flat record of `stats` (STATS[1] after the version block), {} if absent."""
    for rec in stats or []:
        if isinstance(rec, dict) and any(_CHAIN.match(k) for k in rec):
            return rec
    return {}


def chains(flat, unit="GH"):
    """One DEVS record per present hashboard of the flat stats record."""
    out: list[Record] = []
    for n in sorted(int(m.group(1)) for m in map(_CHAIN.match, flat) if m):
        rate = flat.get(f"chain_rate{n}")
        if rate in ("", None):
            continue  # no board in this slot (Q15)
        pcb = asic.sensors(flat.get(f"temp_pcb{n}") or flat.get(f"temp_out_pcb_{n}") or flat.get(f"temp{n}"))
        chip = asic.sensors(flat.get(f"temp_chip{n}") or flat.get(f"temp2_{n}"))
        out.append(asic.board(len(out), asic.mhs(rate, unit), "BTM", max(pcb, default=None), max(chip, default=None), {
            "Chain": n, "Chips": int(asic.num(flat.get(f"chain_acn{n}")) or 0),
            "Hardware Errors": asic.num(flat.get(f"chain_hw{n}")), "Frequency": asic.num(flat.get(f"freq{n}")),
            "Chip Status": flat.get(f"chain_acs{n}")}))
    return out


def power_of(flat):
    """Watts from whichever key the model uses (Q14)."""
    for key in ("chain_power", "power", "Power", "watt"):
        if asic.num(flat.get(key)) is not None:
            return asic.num(flat.get(key))
    return None


def to_sections(sections):
    """The RPC sections of a stock Antminer, with the cgminer figures added (MH/s, boards, fans)."""
    flat = stats_record(sections.get("STATS"))
    unit = str(flat.get("rate_unit") or "GH")
    devs = chains(flat, unit)
    summary = dict(asic.first(sections.get("SUMMARY")))
    gh = {"GHS 5s": "MHS 5s", "GHS av": "MHS av", "GHS 30m": "MHS 30m"}
    summary.update({**asic.rates(flat, "G", gh), **asic.rates(summary, "G", gh)})  # stats' when summary is missing
    fan_ids = sorted(int(k[3:]) for k in flat if re.fullmatch(r"fan\d+", k))
    fans = asic.fans((i, asic.num(flat.get(f"fan{i}"))) for i in fan_ids)
    power = power_of(flat)
    return asic.mapped(sections, summary, devs, {
        "Temperature": asic.hottest(*(d["Temperature"] for d in devs)),
        "Chip Temp": asic.hottest(*(d["Chip Temp"] for d in devs)),
        "Nominal MHS": asic.mhs(flat.get("total_rateideal"), unit),
        "Power": power,
        "Efficiency J/TH": asic.efficiency(power, summary.get("MHS 5s")),
        "Fan Max": max((f["RPM"] for f in fans), default=None),
        "Boards": len(devs),
    }, FANS=fans)


async def poll(rig: Rig, **limits: Unpack[Limits]) -> tuple[Sections, Statuses]:
    sections, statuses = await asic.poll(rig, POLL_COMMANDS, to_sections, **limits)
    await work_mode(rig, sections, **limits)
    return sections, statuses


async def work_mode(rig, sections, **limits):
    """A rig that hashes nothing: asleep, or stopped? Its API does not say, so its web configuration is asked
    (only then, and only where the rig has its web password): SUMMARY gains "Work Mode"."""
    if not getattr(rig, "token", "") or curtailing.hashing(sections) not in (0, 0.0) or not sections.get("SUMMARY"):
        return
    try:
        conf = await web(rig, "GET", "get_miner_conf.cgi", **limits)
    except RigError:
        return  # the figures do not need it
    mode = _mode(conf) if isinstance(conf, dict) else ""
    if mode:
        sections["SUMMARY"][0]["Work Mode"] = WORK_MODES.get(mode, mode)


# ------------------------------------------------------------------ the web CGI (writes)
async def web(rig, method, cgi, body=None, **limits):
    """The JSON of one CGI call behind Digest; a RigError a user understands otherwise."""
    port = getattr(rig, "web_port", None) or WEB_PORT
    user = getattr(rig, "username", "") or "root"
    status, raw = await http.call_digest(rig.host, port, method, f"/cgi-bin/{cgi}", user, rig.token or "",
                                         body, **limits)
    if status == 401:
        raise RigError(f"the Antminer's web interface refused user '{user}' and the rig's password "
                       "(set the web password as the rig's token; the user is usually root)")
    if status == 404:
        raise RigError(f"the web interface has no {cgi}: an older or newer firmware than the panel knows")
    if status >= 400:
        raise RigError(f"HTTP {status} from the Antminer's web interface ({cgi})")
    try:
        return http.json_body(raw)
    except BadReplyError:
        raise BadReplyError(f"{cgi} did not answer JSON: is the web port right?") from None


async def set_conf(rig, change, **limits):
    """Read the configuration, change it, write it, read it again: (letter, message)."""
    conf = await web(rig, "GET", "get_miner_conf.cgi", **limits)
    if not isinstance(conf, dict):
        raise BadReplyError("get_miner_conf.cgi did not answer a configuration")
    wanted = change(dict(conf))
    slow = {**limits, "timeout": max(limits.get("timeout", 5.0), WRITE_TIMEOUT)}
    reply = await web(rig, "POST", "set_miner_conf.cgi", wanted, **slow)
    said = reply if isinstance(reply, dict) else {}
    if said.get("stats") not in ("success", None) or str(said.get("code", "M000")) != "M000":
        return "E", f"the miner refused the configuration: {str(said.get('msg') or said)[:200]}"
    after = await web(rig, "GET", "get_miner_conf.cgi", **limits)
    return None, after if isinstance(after, dict) else {}


WORK_MODES = {"0": "Normal", "1": "Sleep", "2": "High", "3": "Low"}  # asic-dialects.md §3.1


def _mode(conf):
    return str(conf.get("miner-mode", conf.get("bitmain-work-mode", "")))


async def command(rig: Rig, name: str, values: dict[str, Any], **limits: Unpack[Limits]) -> Outcome:
    if name == "identify":
        on = bool(values.get("on"))
        reply = await web(rig, "POST", "blink.cgi", {"blink": "true" if on else "false"}, **limits)
        ok = isinstance(reply, dict) and (reply.get("code") in ("B000", "B100") or reply.get("stats") == "success")
        return ("S", "The LED is blinking." if on else "The LED is back to normal.") if ok else (
            "E", f"blink.cgi said: {str(reply)[:200]}")
    if name == "reboot":
        await web(rig, "POST", "reboot.cgi", {}, **limits)
        return "S", "The Antminer is rebooting; it will be back in a few minutes."
    if name == "curtail":
        return await curtail(rig, values.get("how") or "", values.get("value"), **limits)
    if name == "resume":
        return await resume(rig, **limits)
    if name == "workmode":
        return await set_mode(rig, values["mode"], **limits)
    if name == "setpools":
        slots = asic.pool_slots(values)

        def change(conf):
            conf["pools"] = [{"url": u, "user": w, "pass": p} for u, w, p in slots] + [
                {"url": "", "user": "", "pass": ""}] * (3 - len(slots))
            return conf

        letter, after = await set_conf(rig, change, **limits)
        if letter:
            return letter, after
        got = [(p.get("url"), p.get("user")) for p in after.get("pools") or [] if isinstance(p, dict) and p.get("url")]
        if got != [(u, w) for u, w, _ in slots]:
            return "W", "The miner answered OK but its pools did not change."
        return "S", f"Pools set ({len(slots)}); the miner restarts its mining program to use them."
    raise RigError(f"{name} is not an Antminer command")


async def set_mode(rig, mode, **limits):
    """Write the work mode and read it back: (letter, message)."""

    def change(conf):
        conf["miner-mode"] = int(mode)  # the key that takes effect (asic-rs #245)
        conf["bitmain-work-mode"] = mode
        return conf

    letter, after = await set_conf(rig, change, **limits)
    if letter:
        return letter, after
    label = dict(MODES)[mode]
    if _mode(after) != mode:
        return "W", f"The miner answered OK but its work mode is still {_mode(after) or 'unknown'}, not {label}."
    return "S", f"Work mode set to {label}."


async def curtail(rig: Rig, how: str, value: str | None = None, **limits: Unpack[Limits]) -> Outcome:
    curtailing.check(LABEL, CURTAIL, how, value)
    return await set_mode(rig, "1", **limits)


async def resume(rig: Rig, **limits: Unpack[Limits]) -> Outcome:
    return await set_mode(rig, "0", **limits)


def curtailed(sections: Sections, how: str | None = None, value: str | None = None) -> bool | None:
    mode = curtailing.summary(sections).get("Work Mode")
    if mode:
        return mode == "Sleep"
    rate = curtailing.hashing(sections)
    return False if rate else None  # hashing: awake; nothing, and no work mode read: it does not say


async def check_access(rig: Rig, **limits: Unpack[Limits]) -> Access:
    return await asic.access(web(rig, "GET", "get_system_info.cgi", **limits),
                             "The Antminer's web interface takes the panel's user and password.")


async def detect(host: str, port: int, **limits: Unpack[Limits]) -> str | None:
    text = await asic.version_text(host, port, **limits)
    if "ANTMINER" not in text or not ("BMMINER" in text or "CGMINER 1.0.0" in text):
        return None
    return f"{asic.probed(text, 'TYPE') or 'Antminer'} (stock firmware, bmminer)"

