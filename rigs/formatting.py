"""How operators read numbers: plain functions from rig values to display text."""

import functools

from .drivers.cgminer.protocol import as_number

RATE_UNITS = [(1e6, "TH/s"), (1e3, "GH/s"), (1.0, "MH/s"), (1e-3, "kH/s")]


_PREFIXES = (("MHS", 1.0), ("GHS", 1e3), ("KHS", 1e-3), ("THS", 1e6))
RATE_FIELDS = {
    "av": tuple((f"{p} av", m) for p, m in _PREFIXES),
    "short": tuple((f"{p} {w}", m) for w in ("5s", "10s", "20s", "1m", "rolling") for p, m in _PREFIXES),
}


def rate_mhs(record, window="av"):
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
    if type(value) is int and decimals is None:
        return f"{value:,}"
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
    if with_date:
        from django.conf import settings

        if getattr(settings, "DATETIME_FORMAT_CELLS", ""):  # miner.php's $dfmt
            from django.utils import dateformat

            return dateformat.format(t, settings.DATETIME_FORMAT_CELLS)
    return t.strftime("%H:%M:%S %d-%b" if with_date else "%H:%M:%S")


RATE_WINDOWS = ("av", "5s", "10s", "20s", "1m", "5m", "15m", "rolling", "1hr", "6hr", "1d", "7d", "highest")
RATE_PREFIX = {"MHS": 1.0, "GHS": 1e3, "KHS": 1e-3, "THS": 1e6}
TWO_DECIMALS = {"Difficulty Accepted", "Difficulty Rejected", "Difficulty Stale", "Last Share Difficulty",
                "Work Difficulty", "Stratum Difficulty", "Work Diff", "Min Diff", "Max Diff"}
THOUSANDS = {"Accepted", "Rejected", "Hardware Errors", "Best Share", "Total MH", "Getworks", "Works",
             "Discarded", "Stale", "Local Work", "Get Failures", "Remote Failures", "Diff1 Work",
             "Diff1 Shares", "Network Difficulty", "Found Blocks", "Network Blocks", "Times Sent",
             "Bytes Sent", "Times Recv", "Bytes Recv", "Net Bytes Sent", "Net Bytes Recv", "Calls",
             # ckpool and XMRigCC
             "Shares", "Users", "Workers", "Idle", "Disconnected", "Clients", "Known Users", "Best Ever",
             "Running", "Offline"}


def fmt(section, field, value, when=0, tz=None):
    """(text, css) for one value, as operators read it; css is '', 'warn' or 'err'.

    ``section`` is the API section (POOLS, DEVS, SUMMARY...), ``when`` the
    reply's STATUS When (epoch), used for ages.
    """
    return formatter(section, field)(value, when, tz)


@functools.lru_cache(maxsize=4096)
def formatter(section, field):
    """The formatting function of one column, chosen once: f(value, when, tz) -> (text, css)."""
    name = field.rsplit(".", 1)[-1] if "." in field else field
    rule = _rule(section, name)

    def safe(value, when=0, tz=None):
        if value is None:
            return "", ""
        try:
            return rule(value, when, tz)
        except (TypeError, ValueError, OverflowError, AttributeError):
            return str(value), ""
    return safe


def _num_or_raise(value):
    n = as_number(value)
    if n is None:
        raise ValueError
    return n


def _plain(value, when, tz):
    if isinstance(value, bool):
        return ("true" if value else "false"), ""
    return str(value), ""


def _rule(section, name):
    """miner.php's fmt(), one rule per field name."""
    prefix, _, window = name.partition(" ")
    if name in ("Elapsed", "Device Elapsed"):
        return lambda v, w, tz: (format_age(_num_or_raise(v)), "")
    if prefix in RATE_PREFIX and window in RATE_WINDOWS:
        mult = RATE_PREFIX[prefix]

        def rate(v, w, tz):
            n = _num_or_raise(v)
            return format_rate(n * mult), "err" if n == 0 else ""
        return rate
    if name in ("Utility", "Work Utility"):
        def util(v, w, tz):
            n = _num_or_raise(v)
            return f"{n:,.2f}/m", "err" if n == 0 and name == "Utility" else ""
        return util
    if name == "Temperature":
        def temp(v, w, tz):
            n = _num_or_raise(v)
            return ("" if n == 0 else f"{n:.1f}°C"), ("err" if n >= 90 else "warn" if n >= 80 else "")
        return temp
    if name.endswith("%"):
        def percent(v, w, tz):
            n = _num_or_raise(v)
            css = ""
            if name == "Fan Percent":
                css = "err" if n >= 100 else "warn" if n > 85 or n == 0 else ""
            return f"{n:,.2f}%", css
        return percent
    if name in TWO_DECIMALS:
        return lambda v, w, tz: (f"{_num_or_raise(v):,.2f}", "")
    if name == "Last Share Time":
        never_css = "" if section == "POOLS" else "warn"

        def last_share(v, w, tz):
            n = as_number(v)
            if not n:
                return "Never", never_css
            return clock(n, tz, with_date=section == "POOLS"), ""
        return last_share
    if name in ("Last getwork", "Last Valid Work", "Last Well"):
        never_css = "warn" if name != "Last getwork" else ""
        return lambda v, w, tz: (clock(as_number(v), tz), "") if as_number(v) else ("Never", never_css)
    if name == "Last Not Well":
        return lambda v, w, tz: ("Never", "") if not as_number(v) else (clock(as_number(v), tz), "err")
    if name == "Last Share Pool":
        return lambda v, w, tz: ("None", "warn") if as_number(v) == -1 else (str(v), "")
    if name == "Reason Not Well":
        return lambda v, w, tz: (str(v), "" if v == "None" else "err")
    if name == "Status":
        return lambda v, w, tz: (str(v), "" if v in ("Alive", "RUNNING") else "warn" if v in ("Idle", "Paused", "PAUSED") else "err")
    if name in ("Last Update", "Last Report", "Authorised"):
        return lambda v, w, tz: (clock(as_number(v), tz, with_date=True), "") if as_number(v) else ("Never", "")
    if name.endswith(" Memory"):
        return lambda v, w, tz: (f"{_num_or_raise(v) / 2**30:,.1f} GiB", "")
    if name in ("Listener", "Stratifier", "Connector", "Generator"):
        return lambda v, w, tz: (str(v), "" if v == "up" else "err")
    if name == "Enabled":
        return lambda v, w, tz: (str(v), "" if v in ("Y", True) else "warn")
    if name == "No Device":
        return lambda v, w, tz: (str(v).lower(), "err" if v not in (False, "false", "N") else "")
    if name.startswith("*"):
        return lambda v, w, tz: (thousands(v), "err" if as_number(v) else "")
    if name == "When":
        return lambda v, w, tz: (clock(as_number(v), tz, with_date=True), "") if as_number(v) else _plain(v, w, tz)
    if name in THOUSANDS:
        return lambda v, w, tz: (thousands(v), "") if as_number(v) is not None else _plain(v, w, tz)
    return _plain


def expected_share_seconds(mhs, difficulty):
    """miner.php's $checklastshare: 2^32 / (MH/s * 10^6) * difficulty."""
    if not mhs or not difficulty or mhs <= 0 or difficulty <= 0:
        return None
    return 2**32 / (mhs * 1e6) * difficulty


def last_share_state(record, when, mhs=None):
    """'err' if the last share is older than 12x the expected interval, 'warn' past 8x."""
    mhs = rate_mhs(record) if mhs is None else mhs
    expected = expected_share_seconds(mhs, as_number(record.get("Last Share Difficulty")))
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
