"""Insert-or-update many rows in one statement per batch, without the ORM's work per value.

bulk_create(update_conflicts=True) builds a model instance and prepares every value
of every row through the field classes; for the poller's snapshots that cost more
than the rigs' replies themselves. Here each column's adaptation is looked up once
per batch. The SQL, ``INSERT ... ON CONFLICT (pk) DO UPDATE SET c = EXCLUDED.c``, is
the same on PostgreSQL and SQLite.
"""

import functools
import json

from django.db import connection, models


def _adapter(field):
    if isinstance(field, models.JSONField):
        return (field.encoder or json.JSONEncoder)().encode
    if isinstance(field, models.DateTimeField):  # a batch's rows share their times: adapted once each
        return functools.lru_cache(maxsize=8)(connection.ops.adapt_datetimefield_value)
    return None


def upsert(model, rows, update_fields, batch_size=200):
    """``rows``: dicts of field name -> value (a foreign key by its id), all with the same keys,
    the primary key among them; existing rows get ``update_fields`` from the new ones."""
    if not rows:
        return
    meta, qn = model._meta, connection.ops.quote_name
    names = list(rows[0])
    fields = [meta.get_field(n) for n in names]
    adapters = list(zip(names, [_adapter(f) for f in fields]))
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    one = "(" + ", ".join("%s" + cast if isinstance(f, models.JSONField) else "%s" for f in fields) + ")"
    head = (f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) VALUES ")
    tail = (f" ON CONFLICT ({qn(meta.pk.column)}) DO UPDATE SET "
            + ", ".join(f"{qn(c)} = EXCLUDED.{qn(c)}" for c in (meta.get_field(n).column for n in update_fields)))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start:start + batch_size]
            params = [row[name] if adapt is None else adapt(row[name]) for row in batch for name, adapt in adapters]
            cursor.execute(head + ", ".join([one] * len(batch)) + tail, params)
