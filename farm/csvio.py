"""Placing a farm from a CSV file, and writing one: the reading, checking and planning half.

One line per rig: ``rig, site, rack, row, column, tags``. The rig is its name, or its address
(``host`` when one rig has it, ``host:port``); tags are separated by ``;`` or ``|``. A header line
naming the columns is optional (without one, the columns are in that order); the file may be
comma-, semicolon- (Excel in most of Europe) or tab-separated, UTF-8 with or without a BOM, with
CRLF or LF line ends. Each line says everything about its rig: an empty site takes it out of its
site, empty tags take its tags off. Rigs the file does not name are left as they are.

``plan(data)`` checks every line and works out the changes (nothing is written): each problem is
named with its line number. ``csvapply.apply(plan)`` writes them, all or nothing.
"""

import csv
import io
from dataclasses import dataclass, field

from django.conf import settings

from rigs.models import Rig

from .models import MAX_COLUMNS, MAX_ROWS, NAME, Placement, Tag

COLUMNS = ("rig", "site", "rack", "row", "column", "tags")
ALIASES = {"rig": "rig", "name": "rig", "miner": "rig", "host": "rig", "address": "rig", "site": "site",
           "rack": "rack", "row": "row", "column": "column", "col": "column", "tags": "tags", "tag": "tags"}
FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula: exported with a ' before
SHOWN = 1000  # changes listed at most (the rest counted)


@dataclass
class Line:
    number: int
    rig: Rig
    site: str
    rack: str
    row: int | None
    column: int | None
    tags: list[str]


@dataclass
class Plan:
    lines: list[Line] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    new_sites: list[str] = field(default_factory=list)
    new_racks: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)  # (site, rack): (rows, columns)
    grown_racks: dict[int, tuple[int, int]] = field(default_factory=dict)  # rack id: (rows, columns)
    new_tags: list[str] = field(default_factory=list)
    changed: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self):
        """What the plan does, in words, one line each (the dry run's answer, the audit row's message)."""
        out = [f"{self.changed} rig(s) change, {self.unchanged} stay as they are."]
        out += [f"new site {name}" for name in self.new_sites]
        out += [f"new rack {site} / {rack}, {rows} row(s) × {cols} column(s) (sized to fit)"
                for (site, rack), (rows, cols) in self.new_racks.items()]
        out += self.notes
        out += [f"new tag {name}" for name in self.new_tags]
        out += self.changes[:SHOWN]
        if len(self.changes) > SHOWN:
            out.append(f"… and {len(self.changes) - SHOWN} more change(s)")
        return out


def unquote(cell):
    """A cell as written: the ' our export puts before a formula character is taken off again."""
    cell = cell.strip()
    return cell[1:] if len(cell) > 1 and cell[0] == "'" and cell[1] in FORMULA else cell


def decode(data, errors):
    """The file's text, or None with the reason in ``errors``."""
    limit = settings.FARM_CSV_MAX_BYTES
    if len(data) > limit:
        errors.append(f"the file is {len(data):,} bytes, more than FARM_CSV_MAX_BYTES ({limit:,}): split it")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        errors.append(f"line {line}: not UTF-8 (byte {exc.start + 1} of the file); in Excel, save as "
                      "“CSV UTF-8 (comma delimited)”")
        return None


