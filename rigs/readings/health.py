"""One health state per rig, with every reason in words.

Plain functions over plain data: the poller calls ``assess`` once per snapshot and
stores the result in the snapshot's brief; ``with_reachability`` adds what only the
time of viewing knows (unreachable, stale), which costs nothing per request.

A reason is {"level": "warn"|"err", "key": "dev:GPU 1:Sick", "text": "GPU 1 Sick",
"since": epoch}; ``since`` is when the poller first saw it, carried over between
snapshots by its key. The state is the worst level: "ok", "warn" or "err".
"""

from collections.abc import Iterable, Mapping
from typing import Any

from rigs import drivers
from rigs.drivers.cgminer.protocol import as_number

from .figures import first_dict
from .rates import last_share_state, rate_mhs

LEVELS = {"ok": 0, "warn": 1, "err": 2}
DEFAULT_LIMITS = {"temp_warn": 80.0, "temp_err": 90.0, "chip_warn": 105.0, "chip_err": 115.0, "hashrate_share": 0.8,
                  "hw_pct": 1.0, "reject_pct": 5.0, "history": 30, "min_history": 5, "late_shares": True}
DEVICE_KINDS = ("ASC", "PGA", "GPU", "CPU")
_PLAIN_NUMBERS = {int, float}  # the types of a history that needs no picking over
Reason = dict[str, Any]  # {"level", "key", "text", "since"}


def quiet_while_curtailed(key: str) -> bool:
    """A reason a curtailed rig's own sleep causes: devices dead, disabled or paused, late shares, a slower
    rate, fans stopped (a Sick device, a temperature, a pool still count)."""
    return key.startswith(("late:", "slow", "fan:")) or (key.startswith("dev:")
                                                        and key.endswith((":Dead", ":off", ":NoStart")))


def device_label(d: dict[str, Any], kind: str = "cgminer") -> str:
    """'GPU 1', 'CPU 0' (xmrig's backend), 'Name ID', or what the kind's driver calls its devices
    (an XMRigCC client: its name)."""
    own = drivers.device_labeller(kind)
    if own is not None:
        return own(d)
    for k in DEVICE_KINDS:
        if k in d:
            return f"{k} {d[k]}"
    name = str(d.get("Name", "device"))[:40]
    return name if "ID" not in d else f"{name} {d['ID']}"


def _reason(level: str, key: str, text: str) -> Reason:
    return {"level": level, "key": key, "text": text}


def access_reasons(statuses: Mapping[str, Any] | None, kind: str = "cgminer") -> list[Reason]:
    """An error STATUS the kind's driver reads as access denied (cgminer: code 45)."""
    for command, st in (statuses or {}).items():
        if (isinstance(st, dict) and st.get("STATUS") == "E"
                and drivers.access_denied(kind, st.get("Code"), st.get("Msg"))):
            return [_reason("err", "access", f"API access denied ({command})")]
    return []


def device_reasons(devs: Iterable[dict[str, Any]], when: object, limits: Mapping[str, Any],
                   kind: str = "cgminer") -> list[Reason]:
    out: list[Reason] = []
    for d in devs:
        label = device_label(d, kind)
        status = str(d.get("Status", ""))
        enabled = d.get("Enabled")
        if status in ("Dead", "NoStart", "Offline"):
            out.append(_reason("err", f"dev:{label}:{status}", f"{label} {status}"))
        elif status == "Sick":
            out.append(_reason("warn", f"dev:{label}:Sick", f"{label} Sick"))
        elif enabled in ("N", False) or status in ("Disabled", "Paused"):
            out.append(_reason("warn", f"dev:{label}:off", f"{label} {'paused' if status == 'Paused' else 'disabled'}"))
        elif status not in ("", "Alive", "Initialising"):
            out.append(_reason("warn", f"dev:{label}:{status[:20]}", f"{label} {status[:20]}"))
        else:
            late = last_share_state(d, when, rate_mhs(d)) if limits["late_shares"] else ""
            if late:
                out.append(_reason(late, f"late:{label}", f"{label} last share {'very ' if late == 'err' else ''}late"))
        temp = as_number(d.get("Temperature"))
        if temp and temp >= limits["temp_warn"]:
            level = "err" if temp >= limits["temp_err"] else "warn"
            out.append(_reason(level, f"temp:{label}:{level}", f"{label} at {temp:.0f}°C"))
        chip = as_number(d.get("Chip Temp")) if "Chip Temp" in d else None
        if chip and chip >= limits["chip_warn"]:
            level = "err" if chip >= limits["chip_err"] else "warn"
            out.append(_reason(level, f"chiptemp:{label}:{level}", f"{label} chips at {chip:.0f}°C"))
    return out


