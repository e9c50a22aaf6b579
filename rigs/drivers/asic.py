"""What the ASIC firmware drivers (Antminer, VNish, Whatsminer, Braiins OS, LuxOS, Avalon) share: they all
answer on TCP 4028 in a cgminer-like dialect, so they read through rigs/drivers/cgminer (its repairs,
its bounded client, its join fallback) and map what they read with these helpers into cgminer-shaped
sections: SUMMARY with ``MHS *`` in MH/s, one DEVS record per hashboard, FANS, POOLS, the firmware's
own sections kept beside them. Also the privileged commands several families share, and one cached
``version`` probe for detection. Plain Python, no Django.
"""

import re
import time

from . import cgminer
from .cgminer import client
from .cgminer.protocol import as_number
from .described import RESUME as RESUME  # the shared resume also ends a curtailment
from .described import Command, Param
from .errors import ConnectError, RigError, TimeoutError_

# Multipliers from a firmware's unit to MH/s (the cgminer API's unit).
TO_MHS = {"H": 1e-6, "K": 1e-3, "KH": 1e-3, "M": 1.0, "MH": 1.0, "G": 1e3, "GH": 1e3, "T": 1e6, "TH": 1e6,
          "P": 1e9, "PH": 1e9}
_NUMBER_WITH_UNIT = re.compile(r"\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*([A-Za-z%/]*)")


def num(value):
    """A number from whatever the firmware sent: 12, "37603.30", "3250 W", "49%", "-12"; None for
    "", "inf", booleans, lists and garbage (never trust JSON types, quirks Q11/Q12)."""
    n = as_number(value)
    if n is not None or not isinstance(value, str):
        return n
    m = _NUMBER_WITH_UNIT.fullmatch(value)
    return float(m.group(1)) if m else None


def mhs(value, unit):
    """A hashrate in ``unit`` (H, K, M, G, T, "GH/s", "TH"...) as MH/s, rounded; None if not a number."""
    n = num(value)
    factor = TO_MHS.get(str(unit).upper().removesuffix("/S").removesuffix("S")) if unit else None
    if n is None or factor is None:
        return None
    return round(n * factor, 3)


def sensors(value):
    """The readings of a dash-joined sensor string ("73-45-64-65"), or a list; 0 means no sensor (Q15)."""
    parts = value if isinstance(value, list) else str(value or "").split("-")
    return [n for n in (num(p) for p in parts) if n]


def hottest(*values):
    """The highest reading; a sensor that is not there reads 0 (or less): no reading."""
    found = [v for v in values if v is not None and v > 0]
    return max(found) if found else None


def board(index, rate_mhs, name, temp=None, chip_temp=None, extra=None):
    """One DEVS record for a hashboard, in cgminer's keys (an ASC), with the firmware's ``extra``
    fields after them (never over them)."""
    rec = {"ASC": index, "Name": name, "ID": index, "Enabled": "Y",
           "Status": "Alive" if rate_mhs else "Dead", "Temperature": temp, "Chip Temp": chip_temp,
           "MHS 5s": rate_mhs, "MHS av": rate_mhs}
    rec.update((k, v) for k, v in (extra or {}).items() if v is not None and k not in rec)
    return rec


def fans(rpms):
    """FANS records from (id, rpm) pairs; absent fans (0 or None) are left out."""
    return [{"FAN": i, "ID": i, "RPM": int(r)} for i, r in rpms if r]


def rates(record, unit, keys):
    """{"MHS 5s": ..} from a record's rate keys in ``unit``: keys maps the firmware key to cgminer's."""
    out = {}
    for theirs, ours in keys.items():
        v = mhs(record.get(theirs), unit)
        if v is not None:
            out[ours] = v
    return out


def first(records):
    """The first record of a section, {} when there is none."""
    return records[0] if isinstance(records, list) and records and isinstance(records[0], dict) else {}


def efficiency(power, rate_mhs):
    """J/TH from watts and MH/s; None when either is unknown."""
    return round(power / (rate_mhs / 1e6), 2) if power and rate_mhs else None


def mapped(sections, summary, devs, extra, **replaced):
    """The firmware's sections with cgminer's put in: SUMMARY (its own fields, then the figures of
    ``extra`` that are known), DEVS, and the sections in ``replaced``; empty sections left out."""
    summary = {**summary, **{k: v for k, v in extra.items() if v is not None}}
    out = {**sections, "SUMMARY": [summary] if summary else [], "DEVS": devs, **replaced}
    return {k: v for k, v in out.items() if v}


