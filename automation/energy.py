"""Energy per site (issue 26 §5): kWh per day from the history (watch.energy.kwh: the power the panel saw),
its cost at the site's tariff (flat, or by time of day), the rig-hours curtailed and the energy not used.

Days are the site's own (its time zone, else the panel's). The energy not used is an estimate: each
curtailment's rig power just before it (``Curtailment.watts_before``: reported, else the nominal table's)
× the time it lasted in the day; for a power target in watts, the power before less the target; a
low-power mode counts nothing (its draw is not known). Its cost is at the tariff in force at each moment.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from rigs.drivers.described import watts as target_watts
from rigs.models import Curtailment, Rig
from watch.energy import kwh

from .models import Tariff


def site_zone(site):
    try:
        return ZoneInfo((site.timezone if site is not None else "") or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def segments(tariff, start, end):
    """[(from, to, price per kWh or None)] cutting [start, end) at the tariff's period bounds (local times)."""
    if tariff is None:
        return [(start, end, None)]
    tz = start.tzinfo
    day = start.date()
    spans = []  # (from, to, price) of the periods, over the day before, the day and the day after
    for offset in (-1, 0, 1):
        d = day + timedelta(days=offset)
        for p in tariff.periods.all():
            a = datetime.combine(d, p.start, tzinfo=tz)
            b = datetime.combine(d + timedelta(days=1 if p.end <= p.start else 0), p.end, tzinfo=tz)
            spans.append((a, b, p.price))
    cuts = sorted({start, end} | {t for a, b, _ in spans for t in (a, b) if start < t < end})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        price = next((p for s, e, p in spans if s <= a < e), tariff.flat)
        out.append((a, b, price))
    return out


def not_used_watts(row):
    if row.watts_before is None:
        return 0.0
    if row.how == "sleep":
        return row.watts_before
    target = target_watts(row.value)
    return max(0.0, row.watts_before - target) if target else 0.0


@dataclass
class Day:
    day: object
    kwh: float = 0.0
    cost: float | None = None
    curtailed_hours: float = 0.0
    not_used_kwh: float = 0.0
    not_used_cost: float | None = None


def site_rigs(site):
    return list(Rig.objects.filter(placement__site=site).values_list("id", flat=True))


def period(site, start, end, rig_ids=None, tariff=None, now=None):
    """A Day's figures for [start, end) (aware datetimes in the site's zone)."""
    now = now or timezone.now()
    end = min(end, now.astimezone(start.tzinfo))
    rig_ids = site_rigs(site) if rig_ids is None else rig_ids
    out = Day(start.date())
    if end <= start or not rig_ids:
        return out
    if tariff is None:
        tariff = Tariff.objects.filter(site=site).prefetch_related("periods").first()
    cuts = segments(tariff, start, end)
    priced = tariff is not None
    cost = 0.0
    for a, b, price in cuts:
        used = sum(kwh(rig_ids, a, b).values())
        out.kwh += used
        cost += used * (price or 0.0)
    out.cost = cost if priced else None
    rows = Curtailment.objects.filter(rig_id__in=rig_ids, started_at__lt=end).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=start))
    saved_cost = 0.0
    for row in rows:
        a, b = max(row.started_at, start), min(row.ended_at or now, end)
        if b <= a:
            continue
        out.curtailed_hours += (b - a).total_seconds() / 3600
        w = not_used_watts(row)
        for s, e, price in cuts:
            lo, hi = max(a, s), min(b, e)
            if hi > lo:
                k = w * (hi - lo).total_seconds() / 3.6e6
                out.not_used_kwh += k
                saved_cost += k * (price or 0.0)
    out.not_used_cost = saved_cost if priced else None
    return out


def days(site, count=7, now=None):
    """The site's last ``count`` days (today first) as Day rows."""
    now = now or timezone.now()
    tz = site_zone(site)
    today = now.astimezone(tz).date()
    rig_ids = site_rigs(site)
    tariff = Tariff.objects.filter(site=site).prefetch_related("periods").first()
    out = []
    for back in range(count):
        d = today - timedelta(days=back)
        start = datetime.combine(d, time(0), tzinfo=tz)
        out.append(period(site, start, start + timedelta(days=1), rig_ids, tariff, now))
    return out


def today(site, now=None):
    return days(site, 1, now)[0]