def pool_reasons(pools: Iterable[Any]) -> list[Reason]:
    """Dead pools, no alive pool, or mining on another pool than the first by priority (one pass:
    every rig, every round)."""
    out: list[Reason] = []
    count = 0
    first: dict[str, Any] | None = None
    current: dict[str, Any] | None = None  # the first pool by priority, and the first alive one
    first_priority = current_priority = 0
    for p in pools:
        if not isinstance(p, dict):
            continue
        count += 1
        priority = as_number(p.get("Priority")) or 0
        if first is None or priority < first_priority:
            first, first_priority = p, priority
        status = p.get("Status")
        if status == "Alive":
            if current is None or priority < current_priority:
                current, current_priority = p, priority
        elif status == "Dead":
            out.append(_reason("warn", f"pool:{p.get('POOL')}:Dead", f"pool {p.get('POOL')} Dead"))
    if not count:
        return []
    if current is None:
        return [_reason("err", "nopool", "no alive pool")] + out
    if current is not first and first is not None and count > 1:
        out.append(_reason("warn", f"failover:{current.get('POOL')}",
                           f"failover: mining on pool {current.get('POOL')}, not pool {first.get('POOL')}"))
    return out


def rate_reasons(figs: Mapping[str, Any], past: list[float], limits: Mapping[str, Any]) -> list[Reason]:
    """``past``: the rig's recent hashrates (numbers)."""
    out: list[Reason] = []
    now = figs.get("hashrate_now_hs")
    if now is not None and len(past) >= limits["min_history"]:
        ranked = sorted(past)  # the median (statistics.median costs twice as much, every rig, every round)
        half = len(ranked) // 2
        median = ranked[half] if len(ranked) % 2 else (ranked[half - 1] + ranked[half]) / 2
        if median > 0 and now < limits["hashrate_share"] * median:
            out.append(_reason("warn", "slow", f"hashrate {100 * now / median:.0f}% of its recent median"))
    if (figs.get("accepted") or 0) + (figs.get("rejected") or 0) >= 20:  # the rates of figures.py: by work done
        hw, rej = figs.get("hw_pct"), figs.get("reject_pct")
        if hw is not None and hw > limits["hw_pct"]:
            out.append(_reason("warn", "hw", f"hardware errors {hw:.1f}%"))
        if rej is not None and rej > limits["reject_pct"]:
            out.append(_reason("warn", "rej", f"rejected {rej:.1f}%"))
    return out


def kind_reasons(kind: str, sections: Mapping[str, Any]) -> list[Reason]:
    out: list[Reason] = []
    if (first_dict(sections.get("SUMMARY")) or {}).get("Paused") is True:  # xmrig's
        out.append(_reason("warn", "paused", "paused"))
    for st in sections.get("POOLSTATUS") or []:
        for name in ("Listener", "Stratifier", "Connector", "Generator"):
            if isinstance(st, dict) and name in st and st[name] != "up":
                out.append(_reason("err", f"ckpool:{name}", f"{name.lower()} {str(st[name])[:30]}"))
    return out


def fan_reasons(sections: Mapping[str, Any], seen: list[str], hashing: bool) -> tuple[list[Reason], list[str]]:
    """(reasons, fans seen spinning) for FANS. The drivers leave out slots reading 0 (empty slots: an S9
    has two of four), so the rule is the rig's own: a fan that read above 0 in an earlier poll and now
    reads 0 or is gone, while the machine hashes, has stopped (a sleeping machine stops its fans)."""
    fans = sections.get("FANS")
    if not isinstance(fans, list):
        return [], seen  # not read this poll: nothing to judge, nothing forgotten
    spinning: set[str] = set()
    for f in fans:
        if isinstance(f, dict):
            rpm = as_number(f.get("RPM", f.get("Speed")))
            ident = f.get("ID", f.get("FAN"))
            if rpm and rpm > 0 and isinstance(ident, (int, str)) and not isinstance(ident, bool):
                spinning.add(str(ident)[:20])
    stopped = sorted(set(seen) - spinning) if hashing else []
    out = [_reason("warn", f"fan:{i}:stopped", f"fan {i} stopped") for i in stopped]
    return out, sorted(spinning | set(seen))[:32]


