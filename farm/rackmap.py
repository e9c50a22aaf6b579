"""The rack map's data: every rig of a site at its slot, coloured by the metric the viewer picks.

It reads the rigs' map rows (MapFigures: figures and health, worked out on the poller's side by
mapfigures.py) in one query, the site's racks in another, and the maintenance windows in one or two
more; it never asks a rig nor parses a snapshot. The grid itself is written by maphtml.py.

Metrics, each a scale of five colours from good (m0) to bad (m4), or for power one of five shades
from the site's lowest to its highest reading (s0..s4):

    health       ok, warning, problem (as everywhere in the panel); new or no data grey
    temp         the hottest board against TEMP_WARN and TEMP_ERROR
    hashrate     the current hashrate against the rig's nominal one (the firmware's `Nominal MHS`);
                 where the firmware gives none, against its own median over 24 hours (one value
                 an hour, kept in the map row by the poller's side)
    power        watts, where the firmware reports them
    efficiency   J/TH, where the firmware reports it
"""

import json
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings

from rigs.readings.health import with_reachability
from rigs.web.display import format_age, format_rate

from .mapquery import last_answers, rows_of
from .models import Rack, Site
from .scope import Window, maintenance_by_rig

METRICS = {"health": "Health", "temp": "Hottest temperature", "hashrate": "Hashrate against nominal",
           "power": "Power", "efficiency": "Efficiency (J/TH)"}
STATE_WORDS = {"ok": "ok", "warn": "warning", "err": "problem", "new": "no data yet"}
HEALTH_CSS = {"ok": "m0", "warn": "m2", "err": "m4"}
HEALTH_TEXT = {"warn": "⚠", "err": "✖"}


@dataclass
class Cell:
    rig_id: int
    name: str
    rack_id: int | None
    row: int | None
    column: int | None
    css: str = "nd"
    text: str = ""
    title: str = ""
    maintenance: Window | None = None


@dataclass
class RackView:
    pk: int
    name: str
    rows: int
    columns: int
    cells: list[Cell] = field(default_factory=list)


@dataclass
class SiteMap:
    site: Site | None
    metric: str
    racks: list[RackView]
    loose: list[Cell]  # rigs of the site outside racks, or in a rack without a slot
    legend: list[tuple[str, str]]
    rigs: int = 0
    in_maintenance: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def bucket(value, edges):
    """0..4: how many of the four ``edges`` the value reaches."""
    return sum(value >= e for e in edges)


def temp_edges():
    warn, err = settings.TEMP_WARN, settings.TEMP_ERROR
    return (warn - 20, warn - 10, warn, err)


HASHRATE_EDGES = (0.5, 0.8, 0.9, 0.98)  # share of nominal: below 50 % is m4 ... from 98 % m0
EFFICIENCY_EDGES = (20, 25, 30, 40)     # J/TH: today's SHA-256 machines run 15-35


def legend_of(metric, power_edges):
    if metric == "health":
        return [("m0", "ok"), ("m2", "warning"), ("m4", "problem"), ("nd", "no data"), ("mt", "in maintenance")]
    if metric == "temp":
        a, b, w, e = temp_edges()
        return [("m0", f"under {a:.0f} °C"), ("m1", f"{a:.0f}–{b:.0f} °C"), ("m2", f"{b:.0f}–{w:.0f} °C"),
                ("m3", f"{w:.0f}–{e:.0f} °C (warning)"), ("m4", f"{e:.0f} °C and over (problem)"),
                ("nd", "no reading"), ("mt", "in maintenance")]
    if metric == "hashrate":
        return [("m0", "98 % and over"), ("m1", "90–98 %"), ("m2", "80–90 %"), ("m3", "50–80 %"), ("m4", "under 50 %"),
                ("nd", "no reading"), ("mt", "in maintenance")]
    if metric == "efficiency":
        return [("m0", "under 20 J/TH"), ("m1", "20–25"), ("m2", "25–30"), ("m3", "30–40"), ("m4", "40 J/TH and over"),
                ("nd", "not reported"), ("mt", "in maintenance")]
    if not power_edges:
        return [("nd", "no rig of this site reports its power"), ("mt", "in maintenance")]
    low, high = power_edges
    step = (high - low) / 5 or 1
    return [(f"s{i}", f"{kw(low + i * step)}–{kw(low + (i + 1) * step)}") for i in range(5)] + [
        ("nd", "not reported"), ("mt", "in maintenance")]


def kw(watts):
    return f"{watts / 1000:.1f} kW" if watts >= 1000 else f"{watts:.0f} W"


