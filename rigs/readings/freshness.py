"""Whether a rig's data is fresh: the one rule the pages, the API, custom pages and metrics use."""

from datetime import datetime

from django.conf import settings


def stale_after() -> float:
    """Seconds after a rig's last answer when its data is stale: STALE_AFTER, else three poll intervals."""
    return settings.STALE_AFTER or 3 * settings.POLL_INTERVAL


def reachability(polled_at: datetime | None, last_ok_at: datetime | None, error: str, now: datetime,
                 limit: float | None = None) -> str:
    """'new' (never polled), 'unreachable' (its last poll failed), 'stale' (its last answer is older
    than ``limit``, default stale_after()) or 'ok'."""
    if polled_at is None:
        return "new"
    if error:
        return "unreachable"
    if last_ok_at and (now - last_ok_at).total_seconds() > (stale_after() if limit is None else limit):
        return "stale"
    return "ok"