def separator(first_line):
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def rows_of(text, errors):
    """[(line number, [cells])] of the non-empty lines, the header taken off and its columns mapped:
    each row as a dict of COLUMNS."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator(first))
    out, columns = [], None
    try:
        for cells in reader:
            number = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(out) >= settings.FARM_CSV_MAX_ROWS:
                errors.append(f"line {number}: more than FARM_CSV_MAX_ROWS ({settings.FARM_CSV_MAX_ROWS:,}) rigs: "
                              "split the file")
                return []
            if columns is None:
                columns = header(cells, number, errors)
                if columns is not None:
                    continue
                columns = list(COLUMNS)
            while len(cells) > len(columns) and not cells[-1].strip():
                cells = cells[:-1]  # a spreadsheet's trailing separators
            if len(cells) > len(columns):
                errors.append(f"line {number}: {len(cells)} cells, but {len(columns)} columns "
                              f"({', '.join(columns)})")
                continue
            out.append((number, {c: unquote(v) for c, v in zip(columns, cells)}))
    except csv.Error as exc:
        errors.append(f"line {reader.line_num}: {exc}")
    return out


def header(cells, number, errors):
    """The columns a header line names, or None when the line is not a header."""
    names = [unquote(c).lower() for c in cells]
    if names[0] not in ALIASES:
        return None
    columns = []
    for name in names:
        if name not in ALIASES:
            errors.append(f"line {number}: unknown column '{name[:40]}' (known: {', '.join(COLUMNS)})")
            columns.append("?")
        elif ALIASES[name] in columns:
            errors.append(f"line {number}: the column {ALIASES[name]} is named twice")
            columns.append("?")
        else:
            columns.append(ALIASES[name])
    for needed in ("rig", "site"):
        if needed not in columns:
            errors.append(f"line {number}: no '{needed}' column")
    return columns


class Rigs:
    """Finding a file's rig by its name or its address."""

    def __init__(self):
        rigs = list(Rig.objects.only("id", "name", "host", "port"))
        self.by_name = {r.name: r for r in rigs}
        self.by_address, self.by_host = {}, {}
        for r in rigs:
            self.by_address[(r.host.lower(), r.port)] = r
            self.by_host.setdefault(r.host.lower(), []).append(r)

    def find(self, key):
        """(rig, None) or (None, why not)."""
        if key in self.by_name:
            return self.by_name[key], None
        host, port = key.lower(), None
        if host.startswith("[") and "]" in host:  # [::1]:4028
            host, _, rest = host[1:].partition("]")
            port = rest[1:] if rest.startswith(":") else None
        elif host.count(":") == 1:
            host, port = host.split(":")
        if port is not None:
            found = self.by_address.get((host, int(port))) if port.isdigit() else None
            return (found, None) if found else (None, f"no rig named or at '{key[:80]}'")
        found = self.by_host.get(host, [])
        if len(found) == 1:
            return found[0], None
        if found:
            return None, f"{len(found)} rigs are at {key[:80]}: give host:port or the rig's name"
        return None, f"no rig named or at '{key[:80]}'"


def whole(text, name, limit, number, errors):
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= limit:
        errors.append(f"line {number}: {name} '{text[:20]}' is not a whole number from 1 to {limit}")
        return None
    return int(text)


def good_name(text, what, number, errors):
    if len(text) > NAME:
        errors.append(f"line {number}: the {what} name '{text[:40]}…' is longer than {NAME} characters")
        return False
    if any(c in text for c in "\r\n\t"):
        errors.append(f"line {number}: the {what} name holds a line break or a tab")
        return False
    return True


def parse(rows, errors):
    """The lines as Line objects (the rig found, numbers read); each problem named with its line."""
    rigs, seen, out = Rigs(), {}, []
    for number, row in rows:
        key = row.get("rig", "")
        rig, why = rigs.find(key) if key else (None, "no rig given")
        if rig is None:
            errors.append(f"line {number}: {why}")
            continue
        if rig.pk in seen:
            errors.append(f"line {number}: {rig.name} is on line {seen[rig.pk]} already")
            continue
        seen[rig.pk] = number
        site, rack = row.get("site", ""), row.get("rack", "")
        r_text, c_text = row.get("row", ""), row.get("column", "")
        r = whole(r_text, "row", MAX_ROWS, number, errors)
        c = whole(c_text, "column", MAX_COLUMNS, number, errors)
        if (r_text and r is None) or (c_text and c is None):
            continue  # said above
        tags = []
        for tag in row.get("tags", "").replace("|", ";").split(";"):
            tag = tag.strip()
            if tag and good_name(tag, "tag", number, errors) and tag not in tags:
                tags.append(tag)
        if not (good_name(site, "site", number, errors) and good_name(rack, "rack", number, errors)):
            continue
        if bool(r_text) != bool(c_text):
            errors.append(f"line {number}: a slot needs both its row and its column")
            continue
        if rack and not site:
            errors.append(f"line {number}: rack {rack} without a site")
            continue
        if r is not None and not rack:
            errors.append(f"line {number}: row {r}, column {c} without a rack")
            continue
        out.append(Line(number, rig, site, rack, r, c, tags))
    return out


def export(out, delimiter=","):
    """Every rig's place and tags as CSV into the text stream ``out`` (a cell a spreadsheet would run as
    a formula gets a ' before it: = + - @, a tab or a CR). Importing it again changes nothing."""
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    places = {p.rig_id: p for p in Placement.objects.select_related("site", "rack")}
    tags = {}
    for rig_id, name in Tag.rigs.through.objects.values_list("rig_id", "tag__name").order_by("tag__name"):
        tags.setdefault(rig_id, []).append(name)
    count = 0
    for rig in Rig.objects.only("id", "name").order_by("name"):
        p = places.get(rig.pk)
        cells = [rig.name, p.site.name if p else "", p.rack.name if p and p.rack_id else "",
                 p.row if p and p.rack_id and p.row else "", p.column if p and p.rack_id and p.column else "",
                 "|".join(tags.get(rig.pk, []))]
        writer.writerow([safe(str(c)) for c in cells])
        count += 1
    return count


def safe(cell):
    return "'" + cell if cell.startswith(FORMULA) else cell

