"""Per-site gauges for /metrics (registered in watch.metrics.COLLECTORS by the app): today's energy, its
cost, the energy not used by curtailment, and the rigs curtailed now, each with a ``site`` label.

Today's figures sum the day's minute points of every rig of the site: they are worked out at most once a
TTL per process (a scrape every 15 s does not sum a large site's day four times a minute)."""

import time
from typing import Any

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily

from farm.models import Site
from rigs.models import Curtailment

from . import energy

TTL = 60.0  # seconds today's per-site figures are kept
_days: dict[str, Any] = {"at": -TTL, "values": {}}


def todays(sites):
    """{site pk: energy.Day} for today, worked out again after TTL."""
    if time.monotonic() - _days["at"] >= TTL or set(_days["values"]) != {s.pk for s in sites}:
        _days.update(at=time.monotonic(), values={s.pk: energy.today(s) for s in sites})
    return _days["values"]


def forget():
    _days["at"] = -TTL


class Sites:
    def collect(self):
        families = {name: GaugeMetricFamily(f"minerpanel_site_{name}", text, labels=["site"]) for name, text in (
            ("energy_kwh_today", "Energy used since the site's midnight, kWh (from the history's power)"),
            ("energy_cost_today", "Its cost at the site's tariff (absent without a tariff)"),
            ("curtailed_hours_today", "Rig-hours curtailed since the site's midnight"),
            ("energy_not_used_kwh_today", "Energy not used by curtailment since midnight, kWh (estimated)"),
            ("curtailed_rigs", "Rigs curtailed now"))}
        curtailed = dict(Curtailment.objects.filter(ended_at__isnull=True, rig__placement__isnull=False)
                         .values_list("rig__placement__site__name").annotate(n=Count("id")))
        sites = list(Site.objects.all())
        days = todays(sites)
        for site in sites:
            day = days[site.pk]
            label = [site.name]
            families["energy_kwh_today"].add_metric(label, day.kwh)
            if day.cost is not None:
                families["energy_cost_today"].add_metric(label, day.cost)
            families["curtailed_hours_today"].add_metric(label, day.curtailed_hours)
            families["energy_not_used_kwh_today"].add_metric(label, day.not_used_kwh)
            families["curtailed_rigs"].add_metric(label, curtailed.get(site.name, 0))
        yield from families.values()