def colour(metric, state, values, edges):
    """The cell's class, its short text and the figure for its title. ``values``: the map row's columns
    the metric reads (mapquery.COLUMNS); ``edges``: the temperature's (temp_edges) or the site's lowest
    and highest power, worked out once a map."""
    if metric == "health":
        return HEALTH_CSS.get(state, "nd"), HEALTH_TEXT.get(state, ""), ""
    if metric == "temp":
        temp, chip = values
        if temp is None:
            return "nd", "", "no temperature reading"
        return (f"m{bucket(temp, edges)}", f"{temp:.0f}",
                f"hottest {temp:.0f} °C" + (f", chips {chip:.0f} °C" if chip else ""))
    if metric == "hashrate":
        hs, ref, nominal = values
        if hs is None or not ref:
            return "nd", "", "no hashrate reading" if hs is None else "no nominal hashrate or 24 h median"
        share = hs / ref
        return (f"m{4 - bucket(share, HASHRATE_EDGES)}", f"{100 * share:.0f}%",
                f"{100 * share:.0f}% of {'nominal' if nominal else 'its 24 h median'} "
                f"({format_rate(hs / 1e6)} of {format_rate(ref / 1e6)})")
    if metric == "efficiency":
        (value,) = values
        if value is None:
            return "nd", "", "efficiency not reported"
        return f"m{bucket(value, EFFICIENCY_EDGES)}", f"{value:.0f}", f"{value:.1f} J/TH"
    power, estimated = values
    if power is None or not edges:
        return "nd", "", "power not reported"
    low, high = edges
    i = min(4, int(5 * (power - low) / (high - low))) if high > low else 2
    return f"s{i}", f"{power / 1000:.1f}", f"{power:,.0f} W" + (" (estimated)" if estimated else "")


def site_map(site: Site | None, metric: str, now: datetime) -> SiteMap:
    """The map of one site, coloured by ``metric`` (one of METRICS): its racks in one query, its rigs
    and their map rows in another (mapquery), their maintenance in one or two more."""
    metric = metric if metric in METRICS else "health"
    if site is None:
        return SiteMap(None, metric, [], [], legend_of(metric, None))
    racks = {r["id"]: RackView(r["id"], r["name"], r["rows"], r["columns"])
             for r in Rack.objects.filter(site=site).order_by("order", "name").values("id", "name", "rows", "columns")}
    data = rows_of(site, metric, now)
    windows = maintenance_by_rig(now, [r[0] for r in data])
    powers = [r[11] for r in data if r[11] is not None] if metric == "power" else []
    power_edges = (min(powers), max(powers)) if powers else None
    edges = temp_edges() if metric == "temp" else power_edges
    stale = [r[0] for r in data if r[5] == "stale"]
    answered = last_answers(site, stale) if stale else {}
    out = SiteMap(site, metric, list(racks.values()), [], legend_of(metric, power_edges), rigs=len(data))
    counts = out.counts
    for rig_id, name, rack_id, row, col, reach, error, error_kind, stored_state, stored_reasons, curtailed, *values \
            in data:
        stored = json.loads(stored_reasons) if stored_reasons else []
        if reach == "ok" and stored_state is not None:
            state, reasons = stored_state, stored  # most rigs: the stored health is the whole story
        else:
            last = answered.get(rig_id)
            health = with_reachability({"state": stored_state, "reasons": stored} if stored_state else None, reach,
                                       error or "", format_age((now - last).total_seconds()) if last else "",
                                       error_kind or "")
            state, reasons = health["state"], health["reasons"]
        counts[state] = counts.get(state, 0) + 1
        css, text, figure = colour(metric, state, values, edges)
        parts = [name, STATE_WORDS.get(state, state)] + (["curtailed"] if curtailed else [])
        if reasons:
            words = [str(x.get("text", "")) for x in reasons if isinstance(x, dict)]
            parts += words[:4] + ([f"… {len(words) - 4} more"] if len(words) > 4 else [])
        if figure:
            parts.append(figure)
        window = windows.get(rig_id)
        if window:
            css = "mt"
            out.in_maintenance += 1
            parts.append(window.text)
        cell = Cell(rig_id, name, rack_id, row, col, css, text, " · ".join(parts), window)
        rack = racks.get(rack_id)
        if rack is not None and row and col and row <= rack.rows and col <= rack.columns:
            rack.cells.append(cell)
        else:
            out.loose.append(cell)
    return out


def pick_site(value):
    """The site ``?site=`` names (its id or its name), else the first; None when there is no site."""
    sites = Site.objects.all()
    if value:
        found = sites.filter(pk=int(value)).first() if value.isdigit() else None
        found = found or sites.filter(name=value[:64]).first()
        if found is not None:
            return found
    return sites.first()
