"""Each field's cell as miner.php's fmt() shows it, and the named formats a page may choose instead."""

import functools

from rigs.drivers.cgminer.protocol import as_number

from .display import (
    DATE_FORMAT,
    as_sent,
    cell_date,
    clock,
    format_age,
    format_rate,
    last_share_state,
    rate_mhs,
    thousands,
)
from .php import number_format, php_date, php_str

# ---------------------------------------------------------------- fmt()

RATE_WINDOWS = ("av", "5s", "10s", "20s", "1m", "5m", "15m", "rolling", "1hr", "6hr", "1d", "7d", "highest", "now")
RATE_PREFIX = {"MHS": 1.0, "GHS": 1e3, "KHS": 1e-3, "THS": 1e6, "Hashrate": 1e-6}  # Hashrate: normalised, H/s
TWO_DECIMALS = {"Difficulty Accepted", "Difficulty Rejected", "Difficulty Stale", "Last Share Difficulty"}
THOUSANDS = {"Total MH", "Getworks", "Works", "Accepted", "Rejected", "Local Work", "Discarded", "Diff1 Shares",
             "Diff1 Work", "Times Sent", "Bytes Sent", "Net Bytes Sent", "Times Recv", "Bytes Recv",
             "Net Bytes Recv",
             # ckpool and XMRigCC (not in miner.php)
             "Shares", "Users", "Workers", "Idle", "Disconnected", "Clients", "Known Users", "Best Ever",
             "Running", "Offline", "Stale", "Get Failures", "Remote Failures", "Network Blocks", "Found Blocks"}
ENDZERO = {"Hs", "W", "history_time", "Pool Wait", "Pool Max", "Pool Min", "Pool Av", "Min Diff", "Max Diff",
           "Work Diff"}
ZERO_WARNS = {"GPU Clock", "Memory Clock", "GPU Voltage", "GPU Activity"}
# fields miner.php prints as they are in a totals row
NOT_IN_TOTAL = {"Last Share Time", "Last getwork", "Last Valid Work", "Last Share Pool", "Elapsed", "Device Elapsed",
                "Last Well", "Last Not Well", "Reason Not Well", "Temperature", "Fan Percent", "Fan Speed",
                "Status", "Enabled", "No Device", "When", "Current Block Time", "Last Share Difficulty",
                "Device Hardware%", "Device Rejected%", "Pool Rejected%", "Pool Stale%", "Best Share", "AvShr",
                *ZERO_WARNS}


def fmt(section, field, value, when=0, tz=None, row=None):
    """(text, css) for one value, as miner.php's fmt() shows it; css is '', 'warn', 'err', 'hi' or 'lo'.

    ``section`` is the API section (POOLS, DEVS, SUMMARY...), 'GEN'/'BGEN' for formulas, or
    'total' or 'GEN total' for a totals row; ``when`` the reply's STATUS When (epoch), ``row`` the record the
    value belongs to (for the classes that compare fields).
    """
    return formatter(section, field)(value, when, tz, row)


@functools.lru_cache(maxsize=4096)
def formatter(section, field):
    """The formatting function of one column, chosen once: f(value, when, tz, row) -> (text, css)."""
    name = field.rsplit(".", 1)[-1] if "." in field else field
    if section in ("total", "GEN total"):
        rule = _total_rule(name, section == "GEN total")
    else:
        rule = _rule(section, name)

    def safe(value, when=0, tz=None, row=None):
        if value is None:
            return "", ""
        try:
            return rule(value, when, tz, row or {})
        except (TypeError, ValueError, OverflowError, AttributeError, ArithmeticError):
            return str(value), ""
    return safe


def _num_or_raise(value):
    n = as_number(value)
    if n is None:
        raise ValueError
    return n


def _plain(value, when, tz, row):
    if isinstance(value, bool):
        return ("true" if value else "false"), ""
    return as_sent(value), ""


def _computed(value, when, tz, row):
    return php_str(value), ""


def _ratio_class(row, rate_mhs_value, utility):
    """miner.php's hi/lo: the Utility a rate implies against the Utility reported (>10 % apart)."""
    da, acc = as_number(row.get("Difficulty Accepted")), as_number(row.get("Accepted"))
    if not da or not acc or da <= 0 or acc <= 0 or utility is None:
        return None
    expected = 60 * rate_mhs_value * (1e6 / 2**32) or 0.000001
    ratio = utility / (expected / (da / acc))
    return "lo" if ratio < 0.9 else "hi" if ratio > 1.1 else ""


def _rate(mult):
    def rate(v, w, tz, row):
        n = _num_or_raise(v)
        if n == 0:
            return format_rate(0), "err"
        found = _ratio_class(row, n * mult, as_number(row.get("Utility")))
        return format_rate(n * mult), {"lo": "hi", "hi": "lo"}.get(found, "")  # a rate above Utility's is 'hi'
    return rate


