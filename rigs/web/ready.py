"""Ready rows: every farm table rendered once, on the poller's side, for every web process to read.

After each stored batch the poller calls write(ids) (a hook: rigs/apps.py). For those rigs only, each
table kept (a *provider* says which: ready_farm.py the Overview's, custompages/ready.py the custom
pages') gets their rows again (ReadyRow: HTML, filter text, problem flag, sort columns) and their shares
of the totals; the tables' totals are kept by differences (shares.py), so are their totals over each
single site, rack and tag (scope_sums.py), and their Σ rows drawn again (ReadyTable). One transaction a
batch. Only what changed is written: a rig's rows in a table whose digest is the one kept beside its
share (ReadyPart) stay as they are, and its ReadyPart too when nothing of it changed. A view then reads
one page of rows by an index (ready_read.py).

What changes with time alone (a rig's data going stale while no poll comes, a reason a minute old) is
written when it turns: each rig's ReadyPart says when (``turns_at``), and a view that finds such rigs
writes them first (refresh_turned), so pages never show stale data as fresh even with no poller.
A provider is an object with:

    wanted(now, only) -> {table key: (source, spec)}   the tables kept by rig (``only``: of these keys,
                                          None: all), what they are built from (a text), and how
    sections(specs) -> section names      what its rows read of the snapshots
    build(rigs, specs, now) -> iterable of (key, rig, [row dicts], share)   ``specs``: {key: spec}
    head(key, sums, spec) -> dict         what the view draws beside the rows (Σ rows, notes)
"""

import logging
import secrets
import threading
import zlib
from datetime import UTC, datetime, timedelta

import orjson
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from rigs.models import ReadyPart, ReadyRow, ReadyScope, ReadyTable, Rig
from rigs.polling.upsert import upsert

from . import rigdata, scope_sums, scopes, shares

log = logging.getLogger("minerpanel.ready")

PROVIDERS = []
CHUNK = 1000  # rigs per transaction when a whole table is built
ROW_FIELDS = ("problem", "state", "order", "name", "text", "html", "sys_html")


def register(provider):
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)
    return provider


def wanted(now, only=None):
    """{key: (provider, source, spec)} of the tables kept by rig (``only``: of these keys)."""
    out = {}
    for provider in PROVIDERS:
        for key, (source, spec) in provider.wanted(now, only).items():
            if only is None or key in only:
                out[key] = (provider, source, spec)
    return out


def by_provider(specs):
    """[(provider, {key: spec})] in the providers' order."""
    out = []
    for provider in PROVIDERS:
        mine = {key: spec for key, (p, _, spec) in specs.items() if p is provider}
        if mine:
            out.append((provider, mine))
    return out


class Busy(Exception):
    """write(in_view=True): another writer holds the tables (a poller's batch); nothing was written."""


def write(ids, only=None, now=None, in_view=False):
    """Write again the rows and shares of these rigs in every table kept (``only``: these keys), and
    the tables' totals: after a stored batch, a command's re-poll, a rig edited. A table never built,
    or built from another definition, is built whole first. Returns the keys of the tables whose counts,
    Σ rows or columns changed (a page showing one is pushed even if none of its rigs is in the batch).
    ``in_view`` (a view writing turned rigs): Busy at once, nothing written, when another writer holds the
    tables; and no table is built whole here (a page's own view builds its tables, up to READY_BUILD_IN_VIEW
    rigs: a view writing 100 turned rigs built a page's tables of 10,000 rigs first)."""
    ids = sorted(set(ids))
    now = now or timezone.now()
    specs = wanted(now, only)
    found = outdated(specs)
    changed = [] if in_view else rebuild_many({key: specs[key] for key in found}, now)
    for key in found if in_view else changed:  # left to their builders, or built whole just now
        specs.pop(key)
    if ids and specs:
        changed += _write(ids, specs, now, in_view=in_view)
    return changed


def outdated(specs):
    found = dict(ReadyTable.objects.filter(key__in=list(specs)).values_list("key", "source"))
    return [key for key, (_, source, _) in specs.items() if found.get(key) != source]


def rebuild_many(specs, now=None):
    """Build these tables ({key: spec}) whole, from every rig, each under a new generation (the old
    shares no longer count), in one pass over the rigs: each chunk of rigs read once for all of them
    (a poller's first batch found every table outdated and read every rig's sections again for each).
    Returns the keys built: not those another process began building from the same definition since
    they were found outdated (at their first batch every poller shard found every table outdated and
    built each of them whole, each from every rig: minutes a table at 100,000 rigs, four times over)."""
    now = now or timezone.now()
    mine = {key: spec for key, spec in specs.items() if _claim(key, spec, now)}
    if mine:
        ids = list(Rig.objects.values_list("id", flat=True))
        for start in range(0, len(ids), CHUNK):
            _write(ids[start:start + CHUNK], mine, now, exact=False)
        log.info("ready rows: %s built for %d rigs", ", ".join(mine), len(ids))
    return list(mine)


