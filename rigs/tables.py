"""Tables as plain data, built from snapshots; templates/_table.html renders them.

A Table has columns, rows of cells (text, css, title) and an optional totals row.
The summary page, the rig page and custom pages all go through it. No Django
models here: rows come in as (rig, snapshot) pairs or dicts.
"""

from dataclasses import dataclass, field

from .formatting import fmt, format_age, format_rate, last_share_state, rate_mhs
from .protocol import as_number


@dataclass
class Cell:
    text: str = ""
    css: str = ""
    title: str = ""
    href: str = ""


@dataclass
class Row:
    cells: list
    css: str = ""


@dataclass
class Table:
    id: str
    title: str
    columns: list  # [(label, numeric)]
    rows: list = field(default_factory=list)
    totals: Row | None = None
    note: str = ""


def rig_cell(rig, state, href):
    marker = {"stale": "⚠ stale", "unreachable": "⚠ unreachable", "new": "waiting"}.get(state, "")
    return Cell(rig.name, "rig", marker, href)


def row_css(state):
    return "dim" if state in ("stale", "unreachable") else ""


def sum_of(values):
    nums = [as_number(v) for v in values]
    nums = [n for n in nums if n is not None]
    return sum(nums) if nums else None


def pct(part, whole):
    return 100.0 * part / whole if whole else 0.0


# ---------------------------------------------------------------- summary page

SUMMARY_COLUMNS = [("Rig", False), ("Elapsed", True), ("Hashrate av", True), ("Hashrate now", True),
                   ("Accepted", True), ("Rejected", True), ("HW errors", True), ("Utility", True),
                   ("Work utility", True), ("Best share", True), ("Blocks", True), ("Rejected %", True),
                   ("Stale %", True)]


def summary_table(items, tz):
    """items: [(rig, snapshot, state, href)]. Totals recompute percentages from sums."""
    t = Table("summary", "Summary", SUMMARY_COLUMNS)
    recs = []
    for rig, snap, state, href in items:
        s = ((snap.sections if snap else {}).get("SUMMARY") or [None])[0]
        if not isinstance(s, dict):
            continue
        recs.append(s)
        av, now = rate_mhs(s), rate_mhs(s, "short")
        t.rows.append(Row([
            rig_cell(rig, state, href),
            Cell(*fmt("SUMMARY", "Elapsed", s.get("Elapsed"))),
            Cell(format_rate(av), "err" if av == 0 else ""),
            Cell(format_rate(now), "err" if now == 0 else ""),
            Cell(*fmt("SUMMARY", "Accepted", s.get("Accepted"))),
            Cell(*fmt("SUMMARY", "Rejected", s.get("Rejected"))),
            Cell(*fmt("SUMMARY", "Hardware Errors", s.get("Hardware Errors"))),
            Cell(*fmt("SUMMARY", "Utility", s.get("Utility"))),
            Cell(*fmt("SUMMARY", "Work Utility", s.get("Work Utility"))),
            Cell(*fmt("SUMMARY", "Best Share", s.get("Best Share"))),
            Cell(*fmt("SUMMARY", "Found Blocks", s.get("Found Blocks"))),
            Cell(*fmt("SUMMARY", "Pool Rejected%", s.get("Pool Rejected%"))),
            Cell(*fmt("SUMMARY", "Pool Stale%", s.get("Pool Stale%"))),
        ], row_css(state)))
    if recs:
        dacc = sum_of(r.get("Difficulty Accepted") for r in recs) or 0
        drej = sum_of(r.get("Difficulty Rejected") for r in recs) or 0
        dstale = sum_of(r.get("Difficulty Stale") for r in recs) or 0
        best = [as_number(r.get("Best Share")) for r in recs]
        best = max((b for b in best if b is not None), default=None)
        t.totals = Row([
            Cell(f"Σ {len(recs)} rigs"), Cell(),
            Cell(format_rate(sum_of(rate_mhs(r) for r in recs))),
            Cell(format_rate(sum_of(rate_mhs(r, "short") for r in recs))),
            Cell(*fmt("SUMMARY", "Accepted", sum_of(r.get("Accepted") for r in recs))),
            Cell(*fmt("SUMMARY", "Rejected", sum_of(r.get("Rejected") for r in recs))),
            Cell(*fmt("SUMMARY", "Hardware Errors", sum_of(r.get("Hardware Errors") for r in recs))),
            Cell(*fmt("SUMMARY", "Utility", sum_of(r.get("Utility") for r in recs))),
            Cell(*fmt("SUMMARY", "Work Utility", sum_of(r.get("Work Utility") for r in recs))),
            Cell(*fmt("SUMMARY", "Best Share", best)),
            Cell(*fmt("SUMMARY", "Found Blocks", sum_of(r.get("Found Blocks") for r in recs))),
            Cell(f"{pct(drej, dacc + drej + dstale):.2f}%", title="rejected difficulty / all difficulty"),
            Cell(f"{pct(dstale, dacc + drej + dstale):.2f}%", title="stale difficulty / all difficulty"),
        ], "tot")
    return t


