"""The rack map's figures of each rig (MapFigures), written on the poller's side: after each stored batch
(a hook: farm/apps.py) for the rigs of the batch, and by the map itself for a rig whose row is older
than its snapshot (one saved without a batch: the admin, a test, a bench). A view then reads a few
columns per rig and parses no snapshot.

From the snapshot's brief (the poller's figures and health) and, where the figures have no such key,
the SUMMARY fields the ASIC drivers fill in (rigs/drivers/asic.py): the hottest temperature, the
hashrate now and its reference (the nominal hashrate, else its own median over 24 hours: one value an
hour, the median of the polls the health keeps, kept in the row), power and efficiency.
"""

import json

from django.db.models import Case, F, Q, Value, When
from django.db.models.fields import BooleanField

from rigs.models import Snapshot
from rigs.polling.upsert import upsert

from .models import MapFigures

HOUR, KEPT_HOURS = 3600, 24
CHUNK = 500  # rig ids per query (SQLite's limit on parameters)
# metric: (the figures' key, the SUMMARY field of the ASIC drivers, H/s or W or J/TH per unit of that field)
FIGURE = {"hashrate": ("nominal_hs", "Nominal MHS", 1e6), "power": ("power_w", "Power", 1.0),
          "efficiency": ("efficiency_jth", "Efficiency J/TH", 1.0)}
FIELDS = ("polled_at", "last_ok_at", "state", "reasons", "curtailed", "temp", "chip_temp", "hashrate", "reference",
          "nominal", "power", "power_estimated", "efficiency", "hourly")


def number(value):
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def median(values):
    ranked = sorted(v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool))
    if not ranked:
        return None
    half = len(ranked) // 2
    return ranked[half] if len(ranked) % 2 else (ranked[half - 1] + ranked[half]) / 2


def own_or_summary(figures, summary, metric):
    """The metric's power, efficiency or nominal hashrate: the figures' own where the poller works it
    out, else the SUMMARY field; None where neither says, or it is not above zero."""
    key, field, unit = FIGURE[metric]
    if key in figures:
        value = number(figures.get(key))
    else:
        value = number(summary.get(field))
        value = value * unit if value is not None else None
    return value if value is not None and value > 0 else None


def hours_kept(hourly, now_hour, recent):
    """The last 24 hours' [hour, value] with this hour's value set to ``recent`` (None: kept as it was)."""
    valid = [h for h in hourly if isinstance(h, list) and len(h) == 2 and number(h[0]) is not None
             and number(h[1]) is not None and now_hour - KEPT_HOURS * HOUR < h[0] <= now_hour]
    this = [[now_hour, recent]] if recent is not None else [h for h in valid if h[0] == now_hour][:1]
    return sorted([h for h in valid if h[0] != now_hour] + this)[-KEPT_HOURS:]


def figures_of(brief, summary, hourly, polled_at):
    """One row's values (FIELDS but the two times) from a snapshot's brief and its SUMMARY record."""
    brief = brief if isinstance(brief, dict) else {}
    figs = brief.get("figures") if isinstance(brief.get("figures"), dict) else {}
    health = brief.get("health") if isinstance(brief.get("health"), dict) else {}
    summary = summary if isinstance(summary, dict) else {}
    reasons = health.get("reasons") if isinstance(health.get("reasons"), list) else []
    history = brief.get("history") if isinstance(brief.get("history"), list) else []
    hour = int(polled_at.timestamp()) // HOUR * HOUR if polled_at is not None else 0
    hourly = hours_kept(hourly if isinstance(hourly, list) else [], hour, median(history))
    nominal = own_or_summary(figs, summary, "hashrate")
    return {"state": str(health.get("state") or "new")[:8], "reasons": json.dumps(reasons) if reasons else "",
            "curtailed": bool(figs.get("curtailed")), "temp": number(figs.get("max_temp")),
            "chip_temp": number(figs.get("max_chip_temp")), "hashrate": number(figs.get("hashrate_now_hs")),
            "reference": nominal or median(v for _, v in hourly), "nominal": nominal is not None,
            "power": own_or_summary(figs, summary, "power"), "power_estimated": bool(figs.get("power_estimated")),
            "efficiency": own_or_summary(figs, summary, "efficiency"), "hourly": hourly}


def write(ids):
    """Write the map's row of each rig of ``ids`` that has a snapshot, from it. The poller's hook: it
    answers None (no ready table changes)."""
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        kept = dict(MapFigures.objects.filter(rig_id__in=chunk).values_list("rig_id", "hourly"))
        snaps = Snapshot.objects.filter(rig_id__in=chunk).values_list(
            "rig_id", "polled_at", "last_ok_at", "brief", "sections__SUMMARY__0")
        rows = [{"rig": rig_id, "polled_at": polled_at, "last_ok_at": last_ok_at,
                 **figures_of(brief, summary, kept.get(rig_id), polled_at)}
                for rig_id, polled_at, last_ok_at, brief, summary in snaps]
        upsert(MapFigures, rows, FIELDS[:])
    return None


def current():
    """An SQL expression over a placement: whether its rig's map row was made from its snapshot (or it
    has no snapshot, hence nothing to write)."""
    same = Q(rig__map_figures__polled_at=F("rig__snapshot__polled_at")) & (
        Q(rig__map_figures__last_ok_at=F("rig__snapshot__last_ok_at"))
        | Q(rig__map_figures__last_ok_at__isnull=True, rig__snapshot__last_ok_at__isnull=True))
    return Case(When(rig__snapshot__polled_at__isnull=True, then=Value(True)), When(same, then=Value(True)),
                default=Value(False), output_field=BooleanField())
