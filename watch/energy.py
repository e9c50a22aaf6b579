"""Energy from the history (issue 26 §5): kWh per rig over a period, from the points' power.

Each history point keeps the rig's power in W (reported by its firmware, else the estimate of the
nominal table: figures' ``power_w``), averaged over its period; energy is the sum of power × period.
The finished hours and quarters come from the roll-ups, the time since the last roll-up from the minute
points. A period without points (a rig down, or not polled) counts nothing: this is the energy the panel
saw, never an assumption. Per-site totals and tariffs build on ``kwh``.
"""

import time
from datetime import datetime

from django.db.models import Count, Sum

from . import history
from .models import Point


def _seconds(value):
    return value.timestamp() if isinstance(value, datetime) else float(value)


def _sum(rig_ids, res, start, end):
    """{rig: watt-points} of one resolution over [start, end)."""
    if end <= start:
        return {}
    rows = (Point.objects.filter(rig_id__in=rig_ids, res=res, t__gte=int(start), t__lt=int(end))
            .values("rig_id").annotate(w=Sum("power"), n=Count("power")))
    return {r["rig_id"]: (r["w"] or 0.0) * res * 60 for r in rows if r["n"]}


def kwh(rig_ids, since, until=None):
    """{rig id: kWh} between ``since`` and ``until`` (datetimes or Unix seconds; until: now). A rig with no
    power in its points over the period is left out."""
    rig_ids = list(rig_ids)
    start, end = _seconds(since), _seconds(until) if until is not None else time.time()
    if not rig_ids or end <= start:
        return {}
    res = history.resolution(end - start)
    joules: dict[int, float] = {}
    cut = start
    if res > 1:  # the rolled-up periods, then the minutes after the last roll-up
        done = history.mark(f"rollup{res}")
        cut = min(end, max(start, float(done))) if done is not None else start
        for rig, j in _sum(rig_ids, res, start // (res * 60) * res * 60, cut).items():
            joules[rig] = joules.get(rig, 0.0) + j
    for rig, j in _sum(rig_ids, 1, cut, end).items():
        joules[rig] = joules.get(rig, 0.0) + j
    return {rig: j / 3.6e6 for rig, j in joules.items()}


def last_day(rig_id, now=None):
    """A rig's kWh over the last 24 hours, or None when its points hold no power."""
    now = now or time.time()
    return kwh([rig_id], now - 86400, now).get(rig_id)
