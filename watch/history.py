"""History: one point per rig per minute, rolled up to 15 minutes and 1 hour, pruned in batches.

Plain functions over the poller's results and the snapshots' briefs; ``rounds`` runs them in its
worker thread, never in the poller's. Retention (settings): HISTORY_1M_HOURS (48),
HISTORY_15M_DAYS (60), HISTORY_1H_DAYS (730).
"""

import math
import time
from datetime import timedelta

from django.conf import settings
from django.db.models import Avg, F, Max, Min, Sum
from django.utils import timezone

from rigs import drivers
from rigs.models import Snapshot
from rigs.polling.upsert import upsert
from rigs.readings.figures import first_dict, number
from rigs.readings.freshness import stale_after
from rigs.readings.records import active_pool

from .models import STATES, FarmPoint, Mark, Point

ROLLUPS = ((1, 15), (15, 60))  # (from, to) minutes
PRUNE_BATCH = 5000


def retention():
    """Seconds each resolution is kept."""
    return {1: settings.HISTORY_1M_HOURS * 3600, 15: settings.HISTORY_15M_DAYS * 86400,
            60: settings.HISTORY_1H_DAYS * 86400}


def fan_power(sections):
    """The fastest fan (RPM or %) and the power in W, where the rig reports them."""
    summary = first_dict(sections.get("SUMMARY")) or {}
    power = number(summary.get("Power")) if "Power" in summary else None
    fans = [number(f.get(k)) for f in sections.get("FANS") or [] if isinstance(f, dict) for k in ("RPM", "Speed")]
    fans += [number(d.get(k)) for d in sections.get("DEVS") or [] if isinstance(d, dict)
             for k in ("Fan Speed", "Fan Percent")]
    fans = [f for f in fans if f is not None and f >= 0]
    return (max(fans) if fans else None), power


def devices(sections):
    from rigs.readings.figures import AVERAGE, rate_hs
    from rigs.readings.health import device_label

    out = []
    for d in sections.get("DEVS") or []:
        if not isinstance(d, dict):
            continue
        out.append([device_label(d), rate_hs(d, AVERAGE), number(d.get("Temperature")), str(d.get("Status", ""))[:12]])
    return out or None


def units(kind, sections):
    """Devices alive, or the members of a fleet (the section its driver names: a ckpool's workers, an
    XMRigCC server's clients) alive: what a fleet-drop alert counts."""
    fleet = drivers.fleet_section(kind)
    records = sections.get(fleet) if fleet and sections.get(fleet) is not None else sections.get("DEVS")
    if records is None:
        return None
    return len([d for d in records if isinstance(d, dict) and d.get("Status") not in ("Dead", "Offline", "NoStart")])


def pool_number(pool):
    n = number(pool.get("POOL")) if pool else None
    return int(n) if n is not None and -1 < n < 1000 else None


INT32 = 2**31 - 1


def whole(value):
    """A count the integer columns hold; a rig's fractional or out-of-range one is not kept (one
    such rig made the whole minute's write fail, every rig's points with it)."""
    if isinstance(value, (int, float)) and -INT32 <= value <= INT32 and value == int(value):
        return int(value)
    return None


def real(value):
    """A number the float columns hold: an integer beyond a float's range, inf and NaN are not kept
    (a chart's JSON would carry them, and browsers refuse it)."""
    try:
        value = None if value is None else float(value)
    except (OverflowError, TypeError, ValueError):
        return None
    return value if value is not None and math.isfinite(value) else None


def point_of(rig_id, t, snap, result, previous):
    """A 1-minute point from a rig's snapshot (brief, error) and the poll's sections.
    ``previous`` holds the rig's last counters, for the deltas; it is updated."""
    brief = snap.get("brief") or {}
    figs = brief.get("figures") or {}
    if snap.get("error") or result is None or not result.ok:
        return Point(rig_id=rig_id, res=1, t=t, state=STATES["down"])
    counters = tuple(figs.get(k) for k in ("accepted", "rejected", "stale", "hw_errors"))
    last = previous.get(rig_id)
    previous[rig_id] = counters
    deltas = [None] * 4
    if last is not None:
        # a restarted miner counts from zero again: the new count is the delta
        deltas = [None if c is None else (c - p if p is not None and c >= p else c) for c, p in zip(counters, last)]
    fan, reported = fan_power(result.sections)
    power = figs.get("power_w", reported)  # reported, else estimated (figures); an older brief: SUMMARY's
    pool = active_pool(result.sections.get("POOLS") or [])
    hs, temp = real(figs.get("hashrate_hs")), real(figs.get("max_temp"))
    return Point(rig_id=rig_id, res=1, t=t, hs=hs, hs_now=real(figs.get("hashrate_now_hs")), hs_min=hs, hs_max=hs,
                 acc=whole(deltas[0]), rej=whole(deltas[1]), stale=whole(deltas[2]), hw=whole(deltas[3]),
                 temp=temp, temp_max=temp, chip_temp=real(figs.get("max_chip_temp")), fan=real(fan), power=real(power),
                 pool=pool_number(pool),
                 state=STATES.get((brief.get("health") or {}).get("state"), 0),
                 units=units(result.kind, result.sections), devs=devices(result.sections))


