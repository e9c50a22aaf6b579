"""Placing a farm from a CSV file: the planning and writing half (csvio.py reads and checks the lines).

``work_out(plan)`` compares the file with the farm as it is: which sites, racks and tags are new,
which racks must grow to hold the slots the file names, which slot would hold two rigs, and what
changes for each rig. ``import_csv(data, dry_run)`` plans and, unless it is a dry run or any line is
wrong, writes everything in one transaction: all or nothing.

Names of existing sites, racks and tags match whatever their case ("oslo" is the site Oslo); a new
one takes the spelling of the first line that names it.
"""

import logging

from django.db import IntegrityError, connection, transaction

from rigs.web import ready

from .csvio import Plan, decode, parse, rows_of
from .models import Placement, Rack, Site, Tag

log = logging.getLogger("minerpanel.farm")
CHUNK = 1000  # ids per IN list


def chunks(items, size=CHUNK):
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i:i + size]


def work_out(p: Plan) -> None:
    """Fill in the plan's changes, new sites, racks and tags, and its errors (slots taken twice)."""
    sites = {s.name.casefold(): s for s in Site.objects.all()}
    racks = {(r.site.name.casefold(), r.name.casefold()): r for r in Rack.objects.select_related("site")}
    tags = {t.name.casefold(): t.name for t in Tag.objects.all()}
    in_file = {line.rig.pk for line in p.lines}
    before, occupied, need = {}, {}, {}
    for rig_id, rig, site, rack, row, col in Placement.objects.values_list(
            "rig_id", "rig__name", "site__name", "rack__name", "row", "column").order_by():
        position = f"{row},{col}" if rack and row and col else ""
        before[rig_id] = (site, rack or "", position)
        if rig_id not in in_file and position:
            key = (site.casefold(), rack.casefold())
            occupied[(*key, row, col)] = (None, rig)
            grow(need, key, row, col)
    had_tags = {}
    for rig_id, name in Tag.rigs.through.objects.values_list("rig_id", "tag__name").order_by("tag__name"):
        if rig_id in in_file:
            had_tags.setdefault(rig_id, []).append(name)
    spelled = {}  # the names new sites and racks take
    for line in p.lines:
        if line.site:
            key = line.site.casefold()
            line.site = sites[key].name if key in sites else spelled.setdefault(("site", key), line.site)
        if line.rack:
            key = (line.site.casefold(), line.rack.casefold())
            line.rack = racks[key].name if key in racks else spelled.setdefault(("rack", *key), line.rack)
            grow(need, key, 0, 0)
        line.tags = list(dict.fromkeys(tags.get(t.casefold()) or spelled.setdefault(("tag", t.casefold()), t)
                                       for t in line.tags))
        if line.row is not None:
            key = (line.site.casefold(), line.rack.casefold())
            slot = (*key, line.row, line.column)
            if slot in occupied:
                number, rig = occupied[slot]
                where = f"row {line.row}, column {line.column} of {line.site} / {line.rack}"
                p.errors.append(f"line {line.number}: {where} is given to {rig} on line {number} too" if number
                                else f"line {line.number}: {where} holds {rig}, which this file does not move")
                continue
            occupied[slot] = (line.number, line.rig.name)
            grow(need, key, line.row, line.column)
        describe(p, line, before.get(line.rig.pk, ("", "", "")), had_tags.get(line.rig.pk, []))
    p.new_sites = list(dict.fromkeys(line.site for line in p.lines if line.site and line.site.casefold() not in sites))
    p.new_tags = [name for key, name in spelled.items() if key[0] == "tag"]
    for key, (rows, cols) in need.items():
        rack = racks.get(key)
        if rack is None:
            site = next(line.site for line in p.lines if line.site.casefold() == key[0])
            name = next(line.rack for line in p.lines if (line.site.casefold(), line.rack.casefold()) == key)
            p.new_racks[(site, name)] = (max(1, rows), max(1, cols))
        elif rows > rack.rows or cols > rack.columns:
            size = (max(rows, rack.rows), max(cols, rack.columns))
            p.grown_racks[rack.pk] = size
            p.notes.append(f"rack {rack.site.name} / {rack.name} grows from {rack.rows}×{rack.columns} to "
                           f"{size[0]}×{size[1]} to hold the slots the file names")


