"""Reading ready rows (ready.py) for one view: one page of a table by an indexed query, its counts and
Σ rows from its ReadyTable. Nothing of the farm is kept in the process between requests.

A table of up to ``limit`` rows is shown whole, in rig order (miner.php's page); a longer one shows
the problem rows first, then the others, ``limit`` a page; a filter keeps the rows whose text holds
every word (paging.py has the rules, over plain indices). A view for a site, a rack or a tag
(``?site=&rack=&tag=``, scopes.py) reads the rows of its rigs only, ``rig_id IN`` the scope's query, and its
counts and Σ rows from those rigs' shares (scoped()): what it shows is theirs, not the farm's.
"""

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from minerpanel.tiers import SYS, tier
from rigs.models import ReadyPart, ReadyRow, ReadyTable, Rig

from . import paging, ready, scope_sums, scopes, shares, tables
from .drawn import drawn, kept
from .overview_tables import DEVICE_COLUMNS, POOL_COLUMNS, SUMMARY_COLUMNS
from .ready_farm import FARM, KEYS
from .view_models import RIG_COLUMNS, RIGBAR_MAX, RIGBAR_NAMES, rig_bar

BAD = ("warn", "err")
OWN_ORDER = ("order", "name", "seq")
PROBLEMS_FIRST = ("-problem", "order", "name", "seq")
TOTALLED = ("summary", "devs")  # the Overview's tables with Σ rows (a filtered view adds up their rigs' shares)
FARM_TABLES = (("rigs", "rigs", "Rigs", RIG_COLUMNS), ("summary", "summary", "Summary", SUMMARY_COLUMNS),
               ("devs", "devices", "Devices", DEVICE_COLUMNS), ("pools", "pools", "Pools", POOL_COLUMNS))


def ready_tables(keys, now, specs=None, turned=True, found=None):
    """{key: ReadyTable} of these tables, each rigs' rows written again first where they turned
    (``turned``), and a table built whole where it never was, or was from another definition.
    ``specs``: ready.wanted()'s of these keys, when the caller has them; ``found``: {key: ReadyTable}
    the caller read just now (else they are read here)."""
    if turned:
        ready.refresh_turned(now)
    if found is None:
        found = {t.key: t for t in ReadyTable.objects.filter(key__in=list(keys))}
    else:
        found = {k: found[k] for k in keys if k in found}
    specs = ready.wanted(now, keys) if specs is None else specs
    missing = [k for k, (_, source, _) in specs.items() if k not in found or found[k].source != source]
    ready.rebuild_many({key: specs[key] for key in missing}, now)  # (one pass over the rigs for all of them)
    if missing:
        found = {t.key: t for t in ReadyTable.objects.filter(key__in=list(keys))}
    return found


def scoped(ready_table, spec, rig_ids, totals=True):
    """The table as the rigs of ``rig_ids`` (a query of ids: scopes.rig_ids) make it (never saved): its
    counts, and with ``totals`` what is drawn beside its rows (Σ rows, columns) from those rigs' shares;
    without, the farm's head (a table with no Σ row). ``spec``: ready.wanted()'s (provider, source, spec).
    One site, one rack or one tag: the sums the writer keeps for it (scope_sums.py, one indexed query
    whatever the farm). Two or three (site AND tag): the chosen rigs' shares added up by the database
    (scoped_sums), or with no ``totals`` their rows counted (one indexed query; both grow with the scope)."""
    key = ready_table.key
    out = ReadyTable(key=key, source=ready_table.source, generation=ready_table.generation,
                     built_at=ready_table.built_at, head=ready_table.head, sums={})
    scope = scopes.kept(rig_ids)
    if not totals and scope is None:
        found = ReadyRow.objects.filter(table=key, rig_id__in=rig_ids).aggregate(
            rows=Count("pk"), problems=Count("pk", filter=Q(problem=True)),
            bad=Count("pk", filter=Q(problem=True, state__in=BAD)))
        out.rows, out.problems, out.bad_rows = found["rows"], found["problems"], found["bad"]
        return out
    sums = scope_sums.of(key, scope) if scope is not None else scoped_sums(key, ready_table.generation, rig_ids)
    out.rows, out.problems = shares.total(sums, "#rows", 0), shares.total(sums, "#problems", 0)
    out.bad_rows = shares.total(sums, "#bad", 0)
    if totals:
        out.sums, out.head = sums, spec[0].head(key, sums, spec[2])
    return out


