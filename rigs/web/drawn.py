"""Farm tables drawn once for every viewer and every web process, not once per view.

What a view shows of a ready table (its <section>: templates/_table.html) depends on the table's state,
which ReadyTable.stamp names (a new stamp each time the writer saves the table: its rows, counts, Σ rows
or columns may have changed), and on the view of it: which table of the page, which page of it, the filter
and "problems only", the query's other parameters (its links keep them), the tier. Drawn once, it is kept
under those in the shared cache (settings.CACHES: Redis with REDIS_URL, so every web process on every
machine shares it; else the file cache every process of the machine shares) for KEPT seconds; the next
view of the same reads no row and draws nothing. What time changes in it (the ages, "since") is filled at
each view. A table of no stamp (a filtered view's, scoped(); one never written) is drawn each time.
"""

import hashlib
import logging
import time

from django.core.cache import cache

from .tables import Table, with_ages

log = logging.getLogger("minerpanel.pages")
KEPT = 600  # seconds: a table whose stamp stays (no poller running) is drawn again now and then
SPACE = ""  # recent()'s results are shared under this name (each test has its own: tests/conftest.py)


def drawn(ready_table, view, draw, now, shared=True):
    """The tables.Table of ``view`` (a tuple of what else the drawing depends on) of ``ready_table``,
    its section drawn: found drawn for this stamp, or drawn by ``draw()`` (which reads its rows) and
    kept. ``now``: epoch, for the ages. ``shared``: False for a drawing of its own (the admin's preview
    cuts its rows)."""
    if not shared or not getattr(ready_table, "stamp", ""):
        return ages_filled(draw(), now)

    made = []  # the table, when drawn by this view: with its rows

    def draw_kept():
        made.append(draw())
        t = made[0]
        return t.id, t.title, str(t.section()), sorted(t.shows[1]) if t.shows else []

    table_id, title, section, rigs = kept((ready_table.key, ready_table.stamp, view), draw_kept)
    if made:
        made[0].drawn = with_ages(section, now)
        return made[0]
    return Table(table_id, title, [], drawn=with_ages(section, now), shows=(ready_table.key, set(rigs)))


def kept(names, make):
    """``make()``'s result, kept in the shared cache under ``names`` (a tuple of what it depends on, a
    stamp among them): made once for every view of every web process. The cache down: made each time."""
    key = "drawn:" + hashlib.blake2b(repr(names).encode(), digest_size=20).hexdigest()
    try:
        found = cache.get(key)
    except Exception as exc:  # the cache down: the page is drawn as without it
        log.warning("drawn tables: the cache failed (%s: %s); drawing without it", type(exc).__name__, exc)
        return make()
    if found is not None:
        return found
    made = make()
    try:
        cache.set(key, made, KEPT)
    except Exception as exc:
        log.warning("drawn tables: the cache failed (%s: %s)", type(exc).__name__, exc)
    return made


class Busy(Exception):
    """recent(): another process computes it and none was computed before; retry in ``after`` seconds."""

    def __init__(self, after):
        super().__init__(f"being computed; retry in {after} s")
        self.after = after


def recent(names, make, share=4):
    """``make()``'s result (picklable), computed by whoever asked first and kept in the shared cache for
    ``share`` times what computing it took: the API's whole custom pages, 30 s of a web process at 100,000
    rigs, are computed at most every two minutes however many ask (a flood of requests was as many
    computations, each of every rig). While one process computes it, the others are given the previous
    result, or Busy when there is none yet (a request never waits for another's computation). The cache
    down: computed each time."""
    key = f"recent:{SPACE}" + hashlib.blake2b(repr(names).encode(), digest_size=20).hexdigest()
    try:
        found = cache.get(key)  # (epoch computed, seconds it took, result)
        if found is not None and time.time() - found[0] < share * found[1]:
            return found[2]
        mine = cache.add(key + ":computing", 1, max(60, 2 * share * (found[1] if found else 30)))
    except Exception as exc:
        log.warning("shared results: the cache failed (%s: %s); computing without it", type(exc).__name__, exc)
        return make()
    if not mine:
        if found is not None:
            return found[2]
        raise Busy(10)
    try:
        started = time.monotonic()
        made = make()
        took = time.monotonic() - started
        try:
            cache.set(key, (time.time(), took, made), max(60, 2 * share * took))
        except Exception as exc:
            log.warning("shared results: the cache failed (%s: %s)", type(exc).__name__, exc)
        return made
    finally:
        try:
            cache.delete(key + ":computing")
        except Exception:
            pass


def ages_filled(t, now):
    t.drawn = with_ages(t.section(), now)
    return t
