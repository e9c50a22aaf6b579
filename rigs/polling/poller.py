"""The background poller: every enabled rig, concurrently, every POLL_INTERVAL.

One round: read the rig list, ask every rig (bounded concurrency, each request bounded in time and
size), write the snapshots in batches, each with its pages' ready rows, and announce each ("rigs.updated").
One rig's failure never delays the others beyond its own timeout, and never stops the round.
"""

import asyncio
import gc
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar, Unpack

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connection, connections, transaction
from django.utils import timezone

from rigs import drivers
from rigs.drivers import fastjson
from rigs.drivers.errors import RigError
from rigs.drivers.interface import Limits
from rigs.readings import digits
from rigs.readings.brief import health_limits, make_brief
from rigs.readings.hidden_fields import hide_fields

from . import behind, hooks
from .lease import Lease, Lost
from .target import Result, Target, columns, targets
from .upsert import upsert

log = logging.getLogger("minerpanel.poller")

GROUP = "rigs"
T = TypeVar("T")
R = TypeVar("R")


def limits() -> Limits:
    return {
        "connect_timeout": settings.RIG_CONNECT_TIMEOUT,
        "timeout": settings.RIG_TIMEOUT,
        "max_reply": settings.RIG_MAX_REPLY,
    }


async def poll_rig(target: Target, **lim: Unpack[Limits]) -> Result:
    """Ask one rig everything the pages need, through its kind's driver; never raises."""
    lim = lim or limits()
    started = time.perf_counter()
    try:
        sections, statuses = await drivers.driver(target.kind).poll(target, **lim)
    except RigError as exc:
        return Result(target.id, False, error=exc.message, error_kind=exc.kind,
                      latency_ms=(time.perf_counter() - started) * 1000, joins=target.joins)
    except Exception as exc:  # a bug of ours must not stop the round
        log.exception("polling rig %s (%s) failed unexpectedly", target.id, target.kind)
        return Result(target.id, False, error=f"internal error: {exc.__class__.__name__}",
                      error_kind="internal", latency_ms=(time.perf_counter() - started) * 1000, joins=target.joins)
    hide_fields(sections, settings.HIDE_FIELDS)
    raws, target.raws = getattr(target, "raws", ()), ()
    return Result(target.id, True, sections=sections, statuses=statuses,
                  latency_ms=(time.perf_counter() - started) * 1000, joins=target.joins, kind=target.kind,
                  health_limits=getattr(target, "health_limits", None) or rig_limits(target), raws=raws)


def rig_limits(target: Target) -> dict[str, Any]:
    return health_limits(getattr(target, "temp_warn", None), getattr(target, "temp_err", None))


def workers(targets: Sequence[T], each: Callable[[T], Awaitable[Any]],
            concurrency: int | None = None) -> "asyncio.Future[list[Any]]":
    """At most ``concurrency`` coroutines working through ``targets``, ``await each(target)`` one after
    another: no task or semaphore per rig. Gathered, they finish when every target is done."""
    todo = iter(targets)

    async def work() -> None:
        for t in todo:
            await each(t)

    count = min(concurrency or settings.POLL_CONCURRENCY, len(targets)) or 1
    return asyncio.gather(*(work() for _ in range(count)))


async def poll_all(targets: Sequence[Target], concurrency: int | None = None,
                   **lim: Unpack[Limits]) -> list[Result]:
    """Poll every target concurrently, at most ``concurrency`` at a time; results in their order."""
    results: list[Any] = [None] * len(targets)

    async def one(pair: tuple[int, Target]) -> None:
        i, t = pair
        results[i] = await poll_rig(t, **lim)

    await workers(list(enumerate(targets)), one, concurrency)
    return results


# ---------------------------------------------------------------- storage


def wanted_sections() -> tuple[str, ...]:
    """Every section the apps' pages name (hooks.wanted_sections; joins split), so drivers ask for what
    only pages need."""
    names = {name for found in hooks.wanted_sections.collect() for name in found}
    return tuple(sorted({part for name in names for part in name.upper().split("+") if part}))


