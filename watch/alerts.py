"""Alert rules: conditions as plain functions over a rig's plain data, and the state machine that
keeps alerts from flapping (a condition must hold ``rounds`` rounds to fire, and be gone as many to
resolve). ``evaluate`` runs after each poll round in the worker thread of ``rounds``.

Rigs in maintenance (farm.scope: the rig's own window, its rack's or its site's) are left out of the
round: no alert starts for them, a pending one is dropped, and a firing one is held as it is (not
resolved: the problem was not seen to go; no notification) until the window ends, when the rounds
take it up again and it resolves, or keeps firing without notifying twice."""

import statistics
import time
from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, Max, OuterRef
from django.db.models.functions import Mod
from django.utils import timezone

from farm.scope import in_maintenance, places_of, rigs_in_maintenance
from rigs import drivers
from rigs.models import Rig
from rigs.readings.freshness import stale_after

from .models import Alert, AlertRule, Destination, Notification, Point, Silence

# the defaults when the admin has no row for a rule: (threshold, rounds)
DEFAULTS = {"unreachable": (5, 3), "hashrate": (70, 5), "device": (None, 3), "temperature": (None, 3),
            "pool": (None, 3), "rejects": (5, 5), "hw": (2, 5), "fleet": (1, 3)}


def rules_for(rows, rig_id):
    """{rule: (enabled, threshold, rounds)} for one rig: its overrides, else the defaults, else DEFAULTS.
    ``rows``: AlertRule values (rule, rig_id, enabled, threshold, rounds)."""
    out = {}
    for rule, (threshold, rounds) in DEFAULTS.items():
        if rule == "temperature":
            threshold = settings.TEMP_ERROR
        out[rule] = (True, threshold, rounds)
    for rig in (None, rig_id):
        for r in rows:
            if r[1] == rig:
                out[r[0]] = (r[2], r[3] if r[3] is not None else out[r[0]][1], r[4])
    return out


def conditions(rig, rules):
    """What is wrong with one rig now: [(rule, key, text, level)], level "warn" or "err" as the rig's
    health has it (a Sick device warns, a Dead one is a problem). ``rig`` is plain data:
    {"name", "kind", "error", "age" (s since it last answered, or since it was added), "stale_after", "figures",
    "reasons", "median_hs" (24 h), "units", "units_max" (1 h)}. Rejects and hardware errors are the figures'
    rates (rigs/readings/figures.py: by difficulty, against the work done), as health reads them."""
    out = []

    def on(rule):
        return rules[rule][0]

    def limit(rule):
        return rules[rule][1]

    down = rig["error"] or (rig["age"] is not None and rig["age"] > rig["stale_after"])
    if down:
        if on("unreachable") and (rig["age"] is None or rig["age"] >= (limit("unreachable") or 0) * 60):
            why = rig["error"] or "no fresh data"
            out.append(("unreachable", "", f"unreachable: {why}"[:300], "err"))
        return out  # the other rules need fresh data
    figs = rig["figures"] or {}
    now_hs, median = figs.get("hashrate_now_hs"), rig.get("median_hs")
    if (on("hashrate") and now_hs is not None and median and not figs.get("curtailed")  # slower by command
            and now_hs < median * (limit("hashrate") or 0) / 100):
        out.append(("hashrate", "", f"hashrate {100 * now_hs / median:.0f}% of its 24-hour median", "warn"))
    for r in rig["reasons"] or []:
        key, level = str(r.get("key", "")), "warn" if r.get("level") == "warn" else "err"
        if on("device") and key.startswith("dev:"):
            out.append(("device", key[4:100], str(r.get("text", ""))[:300], level))
        if on("pool") and (key == "nopool" or key.startswith("failover:")):
            out.append(("pool", key[:100], str(r.get("text", ""))[:300], level))
    temp = figs.get("max_temp")
    if on("temperature") and temp is not None and limit("temperature") is not None and temp >= limit("temperature"):
        out.append(("temperature", "", f"temperature {temp:.0f}°C (limit {limit('temperature'):.0f}°C)", "err"))
    chip = figs.get("max_chip_temp")  # the hottest chip, against its own limit (health's chip_err)
    if on("temperature") and chip is not None and chip >= settings.TEMP_CHIP_ERROR:
        out.append(("temperature", "chip", f"chips at {chip:.0f}°C (limit {settings.TEMP_CHIP_ERROR:.0f}°C)", "err"))
    rej = figs.get("reject_pct")  # by difficulty, as health reads it (rigs/readings/figures.py), after 20 shares
    if on("rejects") and rej is not None and (figs.get("accepted") or 0) + (figs.get("rejected") or 0) >= 20 \
            and rej > (limit("rejects") or 0):
        out.append(("rejects", "", f"{rej:.1f}% rejected (by difficulty)", "warn"))
    hw = figs.get("hw_pct")  # against the work done (rigs/readings/figures.py), never against shares
    if on("hw") and hw is not None and hw > (limit("hw") or 0):
        out.append(("hw", "", f"{hw:.1f}% hardware errors", "warn"))
    what = drivers.fleet_unit(rig["kind"])  # "workers", "clients": the kind is a fleet
    if on("fleet") and what and rig.get("units") is not None and rig.get("units_max"):
        lost = rig["units_max"] - rig["units"]
        if lost >= max(1, limit("fleet") or 1):
            text = f"{lost} {what} gone ({rig['units']} of {rig['units_max']} in the last hour)"
            out.append(("fleet", "", text, "warn"))
    return out


