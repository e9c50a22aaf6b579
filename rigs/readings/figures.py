"""Normalised figures of one snapshot, whatever kind of rig sent it.

Plain functions over the sections the poller stores (the cgminer API's names; the
xmrig, ckpool and XMRigCC drivers give the same shape). The poller computes them
once per snapshot; pages, totals, custom pages and the API read the result.

    {"hashrate_hs": 1.2e13, "hashrate_now_hs": 1.1e13, "algorithm": "SHA-256d",
     "accepted": 10, "rejected": 1, "stale": 0, "hw_errors": 0, "max_temp": 71.5,
     "max_chip_temp": 88.0, "role": "miner", "power_w": 3250, "power_estimated": False,
     "efficiency_jth": 29.5, "curtailed": False}

Power in W (reported by the firmware, else estimated from the nominal table: readings/power.py);
``curtailed`` as the kind's driver reads the sections (asleep, paused, in a low-power mode; None when
the firmware does not say or the kind cannot curtail).

Rates are in H/s. None means the rig did not say.
"""

import functools
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from rigs import drivers
from rigs.drivers.cgminer.protocol import as_number

from . import power as power_of

# (field prefix, H/s per unit); a firmware uses one prefix per record
UNITS = (("MHS", 1e6), ("GHS", 1e9), ("KHS", 1e3), ("THS", 1e12), ("HS", 1.0))
AVERAGE = ("av", "15m", "30m", "1hr", "1m")
CURRENT = ("5s", "10s", "20s", "1m", "rolling", "RT", "5m")
DEFAULT_ALGORITHM = "SHA-256d"
ALIASES = {
    "sha256": "SHA-256d", "sha256d": "SHA-256d", "sha-256": "SHA-256d", "sha-256d": "SHA-256d", "bitcoin": "SHA-256d",
    "scrypt": "scrypt", "rx/0": "RandomX", "randomx": "RandomX", "rx": "RandomX",
}
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def number(value: Any) -> float | None:
    """A rig's number, also from strings such as "110,566.89", "1 234.5" or "37603.30"."""
    kind = type(value)
    if (kind is float or kind is int) and -1e308 < value < 1e308:  # as_number's first two cases, minus a call
        return value if kind is float else float(value)
    n = as_number(value)
    if n is not None or not isinstance(value, str):
        return n
    text = value.strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace("_", "").replace("'", "")
    if _GROUPED.match(text):
        text = text.replace(",", "")
    elif "," in text and "." in text:  # 1.234,5
        text = text.replace(".", "").replace(",", ".")
    elif text.count(",") == 1:  # 37603,30
        text = text.replace(",", ".")
    return as_number(text)


