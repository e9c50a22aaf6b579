"""Insert-or-update many rows in one statement per batch, without the ORM's work per value.

bulk_create(update_conflicts=True) builds a model instance and prepares every value
of every row through the field classes; for the poller's snapshots that cost more
than the rigs' replies themselves. Here each column's adaptation is looked up once
per batch.

SQLite: ``INSERT ... VALUES (...), (...) ON CONFLICT (pk) DO UPDATE SET c = EXCLUDED.c``.
PostgreSQL: the rows are COPYed into a temporary table of the same shape, then one
``INSERT ... SELECT ... ON CONFLICT`` moves them: a multi-row VALUES with thousands of
parameters is quoted into the SQL text one value at a time by the driver, which cost the
poller more CPU than building the snapshots.
"""

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import connection, models, transaction


def _adapter(field: Any) -> Callable[[Any], Any] | None:
    if isinstance(field, models.JSONField):
        return (field.encoder or json.JSONEncoder)().encode
    if isinstance(field, models.DateTimeField):  # a batch's rows share their times: adapted once each
        return functools.lru_cache(maxsize=8)(connection.ops.adapt_datetimefield_value)
    return None


# Column types COPY may send in binary: the text format escapes every byte of a snapshot's JSON
# (7 µs a row). Not int2/int4/float4, whose binary form would wrap or round a value the text form
# refuses (a rig's counter beyond 2^31).
_BINARY_SAFE = {"int8", "float8", "bool", "text", "varchar", "jsonb", "timestamptz"}


def _pg_types(cursor: Any, table: str) -> dict[str, tuple[int, str]]:
    """{column: (type oid, type name)} of a table as it is now (asked per batch: a migration may
    have changed it since; it costs a fraction of a millisecond)."""
    cursor.execute("SELECT a.attname, a.atttypid, t.typname FROM pg_attribute a "
                   "JOIN pg_type t ON t.oid = a.atttypid "
                   "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped", [table])
    return {name: (oid, typname) for name, oid, typname in cursor.fetchall()}


@functools.cache
def _jsonb_text() -> type:
    """A psycopg dumper for JSON already encoded (the fields' encoders made it), in jsonb's binary
    form: a version byte, then the text."""
    from psycopg.adapt import Dumper
    from psycopg.pq import Format

    class JsonbText(Dumper):
        format = Format.BINARY
        oid = 3802  # jsonb

        def dump(self, obj: str) -> bytes:
            return b"\x01" + obj.encode()

    return JsonbText


def upsert(model: Any, rows: Sequence[Mapping[str, Any]], update_fields: Sequence[str], batch_size: int = 200,
           unique: Sequence[str] | None = None) -> None:
    """``rows``: dicts of field name -> value (a foreign key by its id), all with the same keys,
    the primary key among them unless ``unique`` names the fields of another unique constraint;
    existing rows get ``update_fields`` from the new ones (none: they are left as they are)."""
    if not rows:
        return
    meta, qn = model._meta, connection.ops.quote_name
    names = list(rows[0])
    fields = [meta.get_field(n) for n in names]
    adapters = list(zip(names, [_adapter(f) for f in fields]))
    columns = ", ".join(qn(f.column) for f in fields)
    target = ", ".join(qn(meta.get_field(n).column) for n in unique) if unique else qn(meta.pk.column)
    tail = f" ON CONFLICT ({target}) " + ("DO UPDATE SET " + ", ".join(
        f"{qn(c)} = EXCLUDED.{qn(c)}" for c in (meta.get_field(n).column for n in update_fields))
        if update_fields else "DO NOTHING")

    def values(batch: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
        return [[row[name] if adapt is None else adapt(row[name]) for name, adapt in adapters] for row in batch]

    if connection.vendor == "postgresql":
        staging = qn(f"{meta.db_table}_in")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} "
                           f"(LIKE {qn(meta.db_table)} INCLUDING DEFAULTS INCLUDING IDENTITY) ON COMMIT DELETE ROWS")
            known = _pg_types(cursor, staging)  # the table COPY writes into, this session's
            types = [known[f.column] for f in fields]
            binary = all(name in _BINARY_SAFE for _, name in types)
            if binary:
                cursor.cursor.adapters.register_dumper(None, _jsonb_text())
            form = " (FORMAT BINARY)" if binary else ""
            with cursor.cursor.copy(f"COPY {staging} ({columns}) FROM STDIN{form}") as copy:
                if binary:
                    copy.set_types([oid for oid, _ in types])
                for row in values(rows):
                    copy.write_row(row)
            cursor.execute(f"INSERT INTO {qn(meta.db_table)} ({columns}) SELECT {columns} FROM {staging}{tail}")
            cursor.execute(f"DELETE FROM {staging}")  # another upsert may follow in this transaction
        return
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    head = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES "
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start:start + batch_size]
            cursor.execute(head + ", ".join([one] * len(batch)) + tail, [v for row in values(batch) for v in row])