def advance(state, count, holds, rounds):
    """One round of one alert: (state, count, event). state None (no alert), pending, firing;
    event None, "firing", "resolved" or "drop" (a pending alert that did not last)."""
    rounds = max(1, rounds)
    if state is None:
        if not holds:
            return None, 0, None
        return ("firing", 0, "firing") if rounds <= 1 else ("pending", 1, None)
    if state == "pending":
        if not holds:
            return None, 0, "drop"
        return ("firing", 0, "firing") if count + 1 >= rounds else ("pending", count + 1, None)
    if holds:
        return "firing", 0, None
    return ("resolved", 0, "resolved") if count + 1 >= rounds else ("firing", count + 1, None)


# ---------------------------------------------------------------- the round


_medians = {"mark": None, "values": {}}


def daily_medians(t):
    """{rig: median hashrate over 24 h} from the 15-minute points (four at least), computed again
    only when a new quarter hour has been rolled up."""
    from .history import mark

    done = mark("rollup15")
    if _medians["mark"] != done or done is None:
        values = {}
        for rig_id, hs in Point.objects.filter(res=15, t__gte=t - 86400, hs__isnull=False).values_list("rig_id", "hs"):
            values.setdefault(rig_id, []).append(hs)
        _medians.update(mark=done, values={k: statistics.median(v) for k, v in values.items() if len(v) >= 4})
    return _medians["values"]


def of_shard(rows, shard, field="id"):
    """The rows of one poller's rigs (``rig id % N == K``); all of them without shards."""
    if not shard:
        return rows
    k, n = shard
    return rows.annotate(shard_of=Mod(field, n)).filter(shard_of=k)


def rig_data(now, shard=None):
    """Every enabled rig (of the shard) as ``conditions`` wants it, in a handful of queries."""
    t = int(now)
    minute = t // 60 * 60
    medians = daily_medians(t)
    fleet_ids = list(Rig.objects.filter(kind__in=drivers.fleet_kinds()).values_list("id", flat=True))
    units_max = dict(Point.objects.filter(rig_id__in=fleet_ids, res=1, t__gte=t - 3600, t__lt=minute)
                     .values("rig_id").annotate(m=Max("units")).values_list("rig_id", "m")) if fleet_ids else {}
    units_now = dict(Point.objects.filter(rig_id__in=fleet_ids, res=1, t=minute).values_list("rig_id", "units")) \
        if fleet_ids else {}
    wall = timezone.now()
    rows = of_shard(Rig.objects.filter(enabled=True, snapshot__polled_at__isnull=False), shard).values_list(
        "id", "name", "kind", "snapshot__error", "snapshot__last_ok_at", "snapshot__brief", "created")
    for rig_id, name, kind, error, last_ok, brief, created in rows:
        brief = brief or {}
        yield rig_id, {
            "name": name, "kind": kind, "error": error or "",
            # a rig that never answered counts its time from when it was added
            "age": (wall - (last_ok or created)).total_seconds(), "stale_after": stale_after(),
            "figures": brief.get("figures") or {}, "reasons": (brief.get("health") or {}).get("reasons") or [],
            "median_hs": medians.get(rig_id),
            "units": units_now.get(rig_id), "units_max": units_max.get(rig_id),
        }


