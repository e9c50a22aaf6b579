"""The runner: price feeds fetched when due, curtailment by schedule and price, the watchdog's rules.

It runs after each round of the lead poller (shard 0, or the only one: ``after_round``, registered by the
app when AUTOMATION_IN_POLLER is on), in a worker thread of its own so the poller never waits, one pass at
a time (a round arriving while a pass runs is skipped); or from ``manage.py automate`` (a loop, or
``--once``) where the poller runs without it. Every state is in the database, and each part only sends the
difference between what is wanted and what is recorded: a pass can run twice, or after a restart, and does
nothing twice.
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections
from django.utils import timezone

from . import curtailing, pricefeed, watchdog
from .models import PriceFeed

log = logging.getLogger("minerpanel.automation")
_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="automation")
_busy = threading.Lock()
_last = None


def tick(now=None):
    """One pass: {"feeds": n fetched, "curtailed": [...], "resumed": [...], "actions": [...]}."""
    now = now or timezone.now()
    fetched = 0
    for feed in PriceFeed.objects.filter(enabled=True):
        fetched += pricefeed.refresh(feed, now)
    done = curtailing.tick(now)
    return {"feeds": fetched, **done, "actions": watchdog.run(now)}


def _run():
    try:
        close_old_connections()
        tick()
    except Exception:
        log.exception("automation pass failed")
    finally:
        close_old_connections()
        _busy.release()


def after_round(results, took, shard=None):
    """The poller's hook: on the lead shard only, hand a pass to the worker and return at once."""
    global _last
    if shard and shard[0] != 0:
        return
    if not _busy.acquire(blocking=False):
        log.info("automation: the previous pass is still running; this round is skipped")
        return
    _last = _worker.submit(_run)


def wait(timeout=30):
    if _last is not None:
        _last.result(timeout)
