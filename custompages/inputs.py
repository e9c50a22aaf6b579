"""What the custom page engine reads of a rig: its sections as the page names them, with the panel's
own fields beside the rig's (the pool in use, late shares, the normalised figures and the health)."""

from django.conf import settings

from farm.scope import places_of
from rigs.models import Rig
from rigs.readings.figures import rate_hs
from rigs.web import tables
from rigs.web.display import last_share_state

from . import engine
from .definition import uses_place


def needed_sections(definitions):
    names = {"VERSION"}
    for d in definitions:
        for part in d["section"].split("+"):
            if part in engine.STANDARD:
                names.add(engine.STANDARD[part][0])
    return sorted(names)


MARKED = ("POOLS", "DEVS", "EDEVS", "SUMMARY")  # the sections whose records the page's own fields are added to


def places(rig_ids, definitions):
    """{rig id: the engine's "place" of it} when one of ``definitions`` names a RIGS field, else {} (no
    query): where each rig of ``rig_ids`` (None: every rig) stands (farm.scope.places_of, two queries however
    many rigs)."""
    if not any(uses_place(d) for d in definitions):
        return {}
    if rig_ids is None:
        rig_ids = list(Rig.objects.values_list("id", flat=True))
    return {i: {"Site": p["site"], "Rack": p["rack"], "Position": p["position"], "Tags": ", ".join(p["tags"])}
            for i, p in places_of(rig_ids).items()}


def engine_rig(rig, names, place=None):
    """The engine's dict of a rig (rigdata.RigData), its sections ``names`` copied and marked (add_markers,
    add_figures): the page's own fields beside the rig's; ``place``: where it stands (places()). The
    records of the others are the rig's own, which the engine only reads (its rows are copies)."""
    sections = {n: [dict(r) if isinstance(r, dict) else r for r in rig.sections[n]] if n in MARKED
                else list(rig.sections[n]) for n in names if n in rig.sections}
    when = ((rig.statuses or {}).get("devs") or (rig.statuses or {}).get("summary") or {}).get("When", 0)
    add_markers(sections, when)
    add_figures(sections, rig.figures, rig.health)
    counted = tables.counted(rig, rig.state)
    return {"name": rig.name, "sections": sections, "when": when, "href": rig.href, "state": rig.state,
            "algorithm": rig.figures.get("algorithm"), "counted": counted, "totals": counted,
            "problem": rig.health["state"] in ("warn", "err"), "place": place}


def add_markers(sections, when):
    """The panel's own fields, which a page may list or leave out: POOL 'In Use' (the pool the
    rig mines on) and DEVS/EDEVS 'Late Share' (a share later than 8x/12x the expected interval)."""
    pools = [p for p in sections.get("POOLS") or [] if isinstance(p, dict)]
    current = tables.active_pool(pools) if pools else None
    for p in pools:
        p["In Use"] = "▶ in use" if p is current else ""
    for name in ("DEVS", "EDEVS"):
        for d in sections.get(name) or []:
            if isinstance(d, dict):
                late = last_share_state(d, when) if settings.CHECK_LAST_SHARE else ""
                d["Late Share"] = {"warn": "⚠ late", "err": "⚠ very late"}.get(late, "")


def add_figures(sections, figs, health):
    """The normalised figures and the health as fields of the rig's SUMMARY (SUMMARY.Hashrate av,
    SUMMARY.State...), and miner.php's MHS fields where a firmware gave only GHS/KHS ones (bmminer),
    so pages written for cgminer show every rig. The stored snapshot is not changed."""
    extra = {"Hashrate av": figs.get("hashrate_hs"), "Hashrate now": figs.get("hashrate_now_hs"),
             "Hash Algorithm": figs.get("algorithm"), "Max Temp": figs.get("max_temp"), "State": health["state"],
             "Reasons": " · ".join(r["text"] for r in health["reasons"])}
    if "SUMMARY" in sections:
        sections["SUMMARY"] = [{**extra, **r} if isinstance(r, dict) else r for r in sections["SUMMARY"][:1]]
    for name in ("SUMMARY", "DEVS"):
        for r in sections.get(name) or []:
            if isinstance(r, dict):
                for window in ("av", "5s"):
                    if f"MHS {window}" not in r:
                        hs = rate_hs(r, (window,))
                        if hs is not None:
                            r[f"MHS {window}"] = hs / 1e6
