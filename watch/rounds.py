"""After each poll round: history, roll-ups, pruning, alerts and the poller's own figures, in one
worker thread so the poller never waits. A round arriving while the previous one is still being
worked on is skipped (its rigs are recorded with the next one)."""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections

from rigs import drivers

from . import alerts, history

log = logging.getLogger("minerpanel.watch")
_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="watch")
_busy = threading.Lock()
_recorded, _previous = {}, {}
_farm_minute = {}  # {"t": the minute whose farm point this process wrote last}
_last = None
POLLER = {"rounds": 0, "duration": 0.0, "polled": 0, "errors": {}}


def sections_read(kind):
    """What process() reads of a result's sections (history.point_of: the power, fans, devices, pool and a
    fleet's members); the poller drops the others once a batch is stored."""
    return {"SUMMARY", "FANS", "DEVS", "POOLS", drivers.fleet_section(kind)} - {""}


def process(results, took, now=None, shard=None):
    """Everything after one round (in the worker thread, or in a test). With a ``shard`` (K, N):
    the alerts of that poller's rigs, and the farm's point, roll-ups and pruning only in shard 0's poller."""
    now = now or time.time()
    POLLER["rounds"] += 1
    POLLER["duration"] = took
    POLLER["polled"] = len(results)
    errors = {}
    for r in results:
        if not r.ok:
            errors[r.error_kind or "other"] = errors.get(r.error_kind or "other", 0) + 1
    POLLER["errors"] = errors
    of = f"@{shard[0]}/{shard[1]}" if shard else ""  # each shard's poller its own marks
    history.set_mark(f"poller_round_s{of}", took)
    history.set_mark(f"poller_rigs{of}", len(results))
    history.set_mark(f"poller_failed{of}", sum(errors.values()))
    if settings.HISTORY:
        history.record(results, now, _recorded, _previous)
        if not shard or shard[0] == 0:  # one poller writes the farm's points, from every rig's latest state
            minute = int(now // 60 * 60)
            if _farm_minute.get("t") != minute:
                history.record_farm(now)
                _farm_minute["t"] = minute
            history.rollup(now)
            history.prune(now)
    if settings.ALERTS:
        alerts.evaluate(now, shard)


def _run(results, took, shard):
    try:
        close_old_connections()  # this thread's connection, between rounds
        process(results, took, shard=shard)
    except Exception:
        log.exception("history and alerts after a round failed")
    finally:
        _busy.release()


def after_round(results, took, shard=None):
    """The poller's hook: hand the round to the worker and return at once."""
    global _last
    if not _busy.acquire(blocking=False):
        log.warning("history and alerts still busy with the previous round; this round is skipped")
        return
    _last = _worker.submit(_run, results, took, shard)


def wait(timeout=10):
    """Until the last round handed over is done (tests, and a clean stop)."""
    if _last is not None:
        _last.result(timeout)