DEVICE_COLUMNS = [("Rig", False), ("Device", False), ("Enabled", False), ("Status", False), ("Temp", True),
                  ("Hashrate av", True), ("Hashrate now", True), ("Accepted", True), ("Rejected", True),
                  ("HW errors", True), ("Last share", True)]


def device_name(d):
    for kind in ("ASC", "PGA", "GPU", "CPU"):
        if kind in d:
            name = d.get("Name")
            return f"{kind} {d[kind]}" + (f" ({name} {d.get('ID', '')})" if name else "")
    return str(d.get("Name", "?"))


def when_of(snap, command):
    st = (snap.statuses or {}).get(command) or (snap.statuses or {}).get("summary") or {}
    return st.get("When", 0)


def devices_table(items, tz):
    t = Table("devices", "Devices", DEVICE_COLUMNS)
    totals = {"av": [], "now": [], "acc": [], "rej": [], "hw": []}
    for rig, snap, state, href in items:
        if not snap:
            continue
        when = when_of(snap, "devs")
        for d in snap.sections.get("DEVS") or []:
            if not isinstance(d, dict):
                continue
            late = last_share_state(d, when)
            share_text, share_css = fmt("DEVS", "Last Share Time", d.get("Last Share Time"), when, tz)
            if late:
                share_text = f"⚠ {share_text}" + (" (late)" if late == "warn" else " (very late)")
            av, now = rate_mhs(d), rate_mhs(d, "short")
            for k, v in (("av", av), ("now", now), ("acc", d.get("Accepted")), ("rej", d.get("Rejected")),
                         ("hw", d.get("Hardware Errors"))):
                totals[k].append(v)
            t.rows.append(Row([
                rig_cell(rig, state, href), Cell(device_name(d)),
                Cell(*fmt("DEVS", "Enabled", d.get("Enabled"))),
                Cell(*fmt("DEVS", "Status", d.get("Status"))),
                Cell(*fmt("DEVS", "Temperature", d.get("Temperature"))),
                Cell(format_rate(av), "err" if av == 0 else ""),
                Cell(format_rate(now), "err" if now == 0 else ""),
                Cell(*fmt("DEVS", "Accepted", d.get("Accepted"))),
                Cell(*fmt("DEVS", "Rejected", d.get("Rejected"))),
                Cell(*fmt("DEVS", "Hardware Errors", d.get("Hardware Errors"))),
                Cell(share_text, late or share_css,
                     "expected a share every %.0f s" % (2**32 / ((av or 1) * 1e6) * (as_number(d.get("Last Share Difficulty")) or 0)) if late else ""),
            ], " ".join(c for c in (row_css(state), f"lst-{late}" if late else "") if c)))
    if len(t.rows) >= 2:
        t.totals = Row([Cell(f"Σ {len(t.rows)} devices"), Cell(), Cell(), Cell(), Cell(),
                        Cell(format_rate(sum_of(totals["av"]))), Cell(format_rate(sum_of(totals["now"]))),
                        Cell(*fmt("DEVS", "Accepted", sum_of(totals["acc"]))),
                        Cell(*fmt("DEVS", "Rejected", sum_of(totals["rej"]))),
                        Cell(*fmt("DEVS", "Hardware Errors", sum_of(totals["hw"]))), Cell()], "tot")
    return t


POOL_COLUMNS = [("Rig", False), ("Pool", True), ("In use", False), ("URL", False), ("Status", False),
                ("Priority", True), ("Accepted", True), ("Rejected", True), ("Rejected %", True),
                ("Last share", True), ("User", False)]