def _utility(v, w, tz, row):
    n = _num_or_raise(v)
    if n == 0:
        return f"{number_format(n, 2)}/m", "err"
    mhs = rate_mhs(row)
    found = _ratio_class(row, mhs, n) if mhs is not None else None
    return f"{number_format(n, 2)}/m", found or ""


def _temperature(v, w, tz, row):
    n = _num_or_raise(v)
    if n == 0:
        return ("0°C", "warn") if "GPU" in row else ("", "")
    return f"{as_sent(v)}°C", ("err" if n >= 90 else "warn" if n >= 80 else "")


def _fan_class(percent):
    if percent is None:
        return ""
    return "warn" if percent == 0 else "err" if percent == 100 else "warn" if percent > 85 else ""


def _last_share(section):
    def last_share(v, w, tz, row):
        n = as_number(v)
        if section == "POOLS":
            return ("Never", "") if not n else (clock(n, tz, with_date=True), "")
        if not n or as_number(row.get("Last Share Pool")) == -1:
            return "Never", "warn"
        return clock(n, tz), last_share_state(row, w) if row else ""
    return last_share


def _relative(v, w, tz, row):
    n = as_number(v)
    if not n:
        return "Never", ""
    return f"{php_str(n - (as_number(w) or 0))}s", ""


GEN_RULES = {
    "Mined": lambda v, w, tz, row: (f"{number_format(_num_or_raise(v) * 100, 3)}%", ""),
    "Acc": lambda v, w, tz, row: (f"{number_format(_num_or_raise(v) * 100, 2)}%", ""),
    "Rej": lambda v, w, tz, row: (f"{number_format(_num_or_raise(v) * 100, 2)}%", ""),
    **{g: lambda v, w, tz, row: (number_format(_num_or_raise(v), 2), "")
       for g in ("GHS av", "GHS 5m", "GHS WU", "GHS Acc")},
    "AvShr": lambda v, w, tz, row: (number_format(_num_or_raise(v), 2), "warn" if _num_or_raise(v) == 0 else ""),
}


def _rule(section, name):
    """miner.php's fmt(), one rule per field name."""
    if section in ("GEN", "BGEN"):  # miner.php formats a few sample names; other results print as PHP does
        return GEN_RULES.get(name, _computed)
    prefix, _, window = name.partition(" ")
    if name in ("Elapsed", "Device Elapsed"):
        return lambda v, w, tz, row: (format_age(_num_or_raise(v)), "")
    if prefix in RATE_PREFIX and window in RATE_WINDOWS:
        return _rate(RATE_PREFIX[prefix])
    if name == "Utility":
        return _utility
    if name == "Work Utility":
        return lambda v, w, tz, row: (f"{number_format(_num_or_raise(v), 2)}/m", "")
    if name == "Temperature":
        return _temperature
    if name in ZERO_WARNS:
        return lambda v, w, tz, row: (as_sent(v), "warn" if as_number(v) == 0 else "")
    if name == "Fan Percent":
        return lambda v, w, tz, row: (as_sent(v), _fan_class(as_number(v)))
    if name == "Fan Speed":
        return lambda v, w, tz, row: (as_sent(v), "warn" if as_number(v) == 0 else
                                      _fan_class(as_number(row.get("Fan Percent"))) if "Fan Percent" in row else "")
    if name.endswith("%"):
        return lambda v, w, tz, row: ((f"{number_format(_num_or_raise(v), 2)}%", "") if v != "" else ("", ""))
    if name in TWO_DECIMALS:
        return lambda v, w, tz, row: ((number_format(_num_or_raise(v), 2), "") if v != "" else ("", ""))
    if name in ("Best Share", "Hardware Errors"):
        return lambda v, w, tz, row: ((number_format(_num_or_raise(v)), "") if v != "" else ("", ""))
    if name in THOUSANDS:
        return lambda v, w, tz, row: (thousands(v), "") if as_number(v) is not None else _plain(v, w, tz, row)
    if name in ENDZERO:
        return lambda v, w, tz, row: ((thousands(v, endzero=True), "") if as_number(v) is not None
                                      else _plain(v, w, tz, row))
    if name == "Last Share Time":
        return _last_share(section)
    if name in ("Last getwork", "Last Valid Work"):
        return _relative
    if name == "Last Well":
        return lambda v, w, tz, row: ("Never", "warn") if not as_number(v) else (clock(as_number(v), tz), "")
    if name == "Last Not Well":
        return lambda v, w, tz, row: ("Never", "") if not as_number(v) else (clock(as_number(v), tz), "err")
    if name == "Last Share Pool":
        return lambda v, w, tz, row: ("None", "warn") if as_number(v) == -1 else (as_sent(v), "")
    if name == "Reason Not Well":
        return lambda v, w, tz, row: (str(v), "" if v == "None" else "err")
    if name == "Status":
        return lambda v, w, tz, row: (str(v), "" if v in ("Alive", "RUNNING")
                                      else "warn" if v in ("Paused", "PAUSED") else "err")
    if name in ("When", "Current Block Time"):
        return lambda v, w, tz, row: (cell_date(_num_or_raise(v), tz), "")
    if name in ("Last Update", "Last Report", "Authorised"):
        return lambda v, w, tz, row: (clock(as_number(v), tz, with_date=True), "") if as_number(v) else ("Never", "")
    if name.endswith(" Memory"):
        return lambda v, w, tz, row: (f"{_num_or_raise(v) / 2**30:,.1f} GiB", "")
    if name in ("Listener", "Stratifier", "Connector", "Generator"):
        return lambda v, w, tz, row: (str(v), "" if v == "up" else "err")
    if name == "Enabled":
        return lambda v, w, tz, row: (str(v), "" if v in ("Y", True) else "warn")
    if name == "No Device":
        return lambda v, w, tz, row: (str(v).lower(), "err" if v not in (False, "false", "N") else "")
    if name.startswith("*") and section == "NOTIFY":
        return lambda v, w, tz, row: (as_sent(v), "err" if str(v) != "0" else "")
    return _plain


