"""Tables as plain data, built from snapshots; templates/_table.html renders them.

A Table has columns, rows of cells (text, css, title) and an optional totals row.
The summary page, the rig page and custom pages all go through it. The rig page's
tables are built here, the summary page's (the Overview) in overview_tables.py. No Django
models here: rows come in as (rig, snapshot) pairs or dicts.
"""

import html
import re
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from rigs import drivers
from rigs.drivers.cgminer.protocol import as_number
from rigs.readings import digits
from rigs.readings.records import active_pool, device_name  # noqa: F401  (re-exported for the tables)

from .display import clock, format_age, last_share_state
from .field_display import fmt, rate_title


def cell(text="", css="", title="", href=""):
    """One table cell: (text, css class, title, link)."""
    return (text, css, title, href)


@dataclass
class Row:
    cells: list
    css: str = ""
    _html: str = ""

    def html(self, labels=None):
        """The <tr>; ``labels``: each cell's column name as a data-label (a card's labels, table.cards)."""
        if not self._html:
            start = f'<tr class="{self.css}">' if self.css else "<tr>"
            tds = ((_td(c) for c in self.cells) if labels is None
                   else (_td(c, lab) for c, lab in zip(self.cells, labels)))
            self._html = start + "".join(tds) + "</tr>"
        return self._html


@dataclass
class Table:
    id: str
    title: str
    columns: list  # [(label, numeric)]
    rows: list = field(default_factory=list)
    totals: Row | None = None
    note: str = ""
    more_totals: list = field(default_factory=list)  # one Σ row per further algorithm
    _html: str | None = field(default=None, repr=False, compare=False)
    pager: object = None  # paging.Pager when only some rows are shown
    foot: str = ""  # the <tfoot> rows' HTML as built beforehand (ready rows), instead of totals
    shows: tuple = ()  # (its ready table's key, the ids of the rigs its rows are of): what a push watches
    narrow: set = field(default_factory=set)  # columns hidden at narrow widths (their cells have class "n")
    cards: bool = False  # below 600 px each row is a card, each cell labelled with its column (data-label)
    drawn: str | None = field(default=None, repr=False, compare=False)  # its section, once drawn

    def section(self):
        """The table's <section> as templates/_table.html draws it, drawn once (or as drawn.py found it
        drawn already for another viewer)."""
        if self.drawn is None:
            self.drawn = render_to_string("_table.html", {"table": self})
        return mark_safe(self.drawn)

    def html(self):
        """The <table>, every value escaped, built once. Built here rather than in a template:
        a 1,000-rig summary has ~55,000 cells."""
        if self._html is None:
            self._html = self._build_html()
        return self._html

    def _build_html(self):
        out = ['<table class="cards"><thead><tr>' if self.cards else "<table><thead><tr>"]
        for k, (label, num) in enumerate(self.columns):
            css = " ".join(c for c in ("num" if num else "", "n" if k in self.narrow else "") if c)
            out.append(f'<th scope="col" class="{css}">{escape(label)}</th>' if css
                       else f'<th scope="col">{escape(label)}</th>')
        out.append("</tr></thead><tbody>")
        labels = [escape(label) for label, _ in self.columns] if self.cards else None
        out.extend(row.html(labels) for row in self.rows)
        out.append("</tbody>")
        if self.foot:
            out.append(f"<tfoot>{self.foot}</tfoot>")
        elif self.totals:
            out.append("<tfoot>")
            for row in [self.totals, *self.more_totals]:
                out.append('<tr class="tot">')
                out.extend(_td(c) for c in row.cells)
                out.append("</tr>")
            out.append("</tfoot>")
        out.append("</table>")
        return mark_safe("".join(out))


def _td(c, label=""):
    text, css, title, href = c
    attrs = ((f' class="{css}"' if css else "") + (f' title="{escape(title)}"' if title else "")
             + (f' data-label="{label}"' if label else ""))
    if href:
        marker = f' <span class="marker">{escape(title)}</span>' if title else ""
        return f'<td{attrs}><a href="{escape(href)}">{escape(text)}</a>{marker}</td>'
    return f"<td{attrs}>{escape(text)}</td>"


td = _td