def _rate_keys(windows: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    """(key, H/s per unit) of each window and unit, in the order rate_hs tries them."""
    return tuple((f"{prefix} {window}", mult) for window in windows for prefix, mult in UNITS)


_AVERAGE_KEYS, _CURRENT_KEYS = _rate_keys(AVERAGE), _rate_keys(CURRENT)  # the poller's two, every rig, every round


def rate_hs(record: object, windows: tuple[str, ...]) -> float | None:
    """The first of ``windows`` the record has, in H/s, in whichever unit it is given."""
    if not isinstance(record, dict):
        return None
    keys = _AVERAGE_KEYS if windows is AVERAGE else _CURRENT_KEYS if windows is CURRENT else _rate_keys(windows)
    for key, mult in keys:
        if key in record:
            value = number(record[key])
            if value is not None:
                return finite(value * mult)  # 1e300 TH/s is beyond a float
    return None


def _first_value(records: Iterable[Any] | None, key: str) -> str:
    """The first truthy ``key`` of the records, as text."""
    for r in records or []:
        if isinstance(r, dict) and r.get(key):
            return str(r[key])
    return ""


@functools.cache  # every rig, every round; the drivers are fixed
def _names_algorithm(kind: str) -> bool:
    return drivers.can(kind, "algorithm")


def algorithm(kind: str, sections: Mapping[str, Any]) -> str:
    """The hashing algorithm: what the rig names, else SHA-256d (cgminer's own)."""
    if _names_algorithm(kind):  # a kind that names its own (xmrig, XMRigCC)
        name = drivers.driver(kind).algorithm(sections) or ""
    else:  # bfgminer's SUMMARY "Algorithm" is its CPU kernel (sse4_64), not the hash
        name = _first_value(sections.get("COIN"), "Hash Method") or _first_value(sections.get("POOLS"), "Algorithm")
    name = name.strip()[:40]
    return ALIASES.get(name.lower(), name) if name else DEFAULT_ALGORITHM


TEMP_KEY = re.compile(r"^temp(erature)?[ _]?(\d+|max|chip\d*|\d+_\d+|pcb\d*)?$", re.I)
# What TEMP_KEY said of the STATS keys seen, the same few hundred every round: the keys that name no
# temperature, and the temperature keys of each shape of record (its keys, in order) that has some.
# Forgotten once they hold MAX_HELD keys (a rig that makes keys up) and learnt again: only ever a
# cost, never an answer, depends on what they hold.
_PLAIN: set[Any] = set()
_SHAPES: dict[tuple[Any, ...], tuple[str, ...]] = {}
_held = 0  # keys in _SHAPES
MAX_HELD = 20000


def temp_keys(record: dict[Any, Any]) -> tuple[str, ...]:
    """The keys of a STATS record that name a temperature: looked up by the record's keys as a whole,
    rather than matched one by one every round (max_temp skips the records whose keys are all plain)."""
    global _held
    shape = tuple(record)
    found = _SHAPES.get(shape)
    if found is None:
        if len(_PLAIN) + _held + len(shape) > MAX_HELD:
            _PLAIN.clear()
            _SHAPES.clear()
            _held = 0
        found = tuple([k for k in shape if isinstance(k, str) and TEMP_KEY.match(k)])
        _PLAIN.update([k for k in shape if k not in found])
        if found:
            _SHAPES[shape] = found
            _held += len(shape)
    return found


def max_temp(sections: Mapping[str, Any]) -> float | None:
    """The hottest board, one rule for every kind: SUMMARY `Temperature` where the driver puts it (the
    ASIC drivers: the hottest board, the chips beside it as `Chip Temp`), else devices' Temperature
    and bmminer's STATS temp1..N/temp2_N (a reading is above 0 and below 250: 0 is no sensor)."""
    t = number((first_dict(sections.get("SUMMARY")) or {}).get("Temperature"))
    if t is not None and 0 < t < 250:
        return t
    hottest = None
    for d in sections.get("DEVS") or []:
        if isinstance(d, dict):
            t = number(d.get("Temperature"))
            if t is not None and 0 < t < 250 and (hottest is None or t > hottest):
                hottest = t
    for s in sections.get("STATS") or []:
        if isinstance(s, dict) and not _PLAIN.issuperset(s):  # most records: every key known, none a temperature
            for k in temp_keys(s):
                t = number(s[k])
                if t is not None and 0 < t < 250 and (hottest is None or t > hottest):
                    hottest = t
    return hottest


def max_chip_temp(sections: Mapping[str, Any]) -> float | None:
    """The hottest chip, beside the hottest board: SUMMARY `Chip Temp` where the driver puts it (the ASIC
    drivers), else the devices' `Chip Temp`; None where no chip sensor reads (0 is no sensor)."""
    t = number((first_dict(sections.get("SUMMARY")) or {}).get("Chip Temp"))
    if t is not None and 0 < t < 250:
        return t
    hottest = None
    for d in sections.get("DEVS") or []:
        if isinstance(d, dict) and "Chip Temp" in d:
            t = number(d["Chip Temp"])
            if t is not None and 0 < t < 250 and (hottest is None or t > hottest):
                hottest = t
    return hottest


def _count(summary: dict[str, Any] | None, devs: list[dict[str, Any]], key: str) -> float | None:
    if isinstance(summary, dict) and key in summary:
        return number(summary[key])
    values = [v for v in [number(d.get(key)) for d in devs if key in d] if v is not None]
    return finite(sum(values)) if values else None


def _percent(summary: dict[str, Any] | None, devs: list[dict[str, Any]], pct_key: str, part_key: str,
             rest_key: str) -> float | None:
    """A rate in %: the firmware's own ``pct_key`` where it sends one, else part / (part + rest) of the
    counts (SUMMARY's, or the devices' summed); None when there is no denominator."""
    own = number(summary.get(pct_key)) if isinstance(summary, dict) else None
    if own is not None:
        return finite(own)
    part, rest = _count(summary, devs, part_key), _count(summary, devs, rest_key)
    if part is None or rest is None or part + rest <= 0:
        return None
    return finite(100 * part / (part + rest))


def hw_percent(summary: dict[str, Any] | None, devs: list[dict[str, Any]]) -> float | None:
    """Hardware errors against the work done, as cgminer's `Device Hardware%` = HW / (HW + Diff1 Work)."""
    return _percent(summary, devs, "Device Hardware%", "Hardware Errors", "Diff1 Work")


def reject_percent(summary: dict[str, Any] | None, devs: list[dict[str, Any]]) -> float | None:
    """Rejects by difficulty, as cgminer's `Pool Rejected%` = Difficulty Rejected / (Accepted + Rejected)."""
    pct = _percent(summary, devs, "", "Difficulty Rejected", "Difficulty Accepted")
    if pct is not None:
        return pct
    return _percent(summary, devs, "Pool Rejected%", "Rejected", "Accepted")


def finite(v: float | None) -> float | None:
    """A number, unless a sum or a unit made it infinite (or inf - inf made it NaN)."""
    return v if v is not None and math.isfinite(v) else None


def _whole(v: float | None) -> float | int | None:
    """A count as an int when it is one."""
    if v is None:
        return None
    whole = int(v)
    return whole if v == whole else v


def first_dict(records: Iterable[Any] | None) -> dict[str, Any] | None:
    """The first record that is a dict, if any (next() over a generator costs twice as much)."""
    for r in records or []:
        if isinstance(r, dict):
            return r
    return None


def figures(kind: str, sections: object) -> dict[str, Any]:
    """The normalised figures of one snapshot's sections."""
    sections = sections if isinstance(sections, dict) else {}
    summary = first_dict(sections.get("SUMMARY"))
    devs = [d for d in sections.get("DEVS") or [] if isinstance(d, dict)]
    av, now = rate_hs(summary, AVERAGE), rate_hs(summary, CURRENT)
    if summary is None and devs:
        rates = [rate_hs(d, AVERAGE) for d in devs]
        av = finite(sum(r for r in rates if r is not None)) if any(r is not None for r in rates) else None
        rates = [rate_hs(d, CURRENT) for d in devs]
        now = finite(sum(r for r in rates if r is not None)) if any(r is not None for r in rates) else None
    accepted, rejected = _count(summary, devs, "Accepted"), _count(summary, devs, "Rejected")
    stale, hw_errors = _count(summary, devs, "Stale"), _count(summary, devs, "Hardware Errors")
    algo = algorithm(kind, sections)
    current = now if now is not None else av
    curtailed = drivers.curtailed(kind, sections)
    pool = drivers.is_pool(kind)
    watts = {"power_w": None, "power_estimated": False, "efficiency_jth": None} if pool else power_of.power(
        summary, sections, current, curtailed, algo == DEFAULT_ALGORITHM)
    return {  # the counts' int() after algorithm(), as ever: which of two bad values raises first
        "hashrate_hs": av, "hashrate_now_hs": current,
        "algorithm": algo,
        "accepted": _whole(accepted), "rejected": _whole(rejected), "stale": _whole(stale),
        "hw_errors": _whole(hw_errors),
        "hw_pct": hw_percent(summary, devs), "reject_pct": reject_percent(summary, devs),
        "max_temp": max_temp(sections), "max_chip_temp": max_chip_temp(sections),
        "role": "pool" if pool else "miner",
        **watts, "curtailed": curtailed,
    }
