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
    if mhs == 0:
        return "0 H/s"
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


# ---------------------------------------------------------------- fmt()

def thousands(value, decimals=None):
    """1234567.891 -> '1,234,567.891': thousands separators, the rig's decimals kept."""
    n = as_number(value)
    if n is None:
        return "" if value is None else str(value)
    if decimals is not None:
        return f"{n:,.{decimals}f}"
    if not isinstance(value, float) and float(n).is_integer():
        return f"{int(n):,}"
    text = repr(float(n))
    if "e" in text:
        return f"{n:,.2f}"
    frac = text.partition(".")[2].rstrip("0")
    return f"{n:,.{len(frac)}f}"


def clock(epoch, tz, with_date=False):
    if not epoch:
        return "Never"
    from datetime import datetime

    try:
        t = datetime.fromtimestamp(float(epoch), tz)
    except (OverflowError, OSError, ValueError):
        return str(epoch)
    return t.strftime("%H:%M:%S %d-%b" if with_date else "%H:%M:%S")


RATE_PREFIX = {"MHS": 1.0, "GHS": 1e3, "KHS": 1e-3, "THS": 1e6}
TWO_DECIMALS = {"Difficulty Accepted", "Difficulty Rejected", "Difficulty Stale", "Last Share Difficulty",
                "Work Difficulty", "Stratum Difficulty", "Work Diff", "Min Diff", "Max Diff"}
THOUSANDS = {"Accepted", "Rejected", "Hardware Errors", "Best Share", "Total MH", "Getworks", "Works",
             "Discarded", "Stale", "Local Work", "Get Failures", "Remote Failures", "Diff1 Work",
             "Diff1 Shares", "Network Difficulty", "Found Blocks", "Network Blocks", "Times Sent",
             "Bytes Sent", "Times Recv", "Bytes Recv", "Net Bytes Sent", "Net Bytes Recv", "Calls"}


def fmt(section, field, value, when=0, tz=None):
    """(text, css) for one value, as operators read it; css is '', 'warn' or 'err'.

    ``section`` is the API section (POOLS, DEVS, SUMMARY...), ``when`` the
    reply's STATUS When (epoch), used for ages.
    """
    if value is None:
        return "", ""
    name = field.rsplit(".", 1)[-1] if field.startswith(("POOL.", "DEVS.", "SUMMARY.", "NOTIFY.", "STATS.")) else field
    try:
        return _fmt(section, name, value, when, tz)
    except (TypeError, ValueError, OverflowError):
        return str(value), ""


def _fmt(section, name, value, when, tz):
    num = as_number(value)
    if name in ("Elapsed", "Device Elapsed") and num is not None:
        return format_age(num), ""
    prefix, _, window = name.partition(" ")
    if prefix in RATE_PREFIX and window in ("av", "5s", "20s", "1m", "5m", "15m", "rolling") and num is not None:
        return format_rate(num * RATE_PREFIX[prefix]), "err" if num == 0 else ""
    if name in ("Utility", "Work Utility") and num is not None:
        return f"{num:,.2f}/m", "err" if num == 0 and name == "Utility" else ""
    if name == "Temperature" and num is not None:
        return ("" if num == 0 else f"{num:.1f}°C"), ("err" if num >= 90 else "warn" if num >= 80 else "")
    if name.endswith("%") and num is not None:
        css = ""
        if name in ("Fan Percent",):
            css = "err" if num >= 100 else "warn" if num > 85 or num == 0 else ""
        return f"{num:,.2f}%", css
    if name in TWO_DECIMALS and num is not None:
        return f"{num:,.2f}", ""
    if name == "Last Share Time":
        if not num:
            return "Never", "" if section == "POOLS" else "warn"
        return clock(num, tz, with_date=section == "POOLS"), ""
    if name in ("Last getwork", "Last Valid Work", "Last Well"):
        return (clock(num, tz) if num else "Never"), ("warn" if not num and name != "Last getwork" else "")
    if name == "Last Not Well":
        return ("Never", "") if not num else (clock(num, tz), "err")
    if name == "Last Share Pool" and num == -1:
        return "None", "warn"
    if name == "Reason Not Well":
        return str(value), "" if value == "None" else "err"
    if name == "Status":
        return str(value), "" if value == "Alive" else "err"
    if name == "Enabled":
        return str(value), "" if value in ("Y", True) else "warn"
    if name == "No Device":
        return str(value).lower(), "err" if value not in (False, "false", "N") else ""
    if name.startswith("*") and num is not None:
        return thousands(value), "err" if num else ""
    if name == "When" and num:
        return clock(num, tz, with_date=True), ""
    if name in THOUSANDS and num is not None:
        return thousands(value), ""
    if isinstance(value, bool):
        return ("true" if value else "false"), ""
    return str(value), ""


def expected_share_seconds(mhs, difficulty):
    """miner.php's $checklastshare: 2^32 / (MH/s * 10^6) * difficulty."""
    if not mhs or not difficulty or mhs <= 0 or difficulty <= 0:
        return None
    return 2**32 / (mhs * 1e6) * difficulty


def last_share_state(record, when):
    """'err' if the last share is older than 12x the expected interval, 'warn' past 8x."""
    expected = expected_share_seconds(rate_mhs(record), as_number(record.get("Last Share Difficulty")))
    last = as_number(record.get("Last Share Time"))
    when = as_number(when)
    if expected is None or not last or not when:
        return ""
    howlong = max(1.0, when - last)
    if howlong > 12 * expected:
        return "err"
    if howlong > 8 * expected:
        return "warn"
    return ""