def temp_reasons(figs: Mapping[str, Any], reasons: list[Reason], limits: Mapping[str, Any]) -> list[Reason]:
    """The hottest board and the hottest chip where no device's reason already says it (bmminer's STATS
    temps, a firmware's SUMMARY figures): boards against temp_warn/temp_err, chips against
    chip_warn/chip_err, the same for every kind."""
    out: list[Reason] = []
    for figure, prefix, warn, err, text in (("max_temp", "temp:", "temp_warn", "temp_err", "temperature"),
                                            ("max_chip_temp", "chiptemp:", "chip_warn", "chip_err", "chips at")):
        temp = figs.get(figure)
        if temp is None or temp < limits[warn] or any(r["key"].startswith(prefix) for r in reasons):
            continue
        level = "err" if temp >= limits[err] else "warn"
        out.append(_reason(level, f"{prefix}{level}", f"{text} {temp:.0f}°C"))
    return out


def assess(kind: str, sections: object, statuses: Mapping[str, Any] | None, figs: Mapping[str, Any],
           history: Iterable[Any] = (), since: object = None, now: float = 0, limits: Mapping[str, Any] | None = None,
           fans: object = ()) -> dict[str, Any]:
    """{"state", "reasons", "history", "fans"} of one snapshot. ``history`` holds the rig's
    recent current hashrates (H/s), ``since`` the first-seen time of each reason key, ``fans`` the
    fans seen spinning before (from the previous snapshot's "fans")."""
    if limits is None or limits.keys() != DEFAULT_LIMITS.keys() or None in limits.values():
        limits = {**DEFAULT_LIMITS, **{k: v for k, v in (limits or {}).items() if v is not None}}
    sections = sections if isinstance(sections, dict) else {}
    statuses = statuses or {}
    st = statuses.get("devs")
    if not isinstance(st, dict):
        st = statuses.get("summary")
    when = st.get("When") if isinstance(st, dict) else 0
    pool = drivers.is_pool(kind)  # its WORKERS-as-devices are other people's machines
    devs = [] if pool else [d for d in sections.get("DEVS") or () if isinstance(d, dict)]
    reasons = access_reasons(statuses, kind)  # a list of its own, extended in place (each + made another)
    reasons += kind_reasons(kind, sections)
    reasons += device_reasons(devs, when, limits, kind)
    reasons += temp_reasons(figs, reasons, limits)
    seen = [str(f) for f in fans if isinstance(f, (str, int))] if isinstance(fans, list) else []
    fan_found, seen = fan_reasons(sections, seen, (figs.get("hashrate_now_hs") or 0) > 0)
    reasons += fan_found
    if not pool:
        reasons += pool_reasons(sections.get("POOLS") or ())
    if type(history) is list and {*map(type, history)} <= _PLAIN_NUMBERS:  # the usual 30 floats: one copy
        past = history[:]
    else:
        past = [h for h in history if isinstance(h, (int, float))]
    reasons += rate_reasons(figs, past, limits)
    curtailed = figs.get("curtailed") is True
    if curtailed:  # asleep, paused or at a low power (by command, mostly): not hashing is what was asked
        reasons = [r for r in reasons if not quiet_while_curtailed(r["key"])]
        if not any(r["key"] == "paused" for r in reasons):  # xmrig says paused already
            reasons.append(_reason("warn", "curtailed", "curtailed: asleep, paused or at a lower power"))
    if reasons:
        since = since if isinstance(since, dict) else {}
        for r in reasons:
            r["since"] = since.get(r["key"], now)
    rate = figs.get("hashrate_now_hs")
    if rate is not None:
        past.append(rate)
    return {"state": worst(reasons), "reasons": reasons, "history": past[-limits["history"]:], "fans": seen}


def worst(reasons: list[Reason]) -> str:
    if not reasons:  # most rigs, most rounds
        return "ok"
    level = max((LEVELS[r["level"]] for r in reasons), default=0)
    return next(k for k, v in LEVELS.items() if v == level)


def with_reachability(health: Mapping[str, Any] | None, state: str, error: str = "", age_text: str = "",
                      error_kind: str = "") -> dict[str, Any]:
    """The stored health plus what the time of viewing knows: the rig's last poll
    failed (unreachable), or its data is older than STALE_AFTER (stale)."""
    health = health or {}
    reasons = list(health.get("reasons") or [])
    if state == "unreachable":
        word = "API access denied" if error_kind == "noreply" else "unreachable"
        reasons.insert(0, {"level": "err", "key": "unreachable", "text": f"{word}: {error}" if error else word})
    elif state == "stale":
        reasons.insert(0, {"level": "err", "key": "stale",
                           "text": f"stale: no answer for {age_text}" if age_text else "stale"})
    elif state == "new":
        return {"state": "new", "reasons": []}
    return {"state": worst(reasons), "reasons": reasons}
