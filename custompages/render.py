"""A custom page's blocks for one view. The pages read ready rows (page_read.py, written by the poller's
side: ready.py); the API asks for every row (``whole``), which is computed here from the snapshots, by
the engine, at the time of asking."""

import logging

from django.utils import timezone

from minerpanel.tiers import SYS, tier
from rigs.web import paging, rigdata, view_models
from rigs.web.display import date_box

from . import engine, page_read
from .cells import problems_of, row_text, to_table
from .inputs import engine_rig, needed_sections, places
from .models import MAX_ROWS, PageSection

log = logging.getLogger("minerpanel.pages")


def sections_in_use():
    """Every section a custom page names, so the poller has the drivers ask for them (a hook, apps.py)."""
    return PageSection.objects.values_list("section", flat=True).distinct()


def page_context(user, page, params=None, whole=False, shared=True):
    """The page's blocks for one view. Long tables show the rows of rigs needing attention first
    and settings.TABLE_ROWS rows a page, chosen by ``params`` (the query: paging.choice_of), from ready
    rows. ``whole``: every row up to MAX_ROWS, computed now (the API). A section that cannot be
    shown is an error in its own place; ``user`` None: a viewer without a tier. ``shared``: the tables as
    drawn for every viewer (rigs/web/drawn.py); False: drawn for this call alone (the admin's preview)."""
    if not whole:
        return page_read.page_context(user, page, params, shared)
    definitions = page.definitions()
    good = [d for d in definitions if isinstance(d, dict)]  # the others failed the model's checks
    now = timezone.now()
    names = needed_sections(good)
    where = places(None, good)
    if any(d["section"] == "RIGS" for d in good):  # its table is drawn from the rigs themselves
        rigs = rigdata.read(None, names, now)
        inputs = [engine_rig(r, names, where.get(r.id)) for r in rigs]
    else:  # read one at a time into the engine's inputs, as across.refresh: not every rig's sections twice
        rigs = []
        inputs = [engine_rig(r, names, where.get(r.id)) for r in rigdata.each(None, names, now)]
    z = view_models.tz()
    by_name = {r["name"]: r for r in inputs}
    sys = user is not None and tier(user) == SYS
    blocks = []
    results = iter(enumerate(engine.build_page(good, inputs)))
    for d in definitions:
        if not isinstance(d, dict):
            log.warning("page %s: %s", page.slug, "; ".join(d.messages))
            blocks.append({"error": "; ".join(d.messages)})
            continue
        i, result = next(results)
        try:
            blocks.append(whole_block(i, d, result, rigs, by_name, now, z, sys))
        except Exception as exc:  # one section's failure never takes the page down
            log.exception("page %s: section %s failed", page.slug, d["section"])
            blocks.append({"error": f"{d['section']}: this section could not be shown ({type(exc).__name__})"})
    return {"page": page, "blocks": blocks, "now": now}


def whole_block(i, d, result, rigs, by_name, now, z, sys):
    """One section of the page with its first MAX_ROWS rows (problems first), formatted."""
    if result == "DATE":
        return {"date": date_box(now.timestamp(), z)}
    choice = paging.Choice()
    if result == "RIGS":
        problem = [r.health["state"] in ("warn", "err") for r in rigs]
        shown, pager = paging.choose(len(rigs), problem.__getitem__, None, choice, MAX_ROWS, "rigs")
        t = view_models.rigs_table([rigs[j] for j in shown], now, sys)
        t.pager = pager
        return {"table": t}
    if isinstance(result, engine.PageError):
        return {"error": str(result)}
    problem = problems_of(result, by_name)
    shown, pager = paging.choose(len(result.rows), problem.__getitem__, lambda j: row_text(result.rows[j]),
                                 choice, MAX_ROWS, f"custom-{i}")
    rows = result.rows if pager is None else [result.rows[j] for j in shown]
    t = to_table(result, i, d["section"], by_name, z, d.get("formats"), rows=rows)
    t.pager = pager
    return {"table": t, "result": result}