def _claim(key, spec, now):
    """Empty the table ``key`` under a new generation, to be built from ``spec``; False when another
    process claimed it for this definition first."""
    provider, source, payload = spec
    ReadyTable.objects.get_or_create(key=key, defaults={"source": ""})  # a row to lock: the first builder waits
    with transaction.atomic():                                           # for none, the others for it
        sqlite_lock(ReadyTable.objects.filter(key=key), "rows")
        # (a table of a page not kept yet may have been dropped since, by the poller's sweep: built anew)
        if ReadyTable.objects.select_for_update().filter(key=key).values_list("source", flat=True).first() == source:
            return False
        ReadyRow.objects.filter(table=key).delete()
        ReadyScope.objects.filter(table=key).delete()
        ReadyTable.objects.update_or_create(key=key, defaults={
            "rows": 0, "problems": 0, "bad_rows": 0, "sums": {}, "head": provider.head(key, {}, payload),
            "source": source,
            "generation": secrets.token_hex(8), "built_at": now, "exact_at": now, "stamp": secrets.token_hex(8)})
    return True


def _write(ids, specs, now, exact=True, in_view=False):
    providers = by_provider(specs)
    names = sorted({name for provider, mine in providers for name in provider.sections(mine)})
    rigs = rigdata.read(ids, names, now)
    new = {rig.id: {} for rig in rigs}  # {rig id: {key: (share, [row dicts], digest)}}
    for provider, mine in providers:
        for key, rig, built, share in provider.build(rigs, mine, now):
            base = {"table": key, "rig": rig.id, "state": rig.health["state"], "order": rig.order, "name": rig.name}
            rows = [{**base, "sys_html": "", **row} for row in built]
            new[rig.id][key] = share, rows, digest(rows)
    places = scopes.scopes_of(ids)
    with transaction.atomic():
        sqlite_lock(ReadyPart.objects.filter(rig_id=ids[0]), "turns_at")
        # PostgreSQL: the tables' rows first, in key order, then the rigs' rows: two writers at once (the
        # poller's batch, a view writing rigs that turned stale) wait for each other, never deadlock (a rig's
        # row locked first by one, the tables by the other, deadlocked under benchload --web)
        try:
            tables = {t.key: t for t in ReadyTable.objects.select_for_update(nowait=in_view)
                      .filter(key__in=list(specs)).order_by("key")}
        except OperationalError as exc:  # (PostgreSQL: lock not available)
            raise Busy() from exc
        old = {rig: (sums or {}, turns) for rig, sums, turns in
               ReadyPart.objects.filter(rig_id__in=ids).values_list("rig_id", "sums", "turns_at")}
        kept = scope_sums.Kept(tables, {s for found in places.values() for s in found} | {
            s for sums, _ in old.values() for entry in sums.values() if isinstance(entry, list)
            for s in scope_sums.recorded(entry)})
        rows, parts, redo, gone = [], [], set(), {}
        for rig in rigs:
            was, was_turns = old.get(rig.id, ({}, None))
            part = {k: v for k, v in was.items() if k not in specs}
            where = places.get(rig.id, [])
            for key, table in tables.items():
                prev = was.get(key)
                prev = prev if isinstance(prev, list) and len(prev) > 1 and prev[0] == table.generation else None
                share, built, made = new[rig.id].get(key, (None, [], ""))
                if shares.apply(table.sums, prev and prev[1], share):
                    redo.add(key)
                if kept.move(key, scope_sums.recorded(prev) if prev else [], where if share is not None else [],
                             prev and prev[1], share):
                    redo.add(key)
                if prev is None or prev[2:3] != [made]:  # its rows as stored are not these: written again
                    rows.extend(built)
                    before = None if prev is None else (prev[1] or {}).get("#rows", 0)
                    if before is None or before > len(built):  # rows to go (how many is unknown, or fewer now)
                        gone.setdefault((key, len(built)), []).append(rig.id)
                if share is not None:
                    part[key] = [table.generation, share, made] + ([where] if where else [])
            turns = rig.turns_at(now)
            turns = datetime.fromtimestamp(turns, UTC) if turns is not None else None
            if rig.id not in old or turns != was_turns or same(part) != same(was):
                parts.append({"rig": rig.id, "sums": part, "turns_at": turns})
        for (key, count), of in gone.items():
            ReadyRow.objects.filter(table=key, rig_id__in=of, seq__gte=count).delete()
        upsert(ReadyRow, rows, ROW_FIELDS, unique=["table", "rig", "seq"])
        upsert(ReadyPart, parts, ["sums", "turns_at"])
        every = timedelta(seconds=settings.READY_EXACT_EVERY)
        written = {row["table"] for row in rows} | {key for key, _ in gone}
        changed, counted = [], {}
        for key, table in tables.items():
            due = exact and (table.exact_at is None or now - table.exact_at > every)
            if key in redo or due:
                table.sums, found = kept.exact(key, table.generation)
                table.exact_at = now
                if due:
                    counted.update(found)
            if finish(table, specs[key], now, key in written):
                changed.append(key)
        kept.save()
        moved(scope_sums.stray(counted) if counted else [])  # rigs moved with no signal: written again
    return changed


