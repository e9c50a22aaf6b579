"""The rack map's data: every rig of a site at its slot, coloured by the metric the viewer picks.

It reads the rigs' stored snapshots (their briefs: figures and health, worked out by the poller) in
one query, the site's racks in another, and the maintenance windows in one or two more; it never
asks a rig. The grid itself is written by maphtml.py.

Metrics, each a scale of five colours from good (m0) to bad (m4), or for power one of five shades
from the site's lowest to its highest reading (s0..s4):

    health       ok, warning, problem (as everywhere in the panel); new or no data grey
    temp         the hottest board against TEMP_WARN and TEMP_ERROR
    hashrate     the current hashrate against the rig's nominal one (the firmware's `Nominal MHS`);
                 where the firmware gives none, against its own recent median (the last polls the
                 health keeps in the brief: minutes, not the 24 h of history, which this app is
                 below and does not read)
    power        watts, where the firmware reports them
    efficiency   J/TH, where the firmware reports it
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import models

from rigs.models import SnapshotJSONField
from rigs.readings.freshness import reachability
from rigs.readings.health import with_reachability
from rigs.web.display import format_rate

from .models import Placement, Rack, Site
from .scope import Window, maintenance_by_rig

METRICS = {"health": "Health", "temp": "Hottest temperature", "hashrate": "Hashrate against nominal",
           "power": "Power", "efficiency": "Efficiency (J/TH)"}
STATE_WORDS = {"ok": "ok", "warn": "warning", "err": "problem", "new": "no data yet"}
# SUMMARY fields the ASIC drivers fill in (rigs/drivers/asic.py): read only for the metrics that need them
SUMMARY_FIELDS = ("Power", "Efficiency J/TH", "Nominal MHS")


class SummaryFields(models.Func):
    """The first SUMMARY record's ``SUMMARY_FIELDS`` as a JSON array, the snapshot's text parsed once."""

    output_field = SnapshotJSONField()

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        paths = ", ".join(["%s"] * len(SUMMARY_FIELDS))
        # json_array(...) of one path is a JSON text; of several, json_extract already gives an array
        return f"json_extract({sql}, {paths})", (*params, *(f'$."SUMMARY"[0]."{f}"' for f in SUMMARY_FIELDS))

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        parts = ", ".join([f"({sql} -> 'SUMMARY' -> 0 -> %s)"] * len(SUMMARY_FIELDS))
        return f"jsonb_build_array({parts})", tuple(p for f in SUMMARY_FIELDS for p in (*params, f))


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


def number(value):
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def median(values):
    ranked = sorted(v for v in values if isinstance(v, (int, float)))
    if not ranked:
        return None
    half = len(ranked) // 2
    return ranked[half] if len(ranked) % 2 else (ranked[half - 1] + ranked[half]) / 2


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


def colour(metric, state, figs, extra, power_edges):
    """The cell's class, its short text and the figure for its title."""
    temp, hs = number(figs.get("max_temp")), number(figs.get("hashrate_now_hs"))
    if metric == "health":
        return {"ok": "m0", "warn": "m2", "err": "m4"}.get(state, "nd"), {"warn": "⚠", "err": "✖"}.get(state, ""), ""
    if metric == "temp":
        if temp is None:
            return "nd", "", "no temperature reading"
        chip = number(figs.get("max_chip_temp"))
        return (f"m{bucket(temp, temp_edges())}", f"{temp:.0f}",
                f"hottest {temp:.0f} °C" + (f", chips {chip:.0f} °C" if chip else ""))
    if metric == "hashrate":
        nominal = extra.get("nominal")
        ref, what = (nominal, "nominal") if nominal else (median(extra.get("history") or []), "its recent median")
        if hs is None or not ref:
            return "nd", "", "no hashrate reading" if hs is None else "no nominal hashrate or recent median"
        share = hs / ref
        return (f"m{4 - bucket(share, HASHRATE_EDGES)}", f"{100 * share:.0f}%",
                f"{100 * share:.0f}% of {what} ({format_rate(hs / 1e6)} of {format_rate(ref / 1e6)})")
    if metric == "efficiency":
        eff = extra.get("efficiency")
        if eff is None:
            return "nd", "", "efficiency not reported"
        return f"m{bucket(eff, EFFICIENCY_EDGES)}", f"{eff:.0f}", f"{eff:.1f} J/TH"
    power = extra.get("power")
    if power is None or not power_edges:
        return "nd", "", "power not reported"
    low, high = power_edges
    i = min(4, int(5 * (power - low) / (high - low))) if high > low else 2
    return f"s{i}", f"{power / 1000:.1f}", f"{power:,.0f} W"


