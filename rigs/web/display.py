"""How operators read numbers: plain functions from rig values to display text.

Which of them each field gets (miner.php's fmt()), and the named formats a page may
choose instead, are in field_display.py.
"""

import math
from datetime import UTC, datetime

from rigs.readings.digits import Written
from rigs.readings.rates import RATE_FIELDS, expected_share_seconds, last_share_state, rate_mhs  # noqa: F401

# (how a rate and a share's lateness are read: rigs/readings/rates.py; re-exported for the tables)
from .php import number_format, php_date, php_round, php_str  # noqa: F401  (miner.php's printing, used here and re-exported)

RATE_UNITS = [(1e6, "TH/s"), (1e3, "GH/s"), (1.0, "MH/s"), (1e-3, "kH/s")]


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