def same(part):
    """A part as its JSON, keys sorted: equal when its numbers' values and types are (1 is not 1.0)."""
    return orjson.dumps(part, option=orjson.OPT_SORT_KEYS)


def digest(rows):
    """What a rig's rows in a table are, in 16 characters (CRC-32 and Adler-32 of their JSON: a few
    changed digits always change the CRC, and a third of the cost of a cryptographic hash): the same
    rows are not written again."""
    text = orjson.dumps(rows)
    return f"{zlib.crc32(text):08x}{zlib.adler32(text):08x}"


def finish(table, spec, now, written=True):
    """The counts and the Σ rows of a table from its sums, saved. ``spec``: (provider, source, spec);
    ``written``: some of its rows were written or deleted (in the same transaction). True when what a
    view shows beside the rows changed (its counts, its Σ rows, its columns). Its stamp is new when
    either changed: tables drawn for the old one (drawn.py) are not shown again."""
    before = (table.rows, table.problems, table.bad_rows, table.head)
    table.rows = shares.total(table.sums, "#rows", 0)
    table.problems = shares.total(table.sums, "#problems", 0)
    table.bad_rows = shares.total(table.sums, "#bad", 0)
    table.head = spec[0].head(table.key, table.sums, spec[2])
    table.built_at = now
    changed = before != (table.rows, table.problems, table.bad_rows, table.head)
    if written or changed or not table.stamp:
        table.stamp = secrets.token_hex(8)
    table.save()
    return changed


def counts(rows, bad):
    """A rig's counts in a table, for its share: rows, problem rows, rows of a rig needing attention
    (``bad``)."""
    out = {}
    if rows:
        out["#rows"] = len(rows)
        problems = sum(1 for r in rows if r["problem"])
        if problems:
            out["#problems"] = problems
        if bad:
            out["#bad"] = len(rows)
    return out


def forget(ids):
    """Take deleted rigs out of every table's totals and its scopes' (a signal, before the rows go with
    the rig)."""
    now = timezone.now()
    specs = wanted(now)
    with transaction.atomic():
        ReadyRow.objects.filter(rig_id__in=ids).delete()
        parts = list(ReadyPart.objects.filter(rig_id__in=ids).values_list("sums", flat=True))
        ReadyPart.objects.filter(rig_id__in=ids).delete()
        tables = {t.key: t for t in ReadyTable.objects.select_for_update().filter(key__in=list(specs)).order_by("key")}
        kept = scope_sums.Kept(tables, {s for part in parts for entry in (part or {}).values()
                                        if isinstance(entry, list) for s in scope_sums.recorded(entry)})
        for key, table in tables.items():
            redo = False
            for part in parts:
                prev = (part or {}).get(key)
                if isinstance(prev, list) and len(prev) > 1 and prev[0] == table.generation:
                    redo = shares.apply(table.sums, prev[1], None) or redo
                    redo = kept.move(key, scope_sums.recorded(prev), [], prev[1], None) or redo
            if redo:
                table.sums, _ = kept.exact(key, table.generation)
                table.exact_at = now
            finish(table, specs[key], now)
        kept.save()


def refresh_turned(now=None):
    """Write again the rigs whose rows turned (stale, a reason's 'since') with no newer poll, and those
    added without a signal (bulk_create: newer than any written): a view calls this before it reads, so
    a dead poller never leaves old data looking fresh. At most READY_TURNED_PER_VIEW a view: with
    pollers far behind at 100,000 rigs every rig turned within a round, and each view of each web process
    wrote 5,000 of them, timing out (benchscale). The rigs a view writes are claimed first (claim_turned):
    the views of other web processes meanwhile write others, not the same ones again. One query of three
    indexed lookups when there is nothing to do (every view asks: written by hand, as Django takes longer
    to put it together than the database to answer it)."""
    if not TURNING.acquire(blocking=False):  # another view of this process writes turned rigs: this one
        return 0                              # reads at once (views queued behind each other's writes)
    try:
        return _refresh_turned(now or timezone.now())
    finally:
        TURNING.release()


