"""How operators read numbers: plain functions from rig values to display text.

Which of them each field gets (miner.php's fmt()), and the named formats a page may
choose instead, are in field_display.py.
"""

import math
from datetime import UTC, datetime

from rigs.drivers.cgminer.protocol import as_number
from rigs.readings.digits import Written

from .php import number_format, php_date, php_round, php_str  # noqa: F401  (miner.php's printing, used here and re-exported)

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
    """miner.php's elapsed: '5s', '1m 05s', '1h 02m 05s', '1day 08h 07m 21s', '4days 03h 24m 44s'."""
    if seconds is None:
        return ""
    s = int(max(0, seconds))
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    if d:
        return f"{d}day{'' if d == 1 else 's'} {h:02d}h {m:02d}m {s:02d}s"
    if h:
        return f"{h}h {m:02d}m {s:02d}s"
    if m:
        return f"{m}m {s:02d}s"
    return f"{s}s"


def as_sent(value):
    """A rig's value as text: strings verbatim, numbers as the rig wrote them where its decimals
    are known (a Written: 74.50, 0.881040), else in their shortest form (74.5)."""
    if value.__class__ is float:
        return repr(value) if math.isfinite(value) else php_str(value)
    if isinstance(value, float) and math.isfinite(value):
        return value.text if isinstance(value, Written) else repr(value)
    return php_str(value)


def thousands(value, endzero=False, computed=False):
    """miner.php's '27,015,560' + the decimals as they are: 27015560.8313 -> '27,015,560.8313'.

    endzero drops trailing zeros but one (1024.000 -> '1,024.0'); computed values (totals,
    calc results) are printed as PHP prints its floats first."""
    text = php_str(value) if computed else as_sent(value)
    whole, dot, dec = text.partition(".")
    if whole.lstrip("-").isdigit() and len(whole) < 16:
        out = f"{int(whole):,}" if whole != "-0" else "-0"
    else:
        try:
            out = number_format(float(whole or 0))
        except ValueError:
            return text
    if not dot:
        return out
    return f"{out}.{(dec.rstrip('0') or '0') if endzero else dec}"


def clock(epoch, tz, with_date=False):
    if not epoch:
        return "Never"
    return cell_date(epoch, tz, "H:i:s d-M") if with_date else php_date("H:i:s", epoch, tz)


def cell_date(epoch, tz=None, default=None):
    """A date in a cell: DATETIME_FORMAT_CELLS (miner.php's $dfmt, PHP/Django letters) when set."""
    from django.conf import settings

    custom = getattr(settings, "DATETIME_FORMAT_CELLS", "")
    if custom:
        try:
            from django.utils import dateformat

            return dateformat.format(datetime.fromtimestamp(float(epoch), tz or UTC), custom)
        except (OverflowError, OSError, ValueError, TypeError):
            return str(epoch)
    return php_date(default or DATE_FORMAT, epoch, tz)


DATE_FORMAT = "H:i:s j-M-Y UTCP"  # miner.php's $dfmt


def date_box(epoch, tz=None):
    """The DATE section: 'Date: 22:13:20 14-Nov-2023 UTC+00:00'."""
    return "Date: " + php_date(DATE_FORMAT, epoch, tz)


def expected_share_seconds(mhs, difficulty):
    """miner.php's $checklastshare: 2^32 / (MH/s * 10^6) * difficulty."""
    if not mhs or not difficulty or mhs <= 0 or difficulty <= 0:
        return None
    return 2.0**32 / (mhs * 1e6) * difficulty  # (a float 2^32: the same quotient, a little sooner)


def last_share_state(record, when, mhs=None):
    """'err' if the last share is older than 12x the expected interval, 'warn' past 8x."""
    mhs = rate_mhs(record) if mhs is None else mhs
    expected = expected_share_seconds(mhs, as_number(record.get("Last Share Difficulty")))
    last = as_number(record.get("Last Share Time"))
    when = as_number(when)
    if expected is None or not last or not when:
        return ""
    howlong = when - last if when - last > 1.0 else 1.0  # max() is a call: every device, every round
    return "err" if howlong > 12 * expected else "warn" if howlong > 8 * expected else ""