def grow(need, key, row, col):
    rows, cols = need.get(key, (0, 0))
    need[key] = (max(rows, row or 0), max(cols, col or 0))


def describe(p, line, was, had):
    site, rack, position = was
    now_position = f"{line.row},{line.column}" if line.row is not None else ""
    parts = []
    if site != line.site:
        parts.append(f"site {site or '—'} → {line.site or '—'}")
    if rack != line.rack:
        parts.append(f"rack {rack or '—'} → {line.rack or '—'}")
    if position != now_position:
        parts.append(f"slot {position or '—'} → {now_position or '—'}")
    added = [t for t in line.tags if t not in had]
    removed = [t for t in had if t not in line.tags]
    if added or removed:
        parts.append("tags " + " ".join([f"+{t}" for t in added] + [f"−{t}" for t in removed]))
    if parts:
        p.changed += 1
        p.changes.append(f"line {line.number}: {line.rig.name}: " + "; ".join(parts))
    else:
        p.unchanged += 1


def write(p: Plan) -> None:
    """Write a checked plan (inside the caller's transaction)."""
    Site.objects.bulk_create([Site(name=name) for name in p.new_sites])
    sites = {s.name: s for s in Site.objects.all()}
    Rack.objects.bulk_create([Rack(site=sites[site], name=name, rows=rows, columns=cols)
                              for (site, name), (rows, cols) in p.new_racks.items()])
    for pk, (rows, cols) in p.grown_racks.items():
        Rack.objects.filter(pk=pk).update(rows=rows, columns=cols)
    racks = {(r.site_id, r.name): r for r in Rack.objects.all()}
    Tag.objects.bulk_create([Tag(name=name) for name in p.new_tags])
    tags = dict(Tag.objects.values_list("name", "id"))
    ids = [line.rig.pk for line in p.lines]
    existing = set()
    for part in chunks(ids):  # out of their slots first: rigs may swap places
        Placement.objects.filter(rig_id__in=part).update(row=None, column=None)
        existing.update(Placement.objects.filter(rig_id__in=part).values_list("rig_id", flat=True))
    gone = [line.rig.pk for line in p.lines if not line.site]
    for part in chunks(gone):
        Placement.objects.filter(rig_id__in=part).delete()
    placed = [Placement(rig_id=line.rig.pk, site=sites[line.site],
                        rack=racks[(sites[line.site].pk, line.rack)] if line.rack else None,
                        row=line.row, column=line.column) for line in p.lines if line.site]
    Placement.objects.bulk_update([x for x in placed if x.rig_id in existing], ["site", "rack", "row", "column"],
                                  batch_size=500)
    Placement.objects.bulk_create([x for x in placed if x.rig_id not in existing], batch_size=500)
    through = Tag.rigs.through
    for part in chunks(ids):
        through.objects.filter(rig_id__in=part).delete()
    through.objects.bulk_create([through(tag_id=tags[t], rig_id=line.rig.pk) for line in p.lines for t in line.tags],
                                batch_size=1000)
    ready.moved(ids)  # (bulk writes send no signal)


def plan(data):
    """Read and check a placement CSV (bytes) and work out what importing it changes; writes nothing."""
    p = Plan()
    text = decode(data, p.errors)
    if text is None:
        return p
    rows = rows_of(text, p.errors)
    if not rows and not p.errors:
        p.errors.append("the file has no rig")
    p.lines = parse(rows, p.errors)
    if p.errors:
        return p
    work_out(p)
    return p


def import_csv(data: bytes, dry_run: bool = False) -> Plan:
    """Plan the file and, when nothing is wrong and it is no dry run, write it: all or nothing."""
    try:
        with transaction.atomic():
            if not dry_run and connection.vendor == "sqlite":
                # SQLite's write lock first (a write of no row): a transaction that read, then wrote, failed
                # at once with "database is locked" when the poller had written in between (browser tests)
                Site.objects.filter(pk=0).update(name="")
            p = plan(data)
            if not p.errors and not dry_run:
                write(p)
    except IntegrityError as exc:  # another change to the farm between the plan and the write
        log.warning("placement import refused by the database: %s", exc)
        p = Plan(errors=[f"the farm changed while the file was imported ({exc}); nothing was written: try again"])
    return p
