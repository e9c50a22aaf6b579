"""The Overview's Σ rows, drawn from the rigs' shares added up (overview_tables' summary_share and
devices_share, kept by shares.py).

Totals are per algorithm (one Σ row each, the most common first), leave out pools (their hashrate is
their miners') and rigs whose data is not current, and say what they left out. Percentages are
recomputed from the summed difficulties.
"""

from .display import format_rate
from .field_display import fmt, formatter
from .overview_tables import ESTIMATED, hs_to_mhs, pct, watts_text
from .shares import keys, total
from .tables import Row, cell, foot_html


def summary_foot(sums):
    """(the Σ rows' HTML, the table's note)."""
    algos = keys(sums, "a|")
    rows = [_totals_row(algo, sums, len(algos) > 1) for algo in algos]
    notes = []
    left_out = keys(sums, "lo|")
    if left_out:
        n = sum(total(sums, f"lo|{algo}|n", 0) for algo in left_out)
        known = ", ".join(f"{format_rate(hs_to_mhs(total(sums, f'lo|{algo}|hs', 0)))} {algo}"
                          for algo in left_out if algo)
        notes.append(f"{n} rig{'s' if n != 1 else ''} not counted (unreachable or stale"
                     + (f"; last known {known})" if known else ")"))
    pools = total(sums, "pools", 0)
    if pools:
        notes.append(f"{pools} pool{'s' if pools != 1 else ''} not added (a pool's hashrate is its miners')")
    return foot_html(rows), "; ".join(notes)


def _totals_row(algo, sums, name_algo):
    def get(name, default=None):
        return total(sums, f"a|{algo}|{name}", default)

    dacc, drej, dstale = get("dacc", 0) or 0, get("drej", 0) or 0, get("dstale", 0) or 0
    n = get("n", 0)
    label = f"Σ {n} rig{'s' if n != 1 else ''}" + (f" · {algo}" if name_algo else "")
    return Row([
        cell(label, title=f"{algo}; pools and rigs without current data are not added"), cell(),
        cell(format_rate(hs_to_mhs(get("hs")))),
        cell(format_rate(hs_to_mhs(get("now")))),
        cell(*fmt("SUMMARY", "Accepted", get("acc"))),
        cell(*fmt("SUMMARY", "Rejected", get("rej"))),
        cell(*fmt("SUMMARY", "Hardware Errors", get("hw"))),
        cell(*fmt("SUMMARY", "Utility", get("util"))),
        cell(*fmt("SUMMARY", "Work Utility", get("wu"))),
        cell(*fmt("SUMMARY", "Best Share", total(sums, f"max|{algo}|best"))),
        cell(*fmt("SUMMARY", "Found Blocks", get("blocks"))),
        cell(f"{pct(drej, dacc + drej + dstale):.2f}%", title="rejected difficulty / all difficulty"),
        cell(f"{pct(dstale, dacc + drej + dstale):.2f}%", title="stale difficulty / all difficulty"),
        *power_total(get("w"), get("west", 0), get("ew"), get("ehs")),
    ], "tot")


def power_total(watts, estimated, efficient_watts, hashrate_hs):
    """The Σ row's Power (of the rigs added whose power is known; "est." when some of it is estimated) and
    J/TH (the power of the rigs with an efficiency over their hashrate)."""
    if watts is None:
        return [cell(), cell()]
    mark = " est." if estimated else ""
    title = f"{estimated} of these rigs' power {ESTIMATED}" if estimated else "as the rigs report it"
    jth = efficient_watts / (hashrate_hs / 1e12) if efficient_watts and hashrate_hs else None
    return [cell(watts_text(watts) + mark, title=title), cell(f"{jth:.1f}{mark}" if jth else "", title=title)]


def devices_foot(sums, scope="all"):
    """The devices' Σ row (``scope`` "bad": of the rigs needing attention only), when there are two or
    more devices of rigs with current data."""
    n = total(sums, f"{scope}|n", 0)
    if n < 2:
        return ""
    algos = [name for name in sums if name.startswith(f"{scope}|algo|")]
    mixed = len(algos) > 1  # hashrates of different algorithms do not add up
    av, now, acc, rej, hw = (total(sums, f"{scope}|{name}") for name in ("av", "now", "acc", "rej", "hw"))
    f_count = formatter("DEVS", "Accepted")
    return foot_html([Row([cell(f"Σ {n} devices",
                                title="devices of rigs with current data; pool workers (ckpool) are not added"),
                           cell(), cell(), cell(), cell(),
                           cell("" if mixed else format_rate(av), title="several algorithms" if mixed else ""),
                           cell("" if mixed else format_rate(now)), cell(*f_count(acc)), cell(*f_count(rej)),
                           cell(*f_count(hw)), cell()], "tot")])
