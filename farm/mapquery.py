"""The rack map's one query: each rig of a site with its slot, its reachability and the figures of its
map row (MapFigures, written on the poller's side by mapfigures.py) the chosen metric needs.

The database works out the reachability (the rule of rigs/readings/freshness.py) from the snapshot's
plain columns; no JSON is parsed per rig but the reasons of a rig that has some. Rows older than their
snapshot are written first (mapfigures.current: nothing more to ask when there is nothing to do).
"""

from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Case, CharField, Q, Value, When

from rigs.models import Snapshot
from rigs.readings.freshness import stale_after

from . import mapfigures
from .models import Placement

# metric: the map row's columns it reads, beside the state, reasons and curtailment
COLUMNS = {"health": (), "temp": ("temp", "chip_temp"), "hashrate": ("hashrate", "reference", "nominal"),
           "power": ("power", "power_estimated"), "efficiency": ("efficiency",)}


def reach(now: datetime):
    """rigs/readings/freshness.reachability as an SQL expression over a placement's rig's snapshot."""
    cutoff = now - timedelta(seconds=stale_after())
    return Case(When(rig__snapshot__polled_at__isnull=True, then=Value("new")),
                When(~Q(rig__snapshot__error=""), then=Value("unreachable")),
                When(rig__snapshot__last_ok_at__lt=cutoff, then=Value("stale")),
                default=Value("ok"), output_field=CharField())


def rows_of(site, metric: str, now: datetime):
    """(rig id, name, rack id, row, column, reachability, error, error kind, state, reasons, curtailed,
    *the metric's columns) of each enabled rig placed in ``site``, in rig order. Rigs whose map row is
    missing or older than their snapshot get it written, and the query runs again."""
    figures = [f"rig__map_figures__{c}" for c in ("state", "reasons", "curtailed", *COLUMNS[metric])]
    query = (Placement.objects.filter(site=site, rig__enabled=True).order_by("rig__order", "rig__name")
             .annotate(reach=reach(now), current=mapfigures.current())
             .values_list("rig_id", "rig__name", "rack_id", "row", "column", "reach", "rig__snapshot__error",
                          "rig__snapshot__error_kind", *figures, "current"))
    rows = fetch(query)
    outdated = [r[0] for r in rows if not r[-1]]
    if outdated:
        mapfigures.write(outdated)
        rows = fetch(query)
    return [r[:-1] for r in rows]


def fetch(query):
    """The query's rows as the database gives them: Django's converters per value (a boolean from
    SQLite's 0 or 1) cost more than the rest of the read at 5,000 rigs, and the map only tests them."""
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def last_answers(site, rig_ids):
    """{rig id: when it last answered} of the stale rigs, whose reason says for how long: by their ids
    when they are few, else every rig of the site's (a poller that stopped makes them all stale)."""
    rows = Snapshot.objects.filter(rig_id__in=list(rig_ids)) if len(rig_ids) <= 2000 else \
        Snapshot.objects.filter(rig__placement__site=site)
    return dict(rows.values_list("rig_id", "last_ok_at"))