TURNING = threading.Lock()  # one view of a process at a time writes turned rigs


def _refresh_turned(now):
    part, rig = (connection.ops.quote_name(m._meta.db_table) for m in (ReadyPart, Rig))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT (SELECT rig_id FROM {part} WHERE turns_at <= %s LIMIT 1), "
                       f"(SELECT MAX(id) FROM {rig}), (SELECT MAX(rig_id) FROM {part})",
                       [connection.ops.adapt_datetimefield_value(now)])
        turned, newest, last = cursor.fetchone()
    ids, most = [], settings.READY_TURNED_PER_VIEW
    if turned is not None:
        ids = claim_turned(turned, now, most)
    if newest is not None and (last is None or newest > last) and len(ids) < most:
        ids += list(Rig.objects.filter(id__gt=last or 0).order_by("id").values_list("id", flat=True)[:most - len(ids)])
    if ids:
        try:  # a view never waits for a poller's batch (views queued behind batches for seconds, holding
            write(ids, now=now, in_view=True)  # their database connections: pages of 8-26 s under benchload)
        except Busy:
            log.info("ready rows: a batch holds the tables; %d turned rigs left to a later view", len(ids))
            return 0
    return len(ids)


def sqlite_lock(rows, field):
    """In a transaction on SQLite, a write first (``rows``' ``field`` set to itself): SQLite takes its
    write lock here, waiting for another writer, before the transaction reads what its writes depend on
    (a read first, then a write, fails at once when another writer came between). Nothing on PostgreSQL,
    whose writers lock rows (select_for_update)."""
    if connection.vendor == "sqlite":
        rows.update(**{field: F(field)})


CLAIM = timedelta(seconds=60)  # how long turned rigs claimed by a view are left to it (it failed: retried)


def claim_turned(turned, now, most):
    """Up to ``most`` turned rigs, the longest turned first, claimed for this view: their turn moved
    CLAIM ahead in one transaction, so another view (of this process or another) does not take them
    too; the view's write sets their turn for real. ``turned``: one of them (SQLite locks with it)."""
    with transaction.atomic():
        sqlite_lock(ReadyPart.objects.filter(rig_id=turned), "turns_at")
        ids = list(ReadyPart.objects.select_for_update(skip_locked=True).filter(turns_at__lte=now)
                   .order_by("turns_at").values_list("rig_id", flat=True)[:most])
        if ids:
            ReadyPart.objects.filter(rig_id__in=ids).update(turns_at=now + CLAIM)
    return ids


DUE = datetime(2000, 1, 1, tzinfo=UTC)  # a rig's turns_at when its rows are to be written at the next read


def mark(ids):
    """Have these rigs' rows written by the next view (refresh_turned) or batch, all in one go: one
    statement now, however many rigs an admin action or a test saves one by one."""
    upsert(ReadyPart, [{"rig": i, "sums": {}, "turns_at": DUE} for i in ids], ["turns_at"])


def moved(ids):
    """Rigs placed elsewhere (another site or rack, tagged or untagged: the farm app's signals): their
    rows and shares are written again at the next read or batch, and move to their new scopes' totals
    (scope_sums.py). A rig never written yet is left to its first write."""
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        ReadyPart.objects.filter(rig_id__in=ids[start:start + CHUNK]).update(turns_at=DUE)


def _rig_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        mark([instance.pk])


def _rig_deleted(sender, instance, **kwargs):
    forget([instance.pk])


def _snapshot_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        mark([instance.rig_id])


def connect():
    """A rig renamed, moved in the order, enabled or disabled, or a snapshot saved one by one (the admin,
    tests; the poller's batches call write() themselves): their rows are written at the next read. A rig
    deleted leaves the totals at once."""
    from django.db.models.signals import post_save, pre_delete

    from rigs.models import Snapshot

    post_save.connect(_rig_saved, sender=Rig, dispatch_uid="ready-rig-saved")
    pre_delete.connect(_rig_deleted, sender=Rig, dispatch_uid="ready-rig-deleted")
    post_save.connect(_snapshot_saved, sender=Snapshot, dispatch_uid="ready-snapshot-saved")
