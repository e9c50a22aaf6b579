"""Reading a rig's rates and shares: a record's hashrate in MH/s whatever unit the firmware used, and
whether its last share is late (miner.php's $checklastshare). Plain functions, for health and the pages."""

from collections.abc import Mapping
from typing import Any

from rigs.drivers.cgminer.protocol import as_number

_PREFIXES = (("MHS", 1.0), ("GHS", 1e3), ("KHS", 1e-3), ("THS", 1e6))
RATE_FIELDS = {
    "av": tuple((f"{p} av", m) for p, m in _PREFIXES),
    "short": tuple((f"{p} {w}", m) for w in ("5s", "10s", "20s", "1m", "rolling") for p, m in _PREFIXES),
}


def rate_mhs(record: Mapping[str, Any] | None, window: str = "av") -> float | None:
    """A device's or summary's rate in MH/s, whatever unit the firmware used.

    window is "av" or "short" (the first of 5s/20s/1m/rolling the firmware has).
    """
    if not record:
        return None
    for name, mult in RATE_FIELDS[window]:
        if name in record:
            value = as_number(record[name])
            return None if value is None else value * mult
    return None


def expected_share_seconds(mhs: float | None, difficulty: float | None) -> float | None:
    """miner.php's $checklastshare: 2^32 / (MH/s * 10^6) * difficulty."""
    if not mhs or not difficulty or mhs <= 0 or difficulty <= 0:
        return None
    return 2.0**32 / (mhs * 1e6) * difficulty  # (a float 2^32: the same quotient, a little sooner)


def last_share_state(record: Mapping[str, Any], when: object, mhs: float | None = None) -> str:
    """'err' if the last share is older than 12x the expected interval, 'warn' past 8x."""
    mhs = rate_mhs(record) if mhs is None else mhs
    expected = expected_share_seconds(mhs, as_number(record.get("Last Share Difficulty")))
    last = as_number(record.get("Last Share Time"))
    when = as_number(when)
    if expected is None or not last or not when:
        return ""
    howlong = when - last if when - last > 1.0 else 1.0  # max() is a call: every device, every round
    return "err" if howlong > 12 * expected else "warn" if howlong > 8 * expected else ""