async def poll(rig, commands, to_sections, **limits):
    """(sections, statuses) of report commands on 4028 mapped by ``to_sections``: joined where the rig
    takes it, one per connection where it refuses (S19-class Antminers, quirk Q10), as cgminer does."""
    sections, statuses = await cgminer.read(rig, commands, **limits)
    return to_sections(sections), statuses


async def access(login, ok_message):
    """check_access's answer from awaiting ``login``: (ok, message, letter, code)."""
    try:
        await login
    except RigError as exc:
        return False, exc.message, "E", None
    return True, ok_message, "S", None


# One `version` probe per address, shared by every family's detect() during one scan.
_PROBES: dict[tuple[str, int], tuple[float, str]] = {}  # (host, port) -> (when asked, version text)
PROBE_TTL = 10.0


async def version_text(host, port, **limits):
    """The upper-cased text of the `version` (and, for Whatsminer, `get_version`) replies at an
    address, "" when nothing cgminer-like answers; asked once per address for PROBE_TTL seconds."""
    key = (host, port)
    hit = _PROBES.get(key)
    if hit and time.monotonic() - hit[0] < PROBE_TTL:
        return hit[1]
    text, answered = "", False
    for command in ("version", "devdetails"):  # BITMICRO shows in Whatsminer's devdetails
        try:
            reply = await client.call(host, port, command, **limits)
        except (ConnectError, TimeoutError_):
            _PROBES[key] = (time.monotonic(), "")
            return ""  # nothing there, or nothing that answers: ask no more
        except RigError:
            break
        answered = answered or (reply.status.get("STATUS") == "S" and bool(reply.sections))
        if reply.sections or reply.status.get("Description"):
            text += " " + str(reply.as_dict()).upper()
    # Whatsminer: its own probe, also where version and devdetails only gave an error status (firmwares that
    # refuse them still say "cgminer 4.9.2" in its Description); a miner that answered them is not asked
    if not answered or "BTMINER" in text or "BITMICRO" in text:
        try:  # Whatsminer: the firmware date tells the API generation
            raw = await client.exchange(host, port, b'{"cmd":"get_version"}', **limits)
            extra = raw.split(b"\0")[0].decode("utf-8", "replace")
            if '"FW_VER"' in extra.upper():
                text += " " + extra.upper()
        except RigError:
            pass
    if len(_PROBES) > 4096:
        _PROBES.clear()
    _PROBES[key] = (time.monotonic(), text)
    return text


def probed(text, key):
    """A value of the probe text (``'TYPE': 'ANTMINER S19 PRO'``) as the firmware wrote it, title-cased;
    "" when absent."""
    found = re.search(rf"'{key}': '([^']{{1,80}})'", text)
    return found.group(1).title() if found else ""


# ------------------------------------------------------------ commands several families share
REBOOT = Command("reboot", "Reboot", "miner", dangerous=True,
                 help="Reboots the whole machine: it stops hashing for a few minutes.")
RESTART = Command("restart", "Restart", "miner", dangerous=True)
PAUSE = Command("pause", "Pause mining", "miner")
IDENTIFY = Command("identify", "Identify (LED)", "miner", (Param("on", "bool", "Blink the LED"),),
                   help="Blinks the machine's locate LED (untick to stop), to find it in the racks.")
SETPOOLS = Command("setpools", "Set pools", "pool", (
    Param("url1", "url", "Pool 1 URL"), Param("user1", "text", "Pool 1 user"),
    Param("password1", "secret", "Pool 1 password", required=False),
    Param("url2", "url", "Pool 2 URL", required=False), Param("user2", "text", "Pool 2 user", required=False),
    Param("password2", "secret", "Pool 2 password", required=False),
    Param("url3", "url", "Pool 3 URL", required=False), Param("user3", "text", "Pool 3 user", required=False),
    Param("password3", "secret", "Pool 3 password", required=False)), dangerous=True,
    help="Replaces the machine's three pool slots (an empty slot is cleared); the password defaults to x.")


def pool_slots(values):
    """[(url, user, password)] of the filled slots of a setpools command, in order."""
    out = []
    for i in (1, 2, 3):
        url = values.get(f"url{i}")
        if url:
            out.append((url, values.get(f"user{i}") or "", values.get(f"password{i}") or "x"))
    if not out:
        raise RigError("give at least pool 1")
    return out
