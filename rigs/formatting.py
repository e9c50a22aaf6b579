"""How operators read numbers: plain functions from rig values to display text."""

from .protocol import as_number

RATE_UNITS = [(1e6, "TH/s"), (1e3, "GH/s"), (1.0, "MH/s"), (1e-3, "kH/s")]


def rate_mhs(record, window="av"):
    """A device's or summary's rate in MH/s, whatever unit the firmware used.

    window is "av" or "short" (the first of 5s/20s/1m/rolling the firmware has).
    """
    if not record:
        return None
    prefixes = (("MHS", 1.0), ("GHS", 1e3), ("KHS", 1e-3), ("THS", 1e6))
    if window == "av":
        names = [(f"{p} av", m) for p, m in prefixes]
    else:
        names = [(f"{p} {w}", m) for w in ("5s", "20s", "1m", "rolling") for p, m in prefixes]
    for name, mult in names:
        if name in record:
            value = as_number(record[name])
            return None if value is None else value * mult
    return None


def format_rate(mhs):
    if mhs is None:
        return ""
    for scale, unit in RATE_UNITS:
        if abs(mhs) >= scale or scale == RATE_UNITS[-1][0]:
            return f"{mhs / scale:,.2f} {unit}"
    return ""


def format_age(seconds):
    """2d 03h 04m 05s, as miner.php writes elapsed times (short forms for short times)."""
    if seconds is None:
        return ""
    s = int(max(0, seconds))
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    if d:
        return f"{d}d {h:02d}h {m:02d}m {s:02d}s"
    if h:
        return f"{h}h {m:02d}m {s:02d}s"
    if m:
        return f"{m}m {s:02d}s"
    return f"{s}s"