def extras(figs, summary):
    """Power, efficiency and the nominal hashrate (H/s): the figures' own where the poller works them
    out (power_w, efficiency_jth), else the SUMMARY fields the ASIC drivers fill in."""
    summary = summary if isinstance(summary, list) else [None] * len(SUMMARY_FIELDS)
    power, eff, nominal = (number(v) for v in summary)
    power = number(figs.get("power_w")) if figs.get("power_w") is not None else power
    eff = number(figs.get("efficiency_jth")) if figs.get("efficiency_jth") is not None else eff
    return {"power": power if power and power > 0 else None, "efficiency": eff if eff and eff > 0 else None,
            "nominal": nominal * 1e6 if nominal and nominal > 0 else None}


def site_map(site: Site | None, metric: str, now: datetime) -> SiteMap:
    """The map of one site (``None``: the first), coloured by ``metric`` (one of METRICS)."""
    metric = metric if metric in METRICS else "health"
    if site is None:
        return SiteMap(None, metric, [], [], legend_of(metric, None))
    racks = {r["id"]: RackView(r["id"], r["name"], r["rows"], r["columns"])
             for r in Rack.objects.filter(site=site).order_by("order", "name").values("id", "name", "rows", "columns")}
    columns = ["rig_id", "rig__name", "rack_id", "row", "column", "rig__snapshot__polled_at",
               "rig__snapshot__last_ok_at", "rig__snapshot__error", "rig__snapshot__error_kind", "rig__snapshot__brief"]
    rows = Placement.objects.filter(site=site, rig__enabled=True).order_by("rig__order", "rig__name")
    if metric in ("hashrate", "power", "efficiency"):
        rows = rows.annotate(summary=SummaryFields("rig__snapshot__sections"))
        columns.append("summary")
    data = list(rows.values_list(*columns))
    windows = maintenance_by_rig(now, [r[0] for r in data])
    seen = [extras((r[9] or {}).get("figures") or {}, r[10]) if len(r) > 10 else {} for r in data]
    if metric == "hashrate":
        for r, extra in zip(data, seen):
            extra["history"] = (r[9] or {}).get("history")
    powers = [e["power"] for e in seen if e.get("power") is not None]
    power_edges = (min(powers), max(powers)) if powers else None
    out = SiteMap(site, metric, list(racks.values()), [], legend_of(metric, power_edges), rigs=len(data))
    for r, extra in zip(data, seen):
        rig_id, name, rack_id, row, col, polled, last_ok, error, error_kind, brief = r[:10]
        brief = brief or {}
        reach = reachability(polled, last_ok, error, now)
        age = f"{(now - last_ok).total_seconds():.0f} s" if last_ok else ""
        health = with_reachability(brief.get("health"), reach, error, age, error_kind)
        state = health["state"]
        out.counts[state] = out.counts.get(state, 0) + 1
        cell = Cell(rig_id, name, rack_id, row, col, maintenance=windows.get(rig_id))
        css, cell.text, figure = colour(metric, state, brief.get("figures") or {}, extra, power_edges)
        reasons = [str(x.get("text", "")) for x in health["reasons"] if isinstance(x, dict)]
        parts = [name, STATE_WORDS.get(state, state)] + reasons[:4] + ([f"… {len(reasons) - 4} more"]
                                                                        if len(reasons) > 4 else [])
        if figure:
            parts.append(figure)
        if cell.maintenance:
            css = "mt"
            out.in_maintenance += 1
            parts.append(cell.maintenance.text)
        cell.css, cell.title = css, " · ".join(parts)
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