def record(results, now, recorded, previous):
    """Write this minute's points of the rigs in ``results`` not yet recorded this minute.
    ``recorded`` {rig: minute} and ``previous`` {rig: counters} are the caller's memory."""
    t = int(now // 60 * 60)
    todo = {r.rig_id: r for r in results if recorded.get(r.rig_id) != t}
    if not todo:
        return 0
    # the round's own briefs, as the poller stored them; the database's for the rigs that failed
    snaps = {i: {"brief": r.brief, "error": ""} for i, r in todo.items() if r.ok and getattr(r, "brief", None)}
    failed = [i for i in todo if i not in snaps]
    for start in range(0, len(failed), 5000):
        snaps.update({i: {"brief": b, "error": e} for i, b, e in Snapshot.objects.filter(
            rig_id__in=failed[start:start + 5000]).values_list("rig_id", "brief", "error")})
    points = [point_of(i, t, snaps.get(i, {"error": "no snapshot"}), r, previous) for i, r in todo.items()]
    columns = [f.attname for f in Point._meta.concrete_fields if not f.primary_key]
    upsert(Point, [{c: getattr(p, c) for c in columns} for p in points], [], unique=["rig", "res", "t"])
    for i in todo:
        recorded[i] = t
    return len(points)


def farm_now():
    """{(site, algorithm): [H/s, rigs, healthy]} over every enabled rig's latest snapshot, whichever
    poller (shard) stored it: never one round's rigs alone (a round after a command or of a new rig, or
    one shard's, is not the farm). A rig whose last poll failed or whose data is stale counts, down and
    at 0 H/s; a pool (ckpool) is not a miner; a rig not polled yet is not counted. ``site`` is the name
    of the rig's site (farm app), "" for a rig in none."""
    fresh = timezone.now() - timedelta(seconds=stale_after())
    rows = Snapshot.objects.filter(rig__enabled=True, polled_at__isnull=False).values_list(
        "error", "last_ok_at", "brief__figures__hashrate_hs", "brief__figures__algorithm", "brief__figures__role",
        "brief__health__state", "rig__placement__site__name")
    farm = {}
    for error, last_ok, hs, algorithm, role, state, site in rows:
        if role == "pool":
            continue
        up = not error and last_ok is not None and last_ok >= fresh
        row = farm.setdefault((site or "", str(algorithm or "SHA-256d")[:40]), [0.0, 0, 0])
        row[0] += (real(hs) or 0.0) if up else 0.0
        row[1] += 1
        row[2] += up and STATES.get(state, 0) == 0
    return farm


def record_farm(now):
    """Write the farm's point of this minute (once: the caller's first round of each minute)."""
    t = int(now // 60 * 60)
    farm = farm_now()
    FarmPoint.objects.bulk_create(
        [FarmPoint(res=1, t=t, shard=0, site=site, algorithm=a, hs=v[0], rigs=v[1], healthy=v[2])
         for (site, a), v in farm.items()],
        update_conflicts=True, unique_fields=["res", "t", "shard", "site", "algorithm"],
        update_fields=["hs", "rigs", "healthy"])
    return len(farm)


def mark(name, default=None):
    return Mark.objects.filter(name=name).values_list("value", flat=True).first() or default


def set_mark(name, value):
    Mark.objects.update_or_create(name=name, defaults={"value": value})


def rollup(now, max_buckets=96):
    """Aggregate the finished periods not yet rolled up (at most ``max_buckets`` per call)."""
    made = 0
    for src, dst in ROLLUPS:
        size = dst * 60
        upto = int(now // size * size)  # the current, unfinished period starts here
        done = mark(f"rollup{dst}")
        if done is None:
            first = Point.objects.filter(res=src).aggregate(t=Min("t"))["t"]
            done = first // size * size if first is not None else upto
        done = int(done)
        end = min(upto, done + max_buckets * size)
        if end <= done:
            continue
        bucket = F("t") / size * size
        rows = (Point.objects.filter(res=src, t__gte=done, t__lt=end).annotate(b=bucket).values("rig_id", "b")
                .annotate(hs_=Avg("hs"), now_=Avg("hs_now"), min_=Min("hs_min"), max_=Max("hs_max"), acc_=Sum("acc"),
                          rej_=Sum("rej"), stale_=Sum("stale"), hw_=Sum("hw"), temp_=Avg("temp"),
                          tmax_=Max("temp_max"), chip_=Max("chip_temp"), fan_=Avg("fan"), power_=Avg("power"),
                          pool_=Max("pool"),
                          state_=Max("state"), units_=Min("units")))
        upsert(Point, [
            {"rig_id": r["rig_id"], "res": dst, "t": r["b"], "hs": r["hs_"], "hs_now": r["now_"], "hs_min": r["min_"],
             "hs_max": r["max_"], "acc": whole(r["acc_"]), "rej": whole(r["rej_"]), "stale": whole(r["stale_"]),
             "hw": whole(r["hw_"]),
             "temp": r["temp_"], "temp_max": r["tmax_"], "chip_temp": r["chip_"], "fan": r["fan_"],
             "power": r["power_"], "pool": r["pool_"],
             "state": r["state_"], "units": r["units_"]} for r in rows], [], unique=["rig", "res", "t"])
        farm = (FarmPoint.objects.filter(res=src, t__gte=done, t__lt=end).annotate(b=bucket)
                .values("shard", "site", "algorithm", "b").annotate(hs_=Avg("hs"), rigs_=Max("rigs"),
                                                                    ok_=Min("healthy")))
        FarmPoint.objects.bulk_create([
            FarmPoint(res=dst, t=r["b"], shard=r["shard"], site=r["site"], algorithm=r["algorithm"], hs=r["hs_"],
                      rigs=r["rigs_"], healthy=r["ok_"]) for r in farm], ignore_conflicts=True)
        set_mark(f"rollup{dst}", end)
        made += (end - done) // size
    return made


def prune(now, max_batches=10):
    """Delete points past their resolution's retention, PRUNE_BATCH at a time; returns how many."""
    deleted = 0
    for res, keep in retention().items():
        cut = now - keep
        for _ in range(max_batches):
            ids = list(Point.objects.filter(res=res, t__lt=cut).values_list("id", flat=True)[:PRUNE_BATCH])
            if not ids:
                break
            deleted += Point.objects.filter(id__in=ids).delete()[0]
        FarmPoint.objects.filter(res=res, t__lt=cut).delete()
    return deleted


# ---------------------------------------------------------------- reading

RANGES = {"1h": 3600, "24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400, "1y": 365 * 86400}


def resolution(span):
    """The coarsest kept resolution that still has points over ``span`` seconds."""
    keep = retention()
    if span <= min(keep[1], 2 * 86400):
        return 1
    return 15 if span <= keep[15] else 60


def series(rig_id, span, width, now=None, res=None):
    """A rig's points over the last ``span`` seconds, at most ``width`` of them (one per pixel at most):
    {"t": [...], "hs": [...], "hs_now": [...], "temp": [...], "chip_temp": [...], "power": [W...], "rej_pct": [...],
     "hw_pct": [...],
     "pool": [...], "state": [...]}. Values are averaged per bucket, counts summed. A new rig (or
    panel) without roll-ups yet gets its minute points."""
    now = now or time.time()
    res = res or resolution(span)
    if res > 1 and not Point.objects.filter(rig_id=rig_id, res=res, t__gte=int(now - span)).exists():
        res = 1
    step = max(res * 60, -(-span // max(1, width)))
    step = -(-step // (res * 60)) * res * 60  # whole points per bucket
    start = int((now - span) // step * step)
    rows = (Point.objects.filter(rig_id=rig_id, res=res, t__gte=start).annotate(b=F("t") / step * step)
            .values("b").annotate(hs_=Avg("hs"), now_=Avg("hs_now"), temp_=Max("temp_max"), chip_=Max("chip_temp"),
                                  power_=Avg("power"), acc_=Sum("acc"),
                                  rej_=Sum("rej"), hw_=Sum("hw"), pool_=Max("pool"), state_=Max("state"))
            .order_by("b"))
    out = {k: [] for k in ("t", "hs", "hs_now", "temp", "chip_temp", "power", "rej_pct", "hw_pct", "pool", "state")}
    for r in rows:
        shares = (r["acc_"] or 0) + (r["rej_"] or 0)
        out["t"].append(r["b"])
        out["hs"].append(r["hs_"])
        out["hs_now"].append(r["now_"])
        out["temp"].append(r["temp_"])
        out["chip_temp"].append(r["chip_"])
        out["power"].append(round(r["power_"], 1) if r["power_"] is not None else None)
        out["rej_pct"].append(round(100 * r["rej_"] / shares, 3) if shares and r["rej_"] is not None else None)
        total = (r["acc_"] or 0) + (r["hw_"] or 0)
        out["hw_pct"].append(round(100 * r["hw_"] / total, 3) if total and r["hw_"] is not None else None)
        out["pool"].append(r["pool_"])
        out["state"].append(r["state_"])
    out["step"] = step
    return out


def device_series(rig_id, span, width, now=None):
    """Per device: {label: {"t": [...], "hs": [...], "temp": [...]}} from the 1-minute points (48 h at most)."""
    now = now or time.time()
    span = min(span, retention()[1])
    rows = Point.objects.filter(rig_id=rig_id, res=1, t__gte=int(now - span)).order_by("t").values_list("t", "devs")
    rows = list(rows)
    every = max(1, -(-len(rows) // max(1, width)))
    out = {}
    for t, devs in rows[::every]:
        for label, hs, temp, _status in devs or []:
            d = out.setdefault(str(label), {"t": [], "hs": [], "temp": []})
            d["t"].append(t)
            d["hs"].append(hs)
            d["temp"].append(temp)
    return out


def farm_series(span, width, now=None, site=None):
    """The farm's hashrate per algorithm and its rigs and healthy rigs over time, summed over pollers
    and sites; with ``site`` (a site's name), that site's alone."""
    now = now or time.time()
    res = resolution(span)
    points = FarmPoint.objects.all() if site is None else FarmPoint.objects.filter(site=site)
    if res > 1 and not points.filter(res=res, t__gte=int(now - span)).exists():
        res = 1  # no roll-ups yet: the minute points
    step = max(res * 60, -(-span // max(1, width)))
    step = -(-step // (res * 60)) * res * 60
    start = int((now - span) // step * step)
    per_t = (points.filter(res=res, t__gte=start).values("t", "algorithm")
             .annotate(hs_=Sum("hs"), rigs_=Sum("rigs"), ok_=Sum("healthy")).order_by("t"))
    buckets = {}
    for r in per_t:
        b = buckets.setdefault(r["t"] // step * step, {"n": set(), "hs": {}, "rigs": {}, "ok": {}})
        b["n"].add(r["t"])
        b["hs"][r["algorithm"]] = b["hs"].get(r["algorithm"], 0.0) + (r["hs_"] or 0.0)
        b["rigs"][r["t"]] = b["rigs"].get(r["t"], 0) + r["rigs_"]
        b["ok"][r["t"]] = b["ok"].get(r["t"], 0) + r["ok_"]
    algorithms = sorted({a for b in buckets.values() for a in b["hs"]})
    out = {"t": sorted(buckets), "hs": {a: [] for a in algorithms}, "rigs": [], "healthy": [], "step": step}
    for t in out["t"]:
        b = buckets[t]
        n = len(b["n"])
        for a in algorithms:
            out["hs"][a].append(b["hs"].get(a, 0.0) / n)
        out["rigs"].append(max(b["rigs"].values()))
        out["healthy"].append(min(b["ok"].values()))
    return out


def sparklines(rig_ids, now=None, span=6 * 3600, width=36):
    """{rig: [H/s, ...]} over the last hours at 10-minute steps, for the Rigs table; one query."""
    now = now or time.time()
    step = span // width
    rows = (Point.objects.filter(rig_id__in=list(rig_ids), res=1, t__gte=int(now - span)).annotate(b=F("t") / step)
            .values("rig_id", "b").annotate(hs_=Avg("hs")).order_by("rig_id", "b"))
    out = {}
    for r in rows:
        out.setdefault(r["rig_id"], []).append(r["hs_"])
    return out
