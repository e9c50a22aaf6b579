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

from django.core.cache import cache

from .tables import Table, with_ages

log = logging.getLogger("minerpanel.pages")
KEPT = 600  # seconds: a table whose stamp stays (no poller running) is drawn again now and then


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


def ages_filled(t, now):
    t.drawn = with_ages(t.section(), now)
    return t
