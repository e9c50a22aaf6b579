"""Normalised figures of one snapshot, whatever kind of rig sent it.

Plain functions over the sections the poller stores (the cgminer API's names; the
xmrig, ckpool and XMRigCC drivers give the same shape). The poller computes them
once per snapshot; pages, totals, custom pages and the API read the result.

    {"hashrate_hs": 1.2e13, "hashrate_now_hs": 1.1e13, "algorithm": "SHA-256d",
     "accepted": 10, "rejected": 1, "stale": 0, "hw_errors": 0, "max_temp": 71.5,
     "role": "miner"}

Rates are in H/s. None means the rig did not say.
"""

import re

from . import drivers
from .drivers.cgminer.protocol import as_number

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


def number(value):
    """A rig's number, also from strings such as "110,566.89", "1 234.5" or "37603.30"."""
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


def rate_hs(record, windows):
    """The first of ``windows`` the record has, in H/s, in whichever unit it is given."""
    if not isinstance(record, dict):
        return None
    for window in windows:
        for prefix, mult in UNITS:
            key = f"{prefix} {window}"
            if key in record:
                value = number(record[key])
                if value is not None:
                    return value * mult
    return None


def algorithm(kind, sections):
    """The hashing algorithm: what the rig names, else SHA-256d (cgminer's own)."""
    def first(records, key):
        for r in records or []:
            if isinstance(r, dict) and r.get(key):
                return str(r[key])
        return ""

    if drivers.can(kind, "algorithm"):  # a kind that names its own (xmrig, XMRigCC)
        name = drivers.driver(kind).algorithm(sections) or ""
    else:  # bfgminer's SUMMARY "Algorithm" is its CPU kernel (sse4_64), not the hash
        name = first(sections.get("COIN"), "Hash Method") or first(sections.get("POOLS"), "Algorithm")
    name = name.strip()[:40]
    return ALIASES.get(name.lower(), name) if name else DEFAULT_ALGORITHM


TEMP_KEY = re.compile(r"^temp(erature)?[ _]?(\d+|max|chip\d*|\d+_\d+|pcb\d*)?$", re.I)
_SEEN, _TEMP = set(), set()  # STATS keys seen, and those TEMP_KEY matches: the same few hundred every round


def temp_keys(record):
    """The keys of a STATS record that name a temperature (set operations: a record has dozens of keys)."""
    keys = record.keys()
    new = keys - _SEEN
    if new:
        if len(_SEEN) > 20000:  # keys rigs made up: matched again rather than kept forever
            _SEEN.clear()
            _TEMP.clear()
        _SEEN.update(new)
        _TEMP.update(k for k in new if isinstance(k, str) and TEMP_KEY.match(k))
    return keys & _TEMP


def max_temp(sections):
    """The hottest sensor: devices' Temperature, bmminer's STATS temp1..N/temp2_N."""
    temps = []
    for d in sections.get("DEVS") or []:
        if isinstance(d, dict):
            temps.append(number(d.get("Temperature")))
    for s in sections.get("STATS") or []:
        if isinstance(s, dict):
            temps.extend(number(s[k]) for k in temp_keys(s))
    temps = [t for t in temps if t is not None and 0 < t < 250]
    return max(temps) if temps else None


def _count(summary, devs, key):
    if isinstance(summary, dict) and key in summary:
        return number(summary.get(key))
    values = [number(d.get(key)) for d in devs if key in d]
    values = [v for v in values if v is not None]
    return sum(values) if values else None


def figures(kind, sections):
    """The normalised figures of one snapshot's sections."""
    sections = sections if isinstance(sections, dict) else {}
    summary = next((r for r in sections.get("SUMMARY") or [] if isinstance(r, dict)), None)
    devs = [d for d in sections.get("DEVS") or [] if isinstance(d, dict)]
    av, now = rate_hs(summary, AVERAGE), rate_hs(summary, CURRENT)
    if summary is None and devs:
        rates = [rate_hs(d, AVERAGE) for d in devs]
        av = sum(r for r in rates if r is not None) if any(r is not None for r in rates) else None
        rates = [rate_hs(d, CURRENT) for d in devs]
        now = sum(r for r in rates if r is not None) if any(r is not None for r in rates) else None
    counts = {name: _count(summary, devs, key) for name, key in
              (("accepted", "Accepted"), ("rejected", "Rejected"), ("stale", "Stale"), ("hw_errors", "Hardware Errors"))}
    return {
        "hashrate_hs": av, "hashrate_now_hs": now if now is not None else av,
        "algorithm": algorithm(kind, sections),
        **{k: (int(v) if v is not None and v == int(v) else v) for k, v in counts.items()},
        "max_temp": max_temp(sections),
        "role": "pool" if drivers.is_pool(kind) else "miner",
    }
