"""The rack map's grids as HTML, written here rather than in a template: 5,000 cells through the
template engine cost more than the whole page may. Every name and text is escaped.

Each rack is a CSS grid of ``columns`` columns (a class cols-N of farm/static/farm/map.css: the
Content-Security-Policy allows no inline style) whose slots are written row by row, empty ones
included, so each machine lands at its row and column without a style of its own."""

from html import escape  # as django.utils.html.escape, without its lazy-string wrapper: 5,000 cells

from django.urls import reverse
from django.utils.safestring import mark_safe

from .rackmap import Cell, RackView, SiteMap


def rig_url():
    return reverse("rig_detail", args=[999999999]).replace("999999999", "%d")


def cell_html(cell: Cell, url: str, label: str = "") -> str:
    """A machine's cell: its text is the map's own (a figure, ✖ or ⚠), its name and title are escaped."""
    return (f'<a class="c {cell.css}" href="{url % cell.rig_id}" title="{escape(cell.title)}">'
            f'{escape(label) if label else cell.text}</a>')


def rack_html(rack: RackView, url: str) -> str:
    slots = {(c.row, c.column): c for c in rack.cells}
    parts = [f'<div class="grid cols-{rack.columns}">']
    for r in range(1, rack.rows + 1):
        for c in range(1, rack.columns + 1):
            cell = slots.get((r, c))
            parts.append(cell_html(cell, url) if cell else f'<i title="{r},{c} empty"></i>')
    parts.append("</div>")
    return "".join(parts)


def racks_html(m: SiteMap) -> str:
    """Every rack of the map, then the site's rigs outside them; safe to put in a template as it is."""
    url = rig_url()
    out = []
    for rack in m.racks:
        maint = sum(1 for c in rack.cells if c.maintenance)
        note = f" · {maint} in maintenance" if maint else ""
        out.append(f'<section class="rack" aria-label="Rack {escape(rack.name)}"><h3>{escape(rack.name)} '
                   f'<small>{rack.rows}×{rack.columns} · {len(rack.cells)} rig{"" if len(rack.cells) == 1 else "s"}'
                   f'{note}</small></h3>{rack_html(rack, url)}</section>')
    if m.loose:
        items = "".join(f"<li>{cell_html(c, url, c.name)}</li>" for c in m.loose)
        count = f'{len(m.loose)} rig{"" if len(m.loose) == 1 else "s"}'
        out.append(f'<section class="rack loose" aria-label="Outside racks"><h3>Outside racks or slots '
                   f'<small>{count}</small></h3><ul>{items}</ul></section>')
    return mark_safe("".join(out))  # noqa: S308 (every part above is escaped)
