"""/metrics in the Prometheus text format, built by prometheus-client from the snapshots.

Guarded (settings): a request passes with ``Authorization: Bearer <METRICS_TOKEN>`` (when a token is
set) or from an address in METRICS_ALLOW (loopback by default). Everything is read from the
database, so it works whether the poller runs inside the web process or beside it."""

import hmac
import ipaddress
import time

from django.conf import settings
from django.db.models import Count
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import CollectorRegistry

from farm.scope import in_maintenance
from rigs.models import Rig, Snapshot
from rigs.readings.figures import AVERAGE, number, rate_hs
from rigs.readings.freshness import reachability
from rigs.readings.health import device_label
from rigs.readings.records import active_pool

from .models import Alert, Mark, Point

# More collectors from the apps above (automation's per-site energy), appended in their AppConfig.ready()
COLLECTORS = []
RIG = ["rig", "kind", "algorithm", "pool", "site"]  # site: the rig's site's name (farm app), "" for none


def allowed(request):
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip().encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    for net in settings.METRICS_ALLOW:
        try:
            if address in ipaddress.ip_network(net, strict=False):
                return True
        except ValueError:
            continue
    return False


class Farm:
    """A prometheus-client collector over the rigs' latest snapshots."""

    def collect(self):
        now = timezone.now()
        g = {name: GaugeMetricFamily(f"minerpanel_{name}", text, labels=RIG) for name, text in (
            ("rig_up", "1 if the rig's last poll succeeded and its data is fresh"),
            ("rig_hashrate_hs", "Average hashrate, H/s"),
            ("rig_hashrate_now_hs", "Current hashrate, H/s"),
            ("rig_temperature_celsius", "Hottest board (or sensor), °C"),
            ("rig_chip_temperature_celsius", "Hottest chip, °C (where the firmware gives chips)"),
            ("rig_fan", "Fastest fan (RPM or %, as the rig reports)"),
            ("rig_poll_latency_seconds", "Time the last poll took"),
            ("rig_data_age_seconds", "Seconds since the rig last answered"))}
        c = {name: CounterMetricFamily(f"minerpanel_rig_{name}", text, labels=RIG) for name, text in (
            ("accepted", "Accepted shares since the miner started"), ("rejected", "Rejected shares"),
            ("stale", "Stale shares"), ("hardware_errors", "Hardware errors"))}
        power = GaugeMetricFamily("minerpanel_rig_power_watts", "Power, W: what the firmware reports, else estimated "
                                  "from the model's nominal power (estimated=\"true\")", labels=RIG + ["estimated"])
        efficiency = GaugeMetricFamily("minerpanel_rig_efficiency_jth", "Efficiency, J/TH (SHA-256d rigs; estimated "
                                       "from the nominal table where the power is)", labels=RIG + ["estimated"])
        curtailed = GaugeMetricFamily("minerpanel_rig_curtailed", "1 while the rig reads back curtailed (asleep, "
                                      "paused, low power), 0 when not; absent where the firmware does not say",
                                      labels=RIG)
        health = GaugeMetricFamily("minerpanel_rig_health", "1 for the rig's health state", labels=RIG + ["state"])
        maintenance = GaugeMetricFamily("minerpanel_rig_maintenance",
                                        "1 while the rig is in maintenance (its own, its rack's or its site's)",
                                        labels=RIG)
        held = in_maintenance(now)
        dev_hs = GaugeMetricFamily("minerpanel_device_hashrate_hs", "Device hashrate, H/s", labels=["rig", "device"])
        dev_t = GaugeMetricFamily("minerpanel_device_temperature_celsius", "Device temperature, °C",
                                  labels=["rig", "device"])
        dev_chip = GaugeMetricFamily("minerpanel_device_chip_temperature_celsius", "Hottest chip of the device, °C",
                                     labels=["rig", "device"])
        dev_up = GaugeMetricFamily("minerpanel_device_status", "1 for the device's status",
                                   labels=["rig", "device", "status"])
        recent = {r: (f, p) for r, f, p in Point.objects.filter(res=1, t__gte=int(time.time()) - 180).order_by("t")
                  .values_list("rig_id", "fan", "power")}
        rows = Rig.objects.filter(enabled=True).values_list(
            "id", "name", "kind", "snapshot__error", "snapshot__last_ok_at", "snapshot__latency_ms",
            "snapshot__brief__figures", "snapshot__brief__health", "snapshot__sections__POOLS",
            "snapshot__sections__DEVS", "snapshot__polled_at", "placement__site__name")
        for rig_id, name, kind, error, last_ok, latency, figs, health_now, pools, devs, polled, site in rows:
            figs = figs if isinstance(figs, dict) else {}
            pool = active_pool(pools if isinstance(pools, list) else [])
            labels = [name, kind, figs.get("algorithm") or "", str(pool.get("URL", ""))[:200] if pool else "",
                      site or ""]
            age = (now - last_ok).total_seconds() if last_ok else None
            up = last_ok is not None and reachability(polled, last_ok, error, now) == "ok"
            g["rig_up"].add_metric(labels, 1 if up else 0)
            for metric, value in (("rig_hashrate_hs", figs.get("hashrate_hs")),
                                  ("rig_hashrate_now_hs", figs.get("hashrate_now_hs")),
                                  ("rig_temperature_celsius", figs.get("max_temp")),
                                  ("rig_chip_temperature_celsius", figs.get("max_chip_temp")),
                                  ("rig_fan", recent.get(rig_id, (None, None))[0]),
                                  ("rig_poll_latency_seconds", latency / 1000 if latency is not None else None),
                                  ("rig_data_age_seconds", age)):
                if value is not None:
                    g[metric].add_metric(labels, value)
            estimated = ["true" if figs.get("power_estimated") else "false"]
            watts = figs["power_w"] if "power_w" in figs else recent.get(rig_id, (None, None))[1]  # older briefs
            if watts is not None:
                power.add_metric(labels + estimated, watts)
            if figs.get("efficiency_jth") is not None:
                efficiency.add_metric(labels + estimated, figs["efficiency_jth"])
            if figs.get("curtailed") is not None:
                curtailed.add_metric(labels, 1 if figs["curtailed"] else 0)
            for metric, key in (("accepted", "accepted"), ("rejected", "rejected"), ("stale", "stale"),
                                ("hardware_errors", "hw_errors")):
                if figs.get(key) is not None:
                    c[metric].add_metric(labels, figs[key])
            state = (health_now if isinstance(health_now, dict) else {}).get("state") if up else "err"
            for s in ("ok", "warn", "err"):
                health.add_metric(labels + [s], 1 if state == s else 0)
            maintenance.add_metric(labels, 1 if rig_id in held else 0)
            for d in devs if isinstance(devs, list) else []:
                if not isinstance(d, dict):
                    continue
                label = device_label(d, kind)
                hs = rate_hs(d, AVERAGE)
                if hs is not None:
                    dev_hs.add_metric([name, label], hs)
                temp = number(d.get("Temperature"))
                if temp is not None:
                    dev_t.add_metric([name, label], temp)
                chip = number(d.get("Chip Temp")) if "Chip Temp" in d else None
                if chip is not None and chip > 0:  # 0 is no sensor
                    dev_chip.add_metric([name, label], chip)
                dev_up.add_metric([name, label, str(d.get("Status", ""))[:20]], 1)
        yield from g.values()
        yield from c.values()
        yield from (power, efficiency, curtailed, health, maintenance, dev_hs, dev_t, dev_chip, dev_up)
        marks = dict(Mark.objects.filter(name__startswith="poller_").values_list("name", "value"))
        for name, key, text in (("poller_round_seconds", "poller_round_s", "Duration of the last poll round"),
                                ("poller_rigs_polled", "poller_rigs", "Rigs asked in the last round")):
            family = GaugeMetricFamily(f"minerpanel_{name}", f"{text}, by poller shard ('all' unsharded)",
                                       labels=["shard"])
            for mark, value in sorted(marks.items()):
                base, _, shard = mark.partition("@")
                if base == key:
                    family.add_metric([shard or "all"], value)
            yield family
        errors = GaugeMetricFamily("minerpanel_poller_errors", "Rigs whose last poll failed, by kind of error",
                                   labels=["kind"])
        for kind, n in Snapshot.objects.exclude(error="").values_list("error_kind").annotate(n=Count("rig")):
            errors.add_metric([kind or "other"], n)
        yield errors
        firing = GaugeMetricFamily("minerpanel_alerts_firing", "Firing alerts by rule", labels=["rule"])
        for rule, n in Alert.objects.filter(state="firing").values_list("rule").annotate(n=Count("id")):
            firing.add_metric([rule], n)
        yield firing


@require_GET
def metrics(request):
    if not allowed(request):
        return HttpResponse("metrics: a token or an allowed address is needed\n", status=403,
                            content_type="text/plain")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Farm())
    for collector in COLLECTORS:
        registry.register(collector)
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