def active_pool(pools):
    """The pool the rig mines on: the best-priority Alive pool (Stratum Active may be
    true for backup pools too)."""
    alive = [p for p in pools if isinstance(p, dict) and p.get("Status") == "Alive"]
    if not alive:
        return None
    return min(alive, key=lambda p: (as_number(p.get("Priority")) or 0))


def pools_table(items, tz):
    t = Table("pools", "Pools", POOL_COLUMNS)
    for rig, snap, state, href in items:
        if not snap:
            continue
        pools = [p for p in snap.sections.get("POOLS") or [] if isinstance(p, dict)]
        current = active_pool(pools)
        for p in pools:
            in_use = p is current
            t.rows.append(Row([
                rig_cell(rig, state, href), Cell(str(p.get("POOL", ""))),
                Cell("▶ in use" if in_use else "", "ok" if in_use else ""),
                Cell(str(p.get("URL", ""))),
                Cell(*fmt("POOLS", "Status", p.get("Status"))),
                Cell(*fmt("POOLS", "Priority", p.get("Priority"))),
                Cell(*fmt("POOLS", "Accepted", p.get("Accepted"))),
                Cell(*fmt("POOLS", "Rejected", p.get("Rejected"))),
                Cell(*fmt("POOLS", "Pool Rejected%", p.get("Pool Rejected%"))),
                Cell(*fmt("POOLS", "Last Share Time", p.get("Last Share Time"), tz=tz)),
                Cell(str(p.get("User", ""))),
            ], " ".join(c for c in (row_css(state), "active" if in_use else "") if c)))
    return t


# ---------------------------------------------------------------- rig page

SECTION_ORDER = ["SUMMARY", "DEVS", "POOLS", "NOTIFY", "DEVDETAILS", "STATS", "COIN", "CONFIG",
                 "USBSTATS", "VERSION"]
# miner.php $singlerigsum: the fields totalled on a rig's own page
RIG_SUMS = {
    "DEVS": {"MHS av", "MHS 5s", "MHS 20s", "MHS 1m", "MHS 5m", "MHS 15m", "MHS rolling", "GHS av", "GHS 5s",
             "Accepted", "Rejected", "Hardware Errors", "Utility", "Total MH", "Diff1 Work",
             "Difficulty Accepted", "Difficulty Rejected"},
    "POOLS": {"Getworks", "Accepted", "Rejected", "Discarded", "Stale", "Get Failures", "Remote Failures",
              "Diff1 Shares", "Difficulty Accepted", "Difficulty Rejected", "Difficulty Stale"},
    "NOTIFY": None,  # every * counter
}


def section_table(name, records, when, tz, force_totals=False):
    """One API section with every field in API order, as miner.php's single-rig page."""
    records = [r for r in records if isinstance(r, dict)]
    keys = []
    for r in records:
        for k in r:
            if k not in keys:
                keys.append(k)
    t = Table(f"section-{name.lower()}", name.title() if name != "DEVS" else "Devices",
              [(k, False) for k in keys])
    for r in records:
        cells = [Cell(*fmt(name, k, r.get(k), when, tz)) if k in r else Cell() for k in keys]
        late = last_share_state(r, when) if name == "DEVS" else ""
        t.rows.append(Row(cells, f"lst-{late}" if late else ""))
    if name in RIG_SUMS and (len(records) >= 2 or force_totals):
        wanted = RIG_SUMS[name]
        cells = []
        for i, k in enumerate(keys):
            if (wanted is None and k.startswith("*")) or (wanted and k in wanted):
                cells.append(Cell(*fmt(name, k, sum_of(r.get(k) for r in records))))
            else:
                cells.append(Cell("Total" if i == 0 else ""))
        t.totals = Row(cells, "tot")
    return t


def rig_tables(snap, tz):
    sections = snap.sections or {}
    names = [n for n in SECTION_ORDER if n in sections] + sorted(n for n in sections if n not in SECTION_ORDER)
    command_of = {"DEVS": "devs", "POOLS": "pools", "NOTIFY": "notify", "STATS": "stats"}
    return [section_table(n, sections[n], when_of(snap, command_of.get(n, "summary")), tz)
            for n in names if isinstance(sections[n], list)]


def age_text(seconds):
    return format_age(seconds) if seconds is not None else "never"