def load_targets(shard: tuple[int, int] | None = None) -> list[Target]:
    """Enabled rigs (of shard K/N, if given) as Targets (rigs/polling/target.py): their connection settings,
    what we know of their joins."""
    from rigs.models import Rig

    close_old_connections()
    found = targets(Rig.objects.filter(enabled=True).values_list(*columns()), wanted_sections())
    # one dict per pair of temperatures, not a settings lookup per rig
    shared: dict[tuple[float | None, float | None], dict[str, Any]] = {}
    for t in found:
        pair = (t.temp_warn, t.temp_err)
        t.health_limits = shared.get(pair) or shared.setdefault(pair, rig_limits(t))
    if shard:
        k, n = shard
        found = [t for t in found if t.id % n == k]
    return found


def previous_briefs(ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """{rig id: {"health": ..., "history": ..., "fans": ..., "digits_at": ...}} of these rigs' stored briefs,
    the parts read as JSON text and parsed here (through the ORM they cost half as much as working the
    briefs out), and when their decimals were learned (rigs/readings/digits.py)."""
    from rigs.models import Snapshot

    if not ids:
        return {}
    pg = connection.vendor == "postgresql"
    part = "(brief -> %s)::text" if pg else "json_extract(brief, '$.' || %s)"
    at = "(digits ->> 'at')::float" if pg else "json_extract(digits, '$.at')"
    sql = (f"SELECT rig_id, {part}, {part}, {part}, {at} FROM {connection.ops.quote_name(Snapshot._meta.db_table)} "
           f"WHERE rig_id IN ({', '.join(['%s'] * len(ids))})")
    with connection.cursor() as cursor:
        cursor.execute(sql, ["health", "history", "fans", *ids])
        return {i: {"health": _json(h), "history": _json(p), "fans": _json(f), "digits_at": a}
                for i, h, p, f, a in cursor.fetchall()}


_decode = fastjson.Decoder().decode


def _json(text: Any) -> Any:
    try:
        return _decode(text) if isinstance(text, str) else text
    except ValueError:
        return text


def store(results: Sequence[Result], now: datetime | None = None, guard: Callable[[], None] | None = None,
          recent: dict[int, dict[str, Any]] | None = None) -> None:
    """Write a round's snapshots in bulk, in one transaction. A failed rig keeps its last good sections.

    ``guard()`` runs first inside the transaction (a lease's renew: raises when the shard is lost).
    ``recent``: the poller's memory of the health and history it last wrote per rig ({rig id: ...}),
    so they need not be read back; rigs it does not know are read from the database into it.
    """
    from rigs.models import Snapshot

    close_old_connections()
    now = now or timezone.now()
    ids = [r.rig_id for r in results if r.ok]
    if recent is None:
        previous = previous_briefs(ids)
    else:
        previous = recent
        recent.update(previous_briefs([i for i in ids if i not in recent]))
    stamp = now.timestamp()

    def brief(r: Result) -> dict[str, Any]:  # a bug of ours in one rig's brief must not lose the batch
        try:
            return make_brief(r.sections, r.statuses, r.kind, previous.get(r.rig_id), r.health_limits, stamp)
        except Exception:
            return failed_brief(r.rig_id, previous.get(r.rig_id), stamp)

    good: list[dict[str, Any]] = [dict(rig=r.rig_id, sections=r.sections, statuses=r.statuses, error="", brief=brief(r),
                                       error_kind="", latency_ms=round(r.latency_ms, 2), polled_at=now,
                                       last_ok_at=now, joins=r.joins) for r in results if r.ok]
    learned = digits.learned(((r.rig_id, r.raws) for r in results if r.ok and r.raws), previous, stamp)
    bad: list[dict[str, Any]] = [
        dict(rig=r.rig_id, sections={}, statuses={}, error=r.error, brief={}, error_kind=r.error_kind,
             latency_ms=round(r.latency_ms, 2), polled_at=now, last_ok_at=None, joins=r.joins)
        for r in results if not r.ok]
    with transaction.atomic():
        if guard is not None:
            guard()
        fields = ["sections", "statuses", "brief", "error", "error_kind", "latency_ms", "polled_at", "last_ok_at",
                  "joins"]
        fresh = [{**row, "digits": learned[row["rig"]]} for row in good if row["rig"] in learned]
        upsert(Snapshot, fresh, [*fields, "digits"])  # decimals learned again; the others' stay as they are
        upsert(Snapshot, [row for row in good if row["rig"] not in learned] if fresh else good, fields)
        upsert(Snapshot, bad, ["error", "error_kind", "latency_ms", "polled_at", "joins"])
    kept: dict[str, set[str]] = {}
    for r, row in zip((r for r in results if r.ok), good):
        r.brief = row["brief"]
        r.raws = ()
        if r.kind not in kept:
            kept[r.kind] = {name for names in hooks.kept_for_round.collect(r.kind) for name in names}
        r.sections = {k: v for k, v in r.sections.items() if k in kept[r.kind]}  # stored: what the round's end reads
        if recent is not None:  # written: what the next round starts from
            at = learned[r.rig_id]["at"] if r.rig_id in learned else (previous.get(r.rig_id) or {}).get("digits_at")
            recent[r.rig_id] = {"health": r.brief.get("health"), "history": r.brief.get("history"),
                                "fans": r.brief.get("fans"), "digits_at": at}


def failed_brief(rig_id: int, previous: object, now: float) -> dict[str, Any]:
    """The brief of a rig whose figures and health raised (a bug of ours, or data nobody foresaw): an
    error, so the rig does not look healthy, and its recent hashrates kept. Logged when it starts,
    not every round."""
    previous = previous if isinstance(previous, dict) else {}
    reasons = (previous.get("health") or {}).get("reasons") or []
    since = next((r.get("since") for r in reasons if isinstance(r, dict) and r.get("key") == "internal"), None)
    if since is None:
        log.exception("rig %s: working out its figures and health failed", rig_id)
    reason = {"level": "err", "key": "internal", "since": since or now,
              "text": "its figures and health could not be worked out (see the poller's log)"}
    return {"when": {}, "figures": {}, "health": {"state": "err", "reasons": [reason]},
            "history": previous.get("history") or []}


async def publish(rig_ids: Iterable[int], tables: Iterable[str] = ()) -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(GROUP, {"type": "rigs.updated", "rigs": list(rig_ids), "tables": list(tables)})


async def stored(rig_ids: Iterable[int], notify: Callable[[list[int], list[str]], Any] | None = None) -> None:
    """After a batch is stored: the apps' after_batch hooks (the pages' ready rows), then the one
    announcement, over the channel layer when it is shared (Redis), else ``notify(ids)`` when given
    (`pollrigs --notify`: its stdout line, which serve forwards to its own in-memory layer)."""
    from channels.layers import InMemoryChannelLayer, get_channel_layer

    ids = list(rig_ids)
    tables = sorted({key for keys in await sync_to_async(hooks.after_batch)(ids) for key in keys})
    if notify is not None and isinstance(get_channel_layer(), InMemoryChannelLayer):
        await sync_to_async(notify)(ids, tables)
    else:
        await publish(ids, tables)


async def poll_once(shard: tuple[int, int] | None = None, flush_every: float = 0.5,
                    on_batch: Callable[[list[int], list[str]], Any] | None = None, lease: Lease | None = None,
                    recent: dict[int, dict[str, Any]] | None = None) -> tuple[list[Result], float]:
    """One round; returns (results, seconds).

    Results are stored and published as they arrive, every ``flush_every``
    seconds, so a hung rig never holds back the others' fresh numbers.
    ``on_batch(rig_ids)`` (sync): how a batch is announced without a shared channel layer (stored()).
    With a ``lease`` (rigs/polling/lease.py), each write renews it and lease.Lost ends the round.
    ``recent``: see store(); kept by ``run`` while it holds its shard without a break.
    """
    started = time.perf_counter()
    targets = await sync_to_async(load_targets)(shard)
    if recent:
        for gone in recent.keys() - {t.id for t in targets}:  # deleted or disabled since
            del recent[gone]
    lim = limits()

    arrived = []  # results not stored yet: the flush loop takes them (O(1) per rig, whatever the size)
    # at most BACKLOG rigs polled and not stored yet: when storing (and the pages' ready rows after it) falls
    # behind the polling, the workers wait, rather than every reply of the shard waiting in memory
    room = asyncio.Semaphore(max(settings.POLL_BACKLOG, 2 * settings.POLL_CONCURRENCY))

    async def one(t: Target) -> None:
        await room.acquire()
        arrived.append(await poll_rig(t, **lim))

    previous = {t.id: t.error for t in targets}
    everything = workers(targets, one)
    results = []
    try:
        while arrived or not everything.done():
            await asyncio.wait({everything}, timeout=flush_every)
            batch, arrived[:] = arrived[:], []
            if batch:
                await sync_to_async(store)(batch, guard=lease.renew if lease is not None else None,
                                            recent=recent)
                await stored([r.rig_id for r in batch], on_batch)
                results.extend(batch)
                for _ in batch:
                    room.release()
    finally:
        everything.cancel()
        # a round cancelled by a stop: its workers' CancelledError is expected, not an error to log
        everything.add_done_callback(lambda f: f.cancelled() or f.exception())
    for r in results:
        if r.error != previous.get(r.rig_id, ""):
            if r.ok:
                log.info("rig %s answers again", r.rig_id)
            else:
                log.warning("rig %s: %s", r.rig_id, r.error)
    return results, time.perf_counter() - started


def settle() -> None:
    """Ready the poller's process for its rounds. Exempt what it built before its first round (Django,
    the drivers, the settings) from the garbage collector: it lives as long as the process, and every
    round's replies made the collector walk it again and again, a seventh of a round's CPU. And keep
    its database connections open between batches (the web's are per request, as Django asks under
    ASGI): closing SQLite's last connection checkpoints the WAL, which it did after every batch
    (a tenth of the poller's CPU per rig, benchpoll). A database with a pool of connections (PostgreSQL:
    settings.py) hands the same ones out again by itself."""
    for alias in connections:
        if "pool" not in connections.settings[alias].get("OPTIONS", {}):
            connections.settings[alias]["CONN_MAX_AGE"] = max(connections.settings[alias].get("CONN_MAX_AGE") or 0, 60)
    gc.collect()
    gc.freeze()


async def unless_stopped(stop: asyncio.Event, coro: Awaitable[R]) -> R | None:
    """``await coro``, or None when ``stop`` is set first: then it is cancelled (a stop does not wait
    for the round's slowest rig). A batch being written finishes in its thread, and the lease's
    release, queued to that same thread, comes after it."""
    task = asyncio.ensure_future(coro)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if task.done():
        return task.result()
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    return None


async def run(stop: asyncio.Event, interval: float | None = None, shard: tuple[int, int] | None = None,
              on_batch: Callable[[list[int], list[str]], Any] | None = None, lease: Lease | None = None) -> None:
    """Poll rounds every ``interval`` seconds until ``stop`` (an asyncio.Event) is set.

    With a ``lease`` only while this process holds the shard; otherwise it stands by.
    """
    settle()
    interval = interval or settings.POLL_INTERVAL
    log.info("poller started: every %.1f s, %d rigs at once", interval, settings.POLL_CONCURRENCY)
    holding = None
    recent: dict[int, dict[str, Any]] = {}
    term = None  # what this process wrote last (store()), while nobody else wrote the shard
    while not stop.is_set():
        began = time.monotonic()
        try:
            if lease is not None:
                held = await sync_to_async(lease.claim)()
                if held != holding:
                    log.info("shard %s: %s", lease.shard, "polling (lease taken)" if held else
                             f"standing by, {await sync_to_async(lease.holder)()} holds it")
                holding = held
                if lease.term != term:
                    recent.clear()
                    term = lease.term
            if (shard is None or shard[0] == 0) and (lease is None or holding):
                await hooks.lead_round.run(began)  # what one poller does for the farm (discovery)
            if lease is None or holding:
                done = await unless_stopped(stop, poll_once(
                    shard, on_batch=on_batch, lease=lease, recent=recent if lease is not None else None))
                if done is None:
                    break
                results, took = done
                hooks.after_round(results, took, shard)  # history and alerts (watch), in their own thread
                await sync_to_async(behind.record)(shard, time.monotonic() - began)
                failed = sum(1 for r in results if not r.ok)
                log.debug("round: %d rigs, %d failed, %.2f s", len(results), failed, took)
        except Lost as exc:
            holding = False
            log.warning("%s: standing by", exc)
        except Exception:
            log.exception("poll round failed; trying again next round")
        # a standby asks again well before the holder's lease could run out
        every = interval if lease is None or holding else min(interval, lease.ttl.total_seconds() / 3)
        wait = max(0.5, every - (time.monotonic() - began))
        try:
            await asyncio.wait_for(stop.wait(), timeout=wait)
        except TimeoutError:
            pass
    await sync_to_async(hooks.stopping)()  # the last round's history and alerts written
    if lease is not None and holding:
        await sync_to_async(lease.release)()
    log.info("poller stopped")
