"""PHP's printing of numbers and dates, as miner.php's fmt() shows them: plain functions, no Django
(the custom page engine and formulas use them too)."""

import functools
import math
from datetime import UTC, datetime


def php_str(value):
    """A number as PHP prints it (echo, concatenation): 14 significant digits.

    98.0 -> '98', 7277.969999999999 -> '7277.97', 4.3e-06 -> '4.3E-6'. Text stays text.
    """
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, float):
        return "" if value is None else str(value)
    if not math.isfinite(value):
        return "NAN" if math.isnan(value) else "INF" if value > 0 else "-INF"
    text = f"{value:.14G}"
    mant, e, exp = text.partition("E")
    if "." in mant:
        mant = mant.rstrip("0").rstrip(".")
    if e:
        return f"{mant}{'' if '.' in mant else '.0'}E{int(exp):+d}"
    return "0" if mant == "-0" else mant


def _half_up(x):
    return math.floor(x + 0.5) if x >= 0 else math.ceil(x - 0.5)


def php_round(value, places=0):
    """PHP's round(), step by step as PHP 8.2 does it in doubles: pre-rounded to the value's 15
    significant digits, then half away from zero (round(1.815, 2) is 1.82); a value with no
    digit left to round stays as it is."""
    value = float(value)
    if not math.isfinite(value) or value == 0:
        return value
    precise = 14 - math.floor(math.log10(abs(value)))
    if places < precise < places + 15:
        tmp = _half_up(value * 10.0 ** precise if precise >= 0 else value / 10.0 ** -precise)
        tmp = tmp / 10.0 ** min(precise - places, 60)
    else:
        tmp = value * 10.0 ** places if places >= 0 else value / 10.0 ** -places
        if abs(tmp) >= 1e15:
            return value
    tmp = _half_up(tmp)
    return tmp / 10.0 ** places if places > 0 else tmp * 10.0 ** -places


def number_format(value, places=0):
    """PHP's number_format(): PHP's rounding, then thousands separators (1.815 -> '1.82')."""
    if type(value) is int and abs(value) < 2**53:
        return f"{value:,}" if places == 0 else f"{value:,}.{'0' * places}"
    text = f"{php_round(value, places):,.{places}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def php_date(pattern, epoch, tz=None):
    """PHP's date() for the letters miner.php uses (H i s d j M Y P); other characters as they are."""
    try:
        t = datetime.fromtimestamp(float(epoch), tz or UTC)
    except (OverflowError, OSError, ValueError, TypeError):
        return str(epoch)
    template, used = _date_template(pattern)
    letters = {"H": f"{t.hour:02d}", "i": f"{t.minute:02d}", "s": f"{t.second:02d}", "d": f"{t.day:02d}",
               "j": t.day, "Y": t.year}
    if "M" in used:
        letters["M"] = t.strftime("%b")
    if "P" in used:
        off = t.utcoffset().total_seconds() // 60 if t.utcoffset() is not None else 0
        sign, off = ("-" if off < 0 else "+"), abs(int(off))
        letters["P"] = f"{sign}{off // 60:02d}:{off % 60:02d}"
    return template.format_map(letters)


DATE_LETTERS = "HisdjMYP"


@functools.lru_cache(maxsize=64)
def _date_template(pattern):
    """A date() pattern as a str.format template of its letters (the P of "UTCP" is one too), and the
    letters it uses."""
    out, used = [], set()
    for ch in pattern.replace("UTCP", "UTC\0"):
        letter = "P" if ch == "\0" else ch
        if letter in DATE_LETTERS:
            out.append("{" + letter + "}")
            used.add(letter)
        else:
            out.append(ch.replace("{", "{{").replace("}", "}}"))
    return "".join(out), frozenset(used)
