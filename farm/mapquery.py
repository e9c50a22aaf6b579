"""The rack map's one query: each rig of a site with its slot, its reachability and the few values of
its brief the chosen metric needs, picked out by the database.

Reading whole briefs (history, fans, every figure) and converting two datetimes per rig cost more
than the page may at 5,000 rigs; here the database works out the reachability (the rule of
rigs/readings/freshness.py) and returns a small JSON array per rig:

    [[state, reasons, curtailed, value...], figure, summary]

``value...`` are brief paths (``BRIEF_PATHS``); ``figure`` is the figures' own power, efficiency or
nominal hashrate when the poller works it out; ``summary`` is the SUMMARY field the ASIC drivers fill
in (rigs/drivers/asic.py), read from the snapshot's sections only for a rig whose figures have no
such key at all (SQLite then parses its sections; the figures' key spares it that).
"""

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Case, CharField, Q, Value, When

from rigs.models import Snapshot, SnapshotJSONField
from rigs.readings.freshness import stale_after

from .models import Placement

BRIEF_PATHS = {"health": (), "temp": (("figures", "max_temp"), ("figures", "max_chip_temp")),
               "hashrate": (("figures", "hashrate_now_hs"), ("history",)), "power": (("figures", "power_estimated"),),
               "efficiency": ()}
# metric: (the figures' key, the SUMMARY field of the ASIC drivers, H/s or W or J/TH per unit of that field)
FIGURE = {"hashrate": ("nominal_hs", "Nominal MHS", 1e6), "power": ("power_w", "Power", 1.0),
          "efficiency": ("efficiency_jth", "Efficiency J/TH", 1.0)}


class Picks(models.Func):
    """``[[health.state, health.reasons, figures.curtailed, *paths], figures[key], SUMMARY[0][field]]``."""

    output_field = SnapshotJSONField()

    def __init__(self, brief, sections, paths, figure=None):
        self.paths, self.figure = tuple(paths), figure
        super().__init__(brief, sections)

    def as_sqlite(self, compiler, connection, **extra):
        brief, bp = compiler.compile(self.source_expressions[0])
        sections, sp = compiler.compile(self.source_expressions[1])
        paths = ["$.health.state", "$.health.reasons", "$.figures.curtailed",
                 *("$." + ".".join(p) for p in self.paths)]
        sql = f"json_array(json_extract({brief}, {', '.join(['%s'] * len(paths))})"
        params = [*bp, *paths]
        if self.figure:
            key, field, _ = self.figure
            sql += (f", json_extract({brief}, %s), CASE WHEN json_type({brief}, %s) IS NULL "
                    f"THEN json_extract({sections}, %s) END")
            params += [*bp, f"$.figures.{key}", *bp, f"$.figures.{key}", *sp, f'$."SUMMARY"[0]."{field}"']
        return sql + ")", tuple(params)

    def as_postgresql(self, compiler, connection, **extra):
        brief, bp = compiler.compile(self.source_expressions[0])
        sections, sp = compiler.compile(self.source_expressions[1])
        paths = [["health", "state"], ["health", "reasons"], ["figures", "curtailed"], *(list(p) for p in self.paths)]
        sql = f"jsonb_build_array(jsonb_build_array({', '.join([f'({brief} #> %s)'] * len(paths))})"
        params = [p for path in paths for p in (*bp, path)]
        if self.figure:
            key, field, _ = self.figure
            sql += f", ({brief} #> %s), CASE WHEN ({brief} #> %s) IS NULL THEN ({sections} -> 'SUMMARY' -> 0 -> %s) END"
            params += [*bp, ["figures", key], *bp, ["figures", key], *sp, field]
        return sql + ")", tuple(params)


def reach(now: datetime):
    """rigs/readings/freshness.reachability as an SQL expression over a placement's rig's snapshot."""
    cutoff = now - timedelta(seconds=stale_after())
    return Case(When(rig__snapshot__polled_at__isnull=True, then=Value("new")),
                When(~Q(rig__snapshot__error=""), then=Value("unreachable")),
                When(rig__snapshot__last_ok_at__lt=cutoff, then=Value("stale")),
                default=Value("ok"), output_field=CharField())


def rows_of(site, metric: str, now: datetime):
    """(rig id, name, rack id, row, column, reachability, error, error kind, picks) of each enabled rig
    placed in ``site``, in rig order."""
    return list(Placement.objects.filter(site=site, rig__enabled=True).order_by("rig__order", "rig__name")
                .annotate(reach=reach(now),
                          picks=Picks("rig__snapshot__brief", "rig__snapshot__sections", BRIEF_PATHS[metric],
                                      FIGURE.get(metric)))
                .values_list("rig_id", "rig__name", "rack_id", "row", "column", "reach", "rig__snapshot__error",
                             "rig__snapshot__error_kind", "picks"))


def last_answers(site, rig_ids):
    """{rig id: when it last answered} of the stale rigs, whose reason says for how long: by their ids
    when they are few, else every rig of the site's (a poller that stopped makes them all stale)."""
    rows = Snapshot.objects.filter(rig_id__in=list(rig_ids)) if len(rig_ids) <= 2000 else \
        Snapshot.objects.filter(rig__placement__site=site)
    return dict(rows.values_list("rig_id", "last_ok_at"))
