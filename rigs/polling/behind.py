"""Whether the pollers keep up. A shard whose round (its ready rows included) outlasts STALE_AFTER says
so in the shared cache, and the header shows it to logged-in users: every rig then turns stale between
two of its polls, and views can only turn them stale a hundred at a time (READY_TURNED_PER_VIEW)."""

import logging
import time
from typing import Any

from django.core.cache import cache

from rigs.readings.freshness import stale_after

log = logging.getLogger("minerpanel.poller")
KEY = "pollers:behind"


def record(shard: tuple[int, int] | None, seconds: float) -> None:
    """After each round of ``shard`` ((K, N) or None: every rig): a round longer than STALE_AFTER is kept
    for twice its length (a shard that catches up, or stops, is forgotten by itself)."""
    limit = stale_after()
    if seconds <= limit:
        return
    name = "all rigs" if shard is None else f"shard {shard[0]}/{shard[1]}"
    log.warning("pollers behind: a round of %s took %.0f s, longer than STALE_AFTER (%.0f s)", name, seconds, limit)
    try:
        cache.set(KEY, {"shard": name, "seconds": round(seconds), "limit": round(limit), "at": time.time()},
                  max(60, int(2 * seconds)))
    except Exception as exc:  # the cache down: the log says it
        log.warning("pollers behind: the cache failed (%s: %s)", type(exc).__name__, exc)


def latest() -> dict[str, Any] | None:
    """The last round found behind, while it is recent: {"shard", "seconds", "limit", "at"} or None."""
    try:
        return cache.get(KEY)
    except Exception:
        return None