def foot_html(rows):
    """Σ rows as a table's <tfoot> holds them."""
    return "".join('<tr class="tot">' + "".join(_td(c) for c in row.cells) + "</tr>" for row in rows)


SPECIAL = re.compile("[&<>\"']")  # what html.escape(quote=True) replaces


def escape(value):
    if value.__class__ is str:  # most cells: nothing to replace, and finding that is cheaper than replacing
        return html.escape(value, quote=True) if SPECIAL.search(value) else value
    if value.__class__ is Aged:
        return "".join(html.escape(p, quote=True) if isinstance(p, str)
                       else f"<!--since:{p[1]:.3f}-->" if isinstance(p, tuple) else f"<!--age:{p:.3f}-->"
                       for p in value.parts)
    return html.escape(str(value), quote=True)


class Aged:
    """Cell text that changes with time alone ("5s", "stale: no answer for 1m 05s", "GPU 1 Sick since 02:07"):
    a row built once shows it as of each view. Drawn as <!--age:EPOCH--> and <!--since:EPOCH--> markers
    (no escaped text can make one), which with_ages() fills in. ``parts``: text, an epoch whose age goes
    there, or ("since", epoch): " since HH:MM" once that is a minute old."""

    __slots__ = ("parts",)

    def __init__(self, *parts):
        self.parts = parts

    def __str__(self):
        return "".join(p for p in self.parts if isinstance(p, str))


MARKER = re.compile(r"<!--(age|since):([0-9.]+)-->")


def with_ages(text, now):
    """Built rows' HTML with what time changes in them as of ``now`` (epoch)."""
    if "<!--" not in text:
        return text
    z = zoneinfo.ZoneInfo(settings.TIME_ZONE)

    def fill(m):
        at = float(m[2])
        if m[1] == "age":
            return format_age(now - at)
        return f" since {clock(at, z)[:5]}" if now - at > 60 else ""

    return MARKER.sub(fill, text)


def row_css(state):
    return "dim" if state in ("stale", "unreachable") else ""


def sum_of(values):
    """The sum of the values that are numbers; integers stay integers (counts print without decimals)."""
    nums = [v if type(v) is int else as_number(v) for v in values]
    nums = [n for n in nums if n is not None]
    return sum(nums) if nums else None


def is_pool(rig):
    """A pool's hashrate is its miners' hashrate: adding it to the farm's would count it twice."""
    return drivers.is_pool(getattr(rig, "kind", "cgminer"))


def counted(rig, state="ok"):
    """In the farm's totals: a miner (not a pool) whose data is current."""
    return not is_pool(rig) and state == "ok"


def when_of(snap, command):
    st = (snap.statuses or {}).get(command) or (snap.statuses or {}).get("summary") or {}
    return st.get("When", 0)


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
        cells = [cell(*fmt(name, k, r.get(k), when, tz, r), rate_title(k, r.get(k))) if k in r else cell()
                 for k in keys]
        late = last_share_state(r, when) if name == "DEVS" and settings.CHECK_LAST_SHARE else ""
        t.rows.append(Row(cells, f"lst-{late}" if late else ""))
    force_totals = force_totals or settings.FORCE_RIG_TOTALS
    if name in RIG_SUMS and settings.RIG_TOTALS and records and (len(records) >= 2 or force_totals):
        wanted = RIG_SUMS[name]
        cells = []
        for i, k in enumerate(keys):
            if (wanted is None and k.startswith("*")) or (wanted and k in wanted):
                cells.append(cell(*fmt("total", k, sum_of(r.get(k) for r in records))))
            else:
                cells.append(cell("Total" if i == 0 else ""))
        t.totals = Row(cells, "tot")
    return t


def rig_tables(snap, tz):
    sections = digits.dress(snap.sections or {}, (snap.digits or {}).get("decimals"))
    names = [n for n in SECTION_ORDER if n in sections] + sorted(n for n in sections if n not in SECTION_ORDER)
    command_of = {"DEVS": "devs", "POOLS": "pools", "NOTIFY": "notify", "STATS": "stats"}
    return [section_table(n, sections[n], when_of(snap, command_of.get(n, "summary")), tz)
            for n in names if isinstance(sections[n], list)]


def age_text(seconds):
    return format_age(seconds) if seconds is not None else "never"