def evaluate(now=None, shard=None):
    """Advance every alert by one round; queue the notifications of those that fire or resolve.
    With a ``shard`` (K, N), only the alerts of that poller's rigs: each poller does its own."""
    now = now or time.time()
    wall = timezone.now()
    rule_rows = list(AlertRule.objects.values_list("rule", "rig_id", "enabled", "threshold", "rounds"))
    open_alerts = {}
    for a in of_shard(Alert.objects.filter(state__in=("pending", "firing")), shard, "rig_id"):
        open_alerts.setdefault(a.rig_id, {})[(a.rule, a.key)] = a
    events, create, update, drop = [], [], [], []
    held = in_maintenance(wall)
    for rig_id, data in rig_data(now, shard):
        if rig_id in held:  # in maintenance: firing alerts held as they are, pending ones dropped
            drop.extend(a.pk for a in open_alerts.pop(rig_id, {}).values() if a.state == "pending")
            continue
        rules = rules_for(rule_rows, rig_id)
        found = {(rule, key): (text, level) for rule, key, text, level in conditions(data, rules)}
        mine = open_alerts.pop(rig_id, {})
        for k in set(found) | set(mine):
            alert = mine.get(k)
            state, count, event = advance(alert.state if alert else None, alert.count if alert else 0,
                                          k in found, rules[k[0]][2])
            if alert is None:
                if state is None:
                    continue
                alert = Alert(rig_id=rig_id, rule=k[0], key=k[1], text=found[k][0], level=found[k][1], state=state,
                              count=count, started=wall)
                create.append(alert)
            elif event == "drop":
                drop.append(alert.pk)
                continue
            else:
                text, level = found.get(k, (alert.text, alert.level))
                if (alert.state, alert.count, alert.text, alert.level) == (state, count, text, level) and event is None:
                    continue  # nothing changed: no write
                alert.state, alert.count, alert.text, alert.level = state, count, text, level
                if event == "firing":
                    alert.started = wall
                if event == "resolved":
                    alert.ended = wall
                update.append(alert)
            if event in ("firing", "resolved"):
                events.append((event, alert))
    # rigs deleted or disabled: their firing alerts resolve, their pending ones go
    for alert in (a for rest in open_alerts.values() for a in rest.values()):
        if alert.state == "firing":
            alert.state, alert.ended = "resolved", wall
            update.append(alert)
        else:
            drop.append(alert.pk)
    Alert.objects.bulk_create(create, batch_size=500)
    Alert.objects.bulk_update(update, ["state", "count", "text", "level", "started", "ended"], batch_size=500)
    for i in range(0, len(drop), 500):
        Alert.objects.filter(pk__in=drop[i:i + 500]).delete()
    queue(events, wall)
    return events


def silenced(alert, wall, silences=None):
    """Whether a silence covers the alert (``silences``: the active ones, (rig_id, rule) pairs)."""
    if silences is None:
        silences = list(Silence.objects.filter(until__gt=wall).values_list("rig_id", "rule"))
    return any(rig in (None, alert.rig_id) and rule in ("", alert.rule) for rig, rule in silences)


def where(place):
    """"site Oslo, rack A1, row 2, column 3" from farm.scope.places_of, or "" for a rig in no site."""
    parts = [f"site {place['site']}"] if place["site"] else []
    if place["rack"]:
        parts.append(f"rack {place['rack']}")
    if place["position"]:
        row, _, column = place["position"].partition(",")
        parts.append(f"row {row}, column {column}")
    return ", ".join(parts)


def message(event, alert, place=None):
    title = f"[{settings.PANEL_TITLE}] {alert.rig.name}: {alert.text}" if event == "firing" else \
        f"[{settings.PANEL_TITLE}] resolved: {alert.rig.name}: {alert.text}"
    located = where(place) if place else ""
    body = (f"{alert.rig.name} ({alert.get_rule_display()}): {alert.text}\n"
            + (f"at {located}\n" if located else "")
            + f"{'firing since' if event == 'firing' else 'resolved at'} "
            f"{(alert.started if event == 'firing' else alert.ended):%Y-%m-%d %H:%M:%S %Z}")
    return title[:200], body


def queue(events, wall):
    """A Notification per destination that wants each event (not for silenced rigs or rules)."""
    if not events:
        return
    destinations = list(Destination.objects.filter(enabled=True))
    silences = list(Silence.objects.filter(until__gt=wall).values_list("rig_id", "rule"))
    places = places_of({alert.rig_id for _, alert in events})
    rows = []
    for event, alert in events:
        if silenced(alert, wall, silences):
            continue
        title, body = message(event, alert, places.get(alert.rig_id))
        for d in destinations:
            if d.wants(alert.rule) and (event == "firing" or d.resolved):
                rows.append(Notification(destination=d, alert=alert, title=title, body=body, next_try=wall))
    Notification.objects.bulk_create(rows)


def firing_count():
    """Firing alerts nobody acknowledged, of rigs not in maintenance: the header's count, on every page.
    Most of its cost is Django putting the query together (~3 ms), so it is put together only when some
    alert fires (one simple query first), and then looks up the maintenance of those alerts' rigs only."""
    firing = Alert.objects.filter(state="firing", acked_at=None)
    if not firing.exists():
        return 0
    return firing.exclude(Exists(rigs_in_maintenance().filter(id=OuterRef("rig_id")))).count()


def silence_until(minutes):
    return timezone.now() + timedelta(minutes=minutes)
