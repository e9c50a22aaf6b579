"""The summary page's (the Overview's) fixed tables: every rig's summary, device and pool rows,
with the farm's totals.

Each rig's rows are built once per snapshot and kept, so a view rebuilds only what changed.
"""

from django.conf import settings

from rigs.drivers.cgminer.protocol import as_number

from .display import expected_share_seconds, format_rate, last_share_state, rate_mhs
from .field_display import fmt, formatter
from .tables import Row, Table, active_pool, cell, counted, device_name, is_pool, row_css, sum_of, when_of

# Rows of one rig, built once per snapshot: a page view (or a push to each open
# page) rebuilds only the rigs whose data changed since the last one.
_ROWS = {}
ROW_CACHE_SIZE = 80000  # three kinds of rows for 10,000 rigs, and the previous snapshots' of many


def rows_of(kind, build, rig, snap, state, href, tz):
    key = (kind, rig.id, rig.name, href, state, snap.polled_at if snap else None,
           snap.last_ok_at if snap else None, str(tz))
    found = _ROWS.get(key)
    if found is None:
        if len(_ROWS) >= ROW_CACHE_SIZE:
            _ROWS.clear()
        found = _ROWS[key] = build(rig, snap, state, href, tz)
    return found


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
                   ("Stale %", True)]


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
    ], row_css(state))]


def summary_table(items, tz, shown=None):
    """items: [(rig, snapshot, state, href)]; rows of ``shown`` (default: all), totals of all.

    Totals are per algorithm (one Σ row each), leave out pools (their hashrate is their
    miners') and rigs whose data is not current, and say what they left out.
    Percentages are recomputed from the summed difficulties."""
    t = Table("summary", "Summary", SUMMARY_COLUMNS)
    for rig, snap, state, href in (items if shown is None else shown):
        t.rows.extend(rows_of("summary", _summary_rows, rig, snap, state, href, tz))
    by_algo, left_out, pools = {}, {}, 0
    for rig, snap, state, _ in items:
        if not snap or not has_summary(snap):
            if state in ("stale", "unreachable") and not is_pool(rig):
                n, hs = left_out.get("", (0, 0.0))
                left_out[""] = (n + 1, hs)  # never answered: nothing known
            continue
        figs = figures_of(snap)
        algo = figs.get("algorithm") or "SHA-256d"
        if is_pool(rig):
            pools += 1
        elif not counted(rig, state):
            n, hs = left_out.get(algo, (0, 0.0))
            left_out[algo] = (n + 1, hs + (figs.get("hashrate_hs") or 0))
        else:
            by_algo.setdefault(algo, []).append((snap.sections["SUMMARY"][0], figs))
    rows = [_totals_row(algo, recs, len(by_algo) > 1) for algo, recs in by_algo.items()]
    if rows:
        t.totals, t.more_totals = rows[0], rows[1:]
    notes = []
    if left_out:
        n = sum(c for c, _ in left_out.values())
        known = ", ".join(f"{format_rate(hs_to_mhs(hs))} {algo}" for algo, (_, hs) in left_out.items() if algo)
        notes.append(f"{n} rig{'s' if n != 1 else ''} not counted (unreachable or stale"
                     + (f"; last known {known})" if known else ")"))
    if pools:
        notes.append(f"{pools} pool{'s' if pools != 1 else ''} not added (a pool's hashrate is its miners')")
    t.note = "; ".join(notes)
    return t


def _totals_row(algo, recs, name_algo):
    summaries = [s for s, _ in recs]
    dacc = sum_of(r.get("Difficulty Accepted") for r in summaries) or 0
    drej = sum_of(r.get("Difficulty Rejected") for r in summaries) or 0
    dstale = sum_of(r.get("Difficulty Stale") for r in summaries) or 0
    best = [as_number(r.get("Best Share")) for r in summaries]
    best = max((b for b in best if b is not None), default=None)
    label = f"Σ {len(recs)} rig{'s' if len(recs) != 1 else ''}" + (f" · {algo}" if name_algo else "")
    return Row([
        cell(label, title=f"{algo}; pools and rigs without current data are not added"), cell(),
        cell(format_rate(hs_to_mhs(sum_of(f.get("hashrate_hs") for _, f in recs)))),
        cell(format_rate(hs_to_mhs(sum_of(f.get("hashrate_now_hs") for _, f in recs)))),
        cell(*fmt("SUMMARY", "Accepted", sum_of(f.get("accepted") for _, f in recs))),
        cell(*fmt("SUMMARY", "Rejected", sum_of(f.get("rejected") for _, f in recs))),
        cell(*fmt("SUMMARY", "Hardware Errors", sum_of(f.get("hw_errors") for _, f in recs))),
        cell(*fmt("SUMMARY", "Utility", sum_of(r.get("Utility") for r in summaries))),
        cell(*fmt("SUMMARY", "Work Utility", sum_of(r.get("Work Utility") for r in summaries))),
        cell(*fmt("SUMMARY", "Best Share", best)),
        cell(*fmt("SUMMARY", "Found Blocks", sum_of(r.get("Found Blocks") for r in summaries))),
        cell(f"{pct(drej, dacc + drej + dstale):.2f}%", title="rejected difficulty / all difficulty"),
        cell(f"{pct(dstale, dacc + drej + dstale):.2f}%", title="stale difficulty / all difficulty"),
    ], "tot")


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


def devices_table(items, tz):
    t = Table("devices", "Devices", DEVICE_COLUMNS)
    sums = [[], [], [], [], []]
    n = 0
    algos = set()
    for rig, snap, state, href in items:
        rows, rig_sums = rows_of("devs", _device_rows, rig, snap, state, href, tz)
        t.rows.extend(rows)
        if counted(rig, state):
            n += len(rows)
            algos.add(figures_of(snap).get("algorithm") or "SHA-256d")
            for i, v in enumerate(rig_sums):
                sums[i].append(v)
    if n >= 2:
        f_count = formatter("DEVS", "Accepted")
        av, now, acc, rej, hw = (sum_of(v) for v in sums)
        mixed = len(algos) > 1  # hashrates of different algorithms do not add up
        t.totals = Row([cell(f"Σ {n} devices",
                             title="devices of rigs with current data; pool workers (ckpool) are not added"),
                        cell(), cell(), cell(), cell(),
                        cell("" if mixed else format_rate(av), title="several algorithms" if mixed else ""),
                        cell("" if mixed else format_rate(now)), cell(*f_count(acc)), cell(*f_count(rej)),
                        cell(*f_count(hw)), cell()], "tot")
    return t


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


def pools_table(items, tz):
    t = Table("pools", "Pools", POOL_COLUMNS)
    for rig, snap, state, href in items:
        t.rows.extend(rows_of("pools", _pool_rows, rig, snap, state, href, tz))
    return t