def scoped_sums(key, generation, rig_ids):
    """What shares.add_up() makes of the shares in table ``key`` (of ``generation``) of the rigs ``rig_ids``
    (a queryset of ids, or ids), added up by the database: one row per name, however many rigs (decoding
    5,000 shares in Python took about 0.3 s a table)."""
    if not hasattr(rig_ids, "query"):
        rig_ids = Rig.objects.filter(id__in=list(rig_ids)).values("id")
    try:
        sub, params = rig_ids.order_by().query.sql_with_params()  # (no ordering: one column, DISTINCT or not)
    except EmptyResultSet:
        return {}
    part = connection.ops.quote_name(ReadyPart._meta.db_table)
    # each rig's [generation, share] taken out of its parts once, then only that small value read again
    if connection.vendor == "postgresql":  # (materialized: else each use of x.s reads the parts again)
        sql = (f"WITH x AS MATERIALIZED (SELECT p.sums -> %s AS s FROM {part} p WHERE p.rig_id IN ({sub})) "
               f"SELECT j.key, SUM(j.value::float8), MAX(j.value::float8), COUNT(*), "
               f"SUM((strpos(j.value, '.') > 0)::int) FROM x CROSS JOIN LATERAL jsonb_each_text("
               f"CASE WHEN jsonb_typeof(x.s -> 1) = 'object' THEN x.s -> 1 END) j WHERE x.s ->> 0 = %s GROUP BY j.key")
        args = [key, *params, generation]
    else:
        sql = (f"SELECT j.key, SUM(j.value), MAX(j.value), COUNT(*), SUM(j.type = 'real') "
               f"FROM (SELECT json_extract(p.sums, %s) AS s FROM {part} p WHERE p.rig_id IN ({sub})) x, "
               f"json_each(x.s, '$[1]') j WHERE json_extract(x.s, '$[0]') = %s GROUP BY j.key")
        args = ['$."' + key.replace('"', "") + '"', *params, generation]
    sums = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        for name, total, largest, n, floats in cursor.fetchall():
            if not isinstance(name, str):
                continue  # (not a share: a list's index)
            value = largest if name.startswith(shares.MAX) else total
            if not floats and isinstance(value, float) and value.is_integer():
                value = int(value)  # (PostgreSQL adds up in float8)
            sums[name] = [value, n, floats]
    return sums


def page_rows(ready_table, table_id, params, limit, only_bad=False, rig_ids=None):
    """([(html, sys_html, rig id)] of the rows this view shows, in order; paging.Pager, or None when the
    table is shown whole). ``only_bad``: the rows of rigs needing attention only (the Overview's "problems").
    ``rig_ids``: the rows of these rigs only (a scope's query; ``ready_table`` then is scoped()'s)."""
    choice = paging.choice_of(params, table_id)
    rows = ReadyRow.objects.filter(table=ready_table.key)
    if rig_ids is not None:
        rows = rows.filter(rig_id__in=rig_ids)
    n, n_problems = ready_table.rows, ready_table.problems
    if only_bad:
        rows = rows.filter(problem=True, state__in=BAD)
        n = n_problems = ready_table.bad_rows
    if n <= limit and not choice.words and not choice.problems:
        return list(rows.order_by(*OWN_ORDER).values_list("html", "sys_html", "rig_id")), None
    total = n
    if choice.words:
        for word in choice.words:
            rows = rows.filter(text__contains=word)
        total, n_problems = rows.count(), rows.filter(problem=True).count()
    if choice.problems:
        rows, total = rows.filter(problem=True), n_problems
    page, _ = paging.pages_of(total, limit, choice)
    found = list(rows.order_by(*PROBLEMS_FIRST)[(page - 1) * limit:page * limit].values_list(
        "html", "sys_html", "rig_id"))
    return found, paging.pager(table_id, total, n, n_problems, page, len(found), limit, choice, params)


def table_of(ready_table, table_id, title, columns, params, limit, sys=False, only_bad=False, cards=False,
             now=None, rig_ids=None, foot="", note="", shared=True):
    """One page of a ready table of built rows as a tables.Table, its section drawn (templates/_table.html;
    once for every viewer of the same: drawn.py). ``foot``, ``note``: drawn with it."""
    now = (now or timezone.now()).timestamp()

    def draw():
        found, pager = page_rows(ready_table, table_id, params, limit, only_bad, rig_ids)
        t = tables.Table(table_id, title, columns + ([("Address", False)] if sys else []), cards=cards)
        t.rows = [tables.Row([], "", html[:-5] + extra + "</tr>" if sys else html) for html, extra, _ in found]
        t.pager, t.foot, t.note = pager, foot, note
        t.shows = (ready_table.key, {rig for _, _, rig in found})
        return t

    view = (table_id, sorted(params.items()), limit, sys, only_bad, cards, foot, note)
    return drawn(ready_table if rig_ids is None else None, view, draw, now, shared)