def _total_rule(name, gen=False):
    """A totals row: sums are PHP numbers; fields miner.php shows as they are stay so."""
    if gen:
        return GEN_RULES.get(name, _computed) if name != "AvShr" else _computed
    prefix, _, window = name.partition(" ")
    if prefix in RATE_PREFIX and window in RATE_WINDOWS:
        return lambda v, w, tz, row: (format_rate(_num_or_raise(v) * RATE_PREFIX[prefix]), "")
    if name in ("Utility", "Work Utility"):
        return lambda v, w, tz, row: (f"{number_format(_num_or_raise(v), 2)}/m", "")
    if name in TWO_DECIMALS - {"Last Share Difficulty"} or name == "Hardware Errors":
        return lambda v, w, tz, row: (number_format(_num_or_raise(v), 2 if name != "Hardware Errors" else 0), "")
    if name in THOUSANDS or name in ENDZERO:
        return lambda v, w, tz, row: (thousands(v, endzero=name in ENDZERO, computed=True), "")
    return _computed


def rate_title(name, value):
    """A rate shown with its unit keeps miner.php's figure (the rig's number, as sent) on hover."""
    prefix, _, window = name.rpartition(".")[2].partition(" ")
    if value is None or prefix not in RATE_PREFIX or window not in RATE_WINDOWS:
        return ""
    return f"{thousands(value)} {prefix[:-1]}/s"


# ---------------------------------------------------------------- named formats

def _bytes(v):
    n = _num_or_raise(v)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{php_str(n)} B" if unit == "B" else f"{number_format(n, 2)} {unit}"
        n /= 1024


def _decimals(places):
    return lambda v: number_format(_num_or_raise(v), places)


# A page's ``formats`` box: FIELD=name, the safe stand-in for miner.php's 'fmt' extension.
NAMED = {
    "sent": as_sent,                                                    # as the rig sent it
    "integer": _decimals(0),                                            # 1,235
    **{f"decimals{n}": _decimals(n) for n in range(1, 9)},              # 1,234.57 (decimals2)
    "percent": lambda v: f"{number_format(_num_or_raise(v) * 100, 2)}%",   # 0.9894 -> 98.94%
    "percent3": lambda v: f"{number_format(_num_or_raise(v) * 100, 3)}%",  # 0.000043 -> 0.004%
    "rate": lambda v: format_rate(_num_or_raise(v)),                    # MH/s -> 1.16 TH/s
    "mhs": lambda v: thousands(v),                                      # miner.php's MH/s: 1,157,918.03
    "elapsed": lambda v: format_age(_num_or_raise(v)),                  # 1day 08h 07m 21s
    "date": lambda v: php_date(DATE_FORMAT, _num_or_raise(v)),          # 22:11:09 14-Nov-2023 UTC+00:00
    "time": lambda v: php_date("H:i:s", _num_or_raise(v)),              # 22:11:09
    "bytes": _bytes,                                                    # 1.50 MiB
}


def named(name, value, tz=None):
    """(text, '') of a value in a named format; dates in ``tz``."""
    if value is None or value == "":
        return "", ""
    name = name.lower()
    try:
        if name in ("date", "time"):
            return php_date(DATE_FORMAT if name == "date" else "H:i:s", _num_or_raise(value), tz), ""
        return NAMED[name](value), ""
    except (TypeError, ValueError, OverflowError, ArithmeticError):
        return str(value), ""
