"""The Overview's fixed tables, one rig at a time: its summary, device and pool rows, and what it adds
to the farm's totals (its share); farm_totals.py draws the Σ rows from the shares added up.
"""

from django.conf import settings

from rigs.drivers.cgminer.protocol import as_number

from .display import expected_share_seconds, format_rate, last_share_state, rate_mhs
from .field_display import fmt, formatter
from .tables import Row, active_pool, cell, counted, device_name, is_pool, row_css, sum_of, when_of


def rig_cell(rig, state, href):
    marker = {"stale": "⚠ stale", "unreachable": "⚠ unreachable", "new": "waiting"}.get(state, "")
    return cell(rig.name, "rig", marker, href)


def figures_of(snap):
    return (getattr(snap, "figures", None) or {}) if snap else {}


def has_summary(snap):
    return isinstance(((snap.sections or {}).get("SUMMARY") or [None])[0], dict)


def hs_to_mhs(hs):
    return None if hs is None else hs / 1e6


def pct(part, whole):
    return 100.0 * part / whole if whole else 0.0


# ---------------------------------------------------------------- summary page

SUMMARY_COLUMNS = [("Rig", False), ("Elapsed", True), ("Hashrate av", True), ("Hashrate now", True),
                   ("Accepted", True), ("Rejected", True), ("HW errors", True), ("Utility", True),
                   ("Work utility", True), ("Best share", True), ("Blocks", True), ("Rejected %", True),
                   ("Stale %", True), ("Power", True), ("J/TH", True)]
ESTIMATED = "estimated from the nominal power table (admin: Nominal power by model)"


def watts_text(watts):
    """'3,250 W', '412.5 kW' (from 100 kW), '' when not known."""
    if watts is None:
        return ""
    return f"{watts / 1000:,.1f} kW" if watts >= 100_000 else f"{watts:,.0f} W"


def power_cells(figs):
    """A rig's Power and J/TH cells: what its firmware reports, else the estimate, marked "est."."""
    watts, jth, guess = figs.get("power_w"), figs.get("efficiency_jth"), bool(figs.get("power_estimated"))
    mark, title = (" est.", ESTIMATED) if guess else ("", "")
    return [cell(watts_text(watts) + (mark if watts is not None else ""), "", title if watts is not None else ""),
            cell(f"{jth:.1f}{mark}" if jth else "", "", title if jth else "")]


def _summary_rows(rig, snap, state, href, tz):
    s = ((snap.sections if snap else {}).get("SUMMARY") or [None])[0]
    if not isinstance(s, dict):
        return []
    figs = figures_of(snap)
    av = hs_to_mhs(figs["hashrate_hs"]) if figs.get("hashrate_hs") is not None else rate_mhs(s)
    now = hs_to_mhs(figs["hashrate_now_hs"]) if figs.get("hashrate_now_hs") is not None else rate_mhs(s, "short")
    return [Row([
        rig_cell(rig, state, href),
        cell(*fmt("SUMMARY", "Elapsed", s.get("Elapsed"))),
        cell(format_rate(av), "err" if av == 0 else ""),
        cell(format_rate(now), "err" if now == 0 else ""),
        cell(*fmt("SUMMARY", "Accepted", s.get("Accepted"))),
        cell(*fmt("SUMMARY", "Rejected", s.get("Rejected"))),
        cell(*fmt("SUMMARY", "Hardware Errors", s.get("Hardware Errors"))),
        cell(*fmt("SUMMARY", "Utility", s.get("Utility"))),
        cell(*fmt("SUMMARY", "Work Utility", s.get("Work Utility"))),
        cell(*fmt("SUMMARY", "Best Share", s.get("Best Share"))),
        cell(*fmt("SUMMARY", "Found Blocks", s.get("Found Blocks"))),
        cell(*fmt("SUMMARY", "Pool Rejected%", s.get("Pool Rejected%"))),
        cell(*fmt("SUMMARY", "Pool Stale%", s.get("Pool Stale%"))),
        *power_cells(figs),
    ], row_css(state))]


DEVICE_COLUMNS = [("Rig", False), ("Device", False), ("Enabled", False), ("Status", False), ("Temp", True),
                  ("Hashrate av", True), ("Hashrate now", True), ("Accepted", True), ("Rejected", True),
                  ("HW errors", True), ("Last share", True)]


def _device_rows(rig, snap, state, href, tz):
    """(rows, [av, now, accepted, rejected, hw] sums) of one rig's devices."""
    f_enabled, f_status, f_temp = (formatter("DEVS", "Enabled"), formatter("DEVS", "Status"),
                                   formatter("DEVS", "Temperature"))
    f_count, f_share = formatter("DEVS", "Accepted"), formatter("DEVS", "Last Share Time")
    rows, sums = [], [[], [], [], [], []]
    if not snap:
        return rows, sums
    when = when_of(snap, "devs")
    rig_c = rig_cell(rig, state, href)
    base_css = row_css(state)
    for d in snap.sections.get("DEVS") or []:
        if not isinstance(d, dict):
            continue
        av, now = rate_mhs(d), rate_mhs(d, "short")
        late = last_share_state(d, when, av) if settings.CHECK_LAST_SHARE else ""
        share_text, share_css = f_share(d.get("Last Share Time"), when, tz)
        title = ""
        if late:
            share_text = f"⚠ {share_text}" + (" (late)" if late == "warn" else " (very late)")
            expected = expected_share_seconds(av, as_number(d.get("Last Share Difficulty")))
            title = f"expected a share every {expected:.0f} s"
        acc, rej, hw = d.get("Accepted"), d.get("Rejected"), d.get("Hardware Errors")
        for i, v in enumerate((av, now, acc, rej, hw)):
            sums[i].append(v)
        rows.append(Row([
            rig_c, cell(device_name(d)), cell(*f_enabled(d.get("Enabled"))), cell(*f_status(d.get("Status"))),
            cell(*f_temp(d.get("Temperature"))),
            cell(format_rate(av), "err" if av == 0 else ""), cell(format_rate(now), "err" if now == 0 else ""),
            cell(*f_count(acc)), cell(*f_count(rej)), cell(*f_count(hw)),
            cell(share_text, late or share_css, title),
        ], f"{base_css} lst-{late}".strip() if late else base_css))
    return rows, [sum_of(v) for v in sums]