def farm_context(user, now=None, problems=False, params=None):
    """The Overview's tables for one view. ``problems``: only the rows of rigs needing attention (the
    summary's totals still count every rig; the devices' those shown). A site, rack or tag in ``params``:
    the rows, counts and Σ rows of its rigs only."""
    now = now or timezone.now()
    found = ready_tables(KEYS, now)
    params = paging.flat(params or {})
    rig_ids = scopes.rig_ids(params)
    sys = tier(user) == SYS
    out, shown = [], {}
    for key, table_id, title, columns in FARM_TABLES:
        table = (found[key] if rig_ids is None
                 else scoped(found[key], (FARM, "", None), rig_ids, totals=key in TOTALLED))
        shown[key] = table
        head = table.head or {}
        out.append(table_of(table, table_id, title, columns, params, settings.TABLE_ROWS, sys and key == "rigs",
                            problems, cards=key == "rigs", now=now, rig_ids=rig_ids,
                            foot=head.get("foot_bad" if problems and key == "devs" else "foot", ""),
                            note=head.get("note", "")))
    head = found["rigs"].head or {}  # the header's count and the rig bar are the farm's
    return {"attention": head.get("attention", 0), "tables": out, "now": now, "problems": problems,
            "scope": scopes.context(params, shown["rigs"].rows if rig_ids is not None else None),
            **rig_bar_of(head.get("enabled", 0), found["rigs"].stamp)}


def rigs_block(user, params, limit, now, turned=True, shared=True, found=None):
    """A custom page's RIGS section: the Overview's Rigs table, one page of it. ``found``: ready_tables()'s
    ``found``."""
    found = ready_tables(("rigs",), now, turned=turned, found=found)
    rig_ids = scopes.rig_ids(params)
    table = found["rigs"] if rig_ids is None else scoped(found["rigs"], (FARM, "", None), rig_ids, totals=False)
    return table_of(table, "rigs", "Rigs", RIG_COLUMNS, params, limit, tier(user) == SYS if user else False,
                    cards=True, now=now, rig_ids=rig_ids, shared=shared)


def attention():
    """How many enabled rigs need attention (the header's count)."""
    head = ReadyTable.objects.filter(key="rigs").values_list("head", flat=True).first()
    return (head or {}).get("attention", 0)


def farm_states():
    """[{"pk", "name", "state"}] of the enabled rigs, in the panel's order (the rig bar's buttons)."""
    found = ReadyRow.objects.filter(table="rigs", rig__enabled=True).order_by(*OWN_ORDER)
    return [{"pk": pk, "name": name, "state": state}
            for pk, name, state in found.values_list("rig_id", "name", "state")]


def rig_bar_of(enabled=None, stamp=""):
    """The rig bar of ``enabled`` rigs (None: count them): buttons for a handful, else a filter box
    offering RIGBAR_NAMES names, in no order (the box finds any rig by any part of its name), drawn once
    for every view of the Rigs table's ``stamp``."""
    if enabled is None:  # the rig page's: the Rigs table, its turned rigs written first (built if never)
        table = ready_tables(("rigs",), timezone.now()).get("rigs")
        head, stamp = (table.head, table.stamp) if table else ({}, "")
        enabled = (head or {}).get("enabled", 0)
    if enabled <= RIGBAR_MAX:
        return rig_bar(farm_states(), enabled)

    def names_bar():
        names = ReadyRow.objects.filter(table="rigs").values_list("name", flat=True)[:RIGBAR_NAMES]
        return rig_bar([{"name": name} for name in names], enabled)

    return kept(("rig bar", stamp, enabled), names_bar) if stamp else names_bar()


def neighbours(rig):
    """(previous, next) enabled rig ids around ``rig`` in the panel's order, wrapping round; None with one.
    Each is the first of an index range (rig_panel_order): the same rig order and a later name, else a
    later order, else the first rig (at 1,000 rigs the query of either in one ORDER BY took 10 ms)."""
    if not rig.enabled:
        return None, None
    rigs = Rig.objects.filter(enabled=True).values_list("pk", flat=True)
    after = (rigs.filter(order=rig.order, name__gt=rig.name).order_by("name").first()
             or rigs.filter(order__gt=rig.order).order_by("order", "name").first()
             or rigs.order_by("order", "name").first())
    before = (rigs.filter(order=rig.order, name__lt=rig.name).order_by("-name").first()
              or rigs.filter(order__lt=rig.order).order_by("-order", "-name").first()
              or rigs.order_by("-order", "-name").first())
    if after is None or after == rig.pk:
        return None, None
    return before, after
