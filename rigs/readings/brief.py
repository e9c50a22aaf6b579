"""A snapshot's brief: what the poller works out of it once, so no page has to (the normalised figures,
the health, the times of the readings), and the health thresholds it is judged against."""

from django.conf import settings
from django.utils import timezone

from .figures import figures
from .health import DEFAULT_LIMITS, assess


def health_limits(temp_warn: float | None = None, temp_err: float | None = None) -> dict:
    """Health thresholds from the settings, with a rig's own temperatures (every key of health's
    DEFAULT_LIMITS, so ``assess`` takes them as they are)."""
    return {**DEFAULT_LIMITS,
            "temp_warn": temp_warn if temp_warn is not None else settings.TEMP_WARN,
            "temp_err": temp_err if temp_err is not None else settings.TEMP_ERROR,
            "chip_warn": settings.TEMP_CHIP_WARN, "chip_err": settings.TEMP_CHIP_ERROR,
            "hashrate_share": settings.HEALTH_HASHRATE_SHARE, "hw_pct": settings.HEALTH_HW_PCT,
            "reject_pct": settings.HEALTH_REJECT_PCT, "late_shares": settings.CHECK_LAST_SHARE}


def make_brief(sections: dict, statuses: dict, kind: str = "cgminer", previous: dict | None = None,
               limits: dict | None = None, now: float | None = None) -> dict:
    """What the poller works out of a snapshot once, so no page has to: the normalised figures,
    the health, and the times of the readings (``previous``: the rig's last brief's "health" and
    "history", for a reason's first-seen time and the recent median). The sections themselves are
    read from the snapshot's ``sections`` by key (a copy here cost the poller and the database
    as much again)."""
    when = {}  # (plain statements: a comprehension is a function call of its own, every rig, every round)
    for command in ("devs", "summary"):
        status = statuses.get(command)
        if isinstance(status, dict):
            when[command] = status.get("When")
    previous = previous or {}
    reasons = (previous.get("health") or {}).get("reasons") or []
    since = {r.get("key"): r.get("since") for r in reasons if isinstance(r, dict)} if reasons else {}
    figs = figures(kind, sections)
    health = assess(kind, sections, statuses, figs, previous.get("history") or [], since,
                    int(now if now is not None else timezone.now().timestamp()), limits or health_limits(),
                    previous.get("fans") or [])
    brief = {
        "when": when,
        "figures": figs,
        "health": {"state": health["state"], "reasons": health["reasons"]},
        "history": health["history"],
    }
    if health["fans"]:  # the fans seen spinning, for the next poll's "fan N stopped"
        brief["fans"] = health["fans"]
    return brief