POOL_COLUMNS = [("Rig", False), ("Pool", True), ("In use", False), ("URL", False), ("Status", False),
                ("Priority", True), ("Accepted", True), ("Rejected", True), ("Rejected %", True),
                ("Last share", True), ("User", False)]


def _pool_rows(rig, snap, state, href, tz):
    f_status, f_prio, f_count = (formatter("POOLS", "Status"), formatter("POOLS", "Priority"),
                                 formatter("POOLS", "Accepted"))
    f_pct, f_share = formatter("POOLS", "Pool Rejected%"), formatter("POOLS", "Last Share Time")
    if not snap:
        return []
    pools = [p for p in snap.sections.get("POOLS") or [] if isinstance(p, dict)]
    current = active_pool(pools)
    rig_c = rig_cell(rig, state, href)
    base_css = row_css(state)
    rows = []
    for p in pools:
        in_use = p is current
        rows.append(Row([
            rig_c, cell(str(p.get("POOL", ""))),
            cell("▶ in use", "ok") if in_use else cell(),
            cell(str(p.get("URL", ""))), cell(*f_status(p.get("Status"))), cell(*f_prio(p.get("Priority"))),
            cell(*f_count(p.get("Accepted"))), cell(*f_count(p.get("Rejected"))),
            cell(*f_pct(p.get("Pool Rejected%"))), cell(*f_share(p.get("Last Share Time"), 0, tz)),
            cell(str(p.get("User", ""))),
        ], f"{base_css} active".strip() if in_use else base_css))
    return rows


# ---------------------------------------------------------------- a rig's share of the totals
# Names in a share: "a|ALGO|field" summed over the rigs counted, "max|ALGO|field" their largest,
# "lo|ALGO|n"/"lo|ALGO|hs" the rigs left out (no current data), "pools"; the devices' "all|..." and,
# for the rigs needing attention, "bad|..." (the Overview's problems-only view totals those).


def number(value):
    """A value as the totals add it: an integer stays one (up to 2**53), anything else a float or None."""
    if type(value) is int:
        return value if -2**53 < value < 2**53 else float(value)
    return as_number(value)


def put(share, name, value):
    value = number(value)
    if value is not None:
        share[name] = value


def summary_share(rig, snap, state):
    share = {}
    if not snap or not has_summary(snap):
        if state in ("stale", "unreachable") and not is_pool(rig):
            share["lo||n"] = 1  # never answered: nothing known
        return share
    figs = figures_of(snap)
    algo = figs.get("algorithm") or "SHA-256d"
    if is_pool(rig):
        share["pools"] = 1
    elif not counted(rig, state):
        share[f"lo|{algo}|n"] = 1
        put(share, f"lo|{algo}|hs", figs.get("hashrate_hs") or 0)
    else:
        s = snap.sections["SUMMARY"][0]
        share[f"a|{algo}|n"] = 1
        for name, value in (("hs", figs.get("hashrate_hs")), ("now", figs.get("hashrate_now_hs")),
                            ("acc", figs.get("accepted")), ("rej", figs.get("rejected")),
                            ("hw", figs.get("hw_errors")), ("util", s.get("Utility")),
                            ("wu", s.get("Work Utility")), ("blocks", s.get("Found Blocks")),
                            ("dacc", s.get("Difficulty Accepted")), ("drej", s.get("Difficulty Rejected")),
                            ("dstale", s.get("Difficulty Stale"))):
            put(share, f"a|{algo}|{name}", value)
        put(share, f"max|{algo}|best", as_number(s.get("Best Share")))
        watts = number(figs.get("power_w"))
        if watts is not None:  # the power of the rigs counted, and the hashrate of those with a power
            share[f"a|{algo}|w"] = watts
            if figs.get("power_estimated"):
                share[f"a|{algo}|west"] = 1
            if figs.get("efficiency_jth") and figs.get("hashrate_hs"):  # the Σ row's J/TH: their W over TH/s
                share[f"a|{algo}|ew"] = watts
                put(share, f"a|{algo}|ehs", figs.get("hashrate_hs"))
    return share


def devices_share(rig, snap, state, n, sums, bad):
    """``n``, ``sums``: the rig's rows and _device_rows' [av, now, accepted, rejected, hw] sums; ``bad``: it
    needs attention."""
    share = {}
    if not counted(rig, state):
        return share
    algo = figures_of(snap).get("algorithm") or "SHA-256d"
    for scope in ("all", "bad") if bad else ("all",):
        share[f"{scope}|algo|{algo}"] = 1
        share[f"{scope}|n"] = n
        for name, value in zip(("av", "now", "acc", "rej", "hw"), sums):
            put(share, f"{scope}|{name}", value)
    return share
