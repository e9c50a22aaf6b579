"""Engine results -> the same tables as the standard pages (formatting, late shares, escaping)."""

from django.urls import reverse
from django.utils import timezone

from rigs import pages, tables
from rigs.figures import number, rate_hs
from rigs.formatting import fmt, last_share_state
from rigs.models import Rig

from . import engine

API_SECTION = {"POOL": "POOLS", "EDEVS": "DEVS", "ESTATS": "STATS", "ASC": "DEVS", "PGA": "DEVS", "GPU": "DEVS"}


def needed_sections(definitions):
    names = {"VERSION"}
    for d in definitions:
        for part in d["section"].split("+"):
            if part in engine.STANDARD:
                names.add(engine.STANDARD[part][0])
    return sorted(names)


def rigs_for(definitions):
    """[(rig, snapshot-like, state, href)] and engine rig dicts, reading only the sections the page uses."""
    needed = needed_sections(definitions)
    wanted = [*pages.RIG_FIELDS, *(f"snapshot__{f}" for f in pages.SNAP_FIELDS), "snapshot__statuses",
              "snapshot__brief__figures", "snapshot__brief__health",
              *(f"snapshot__sections__{n}" for n in needed)]
    now = timezone.now()
    href = reverse("rig_detail", args=[987654321])
    items, rigs = [], []
    n_rig = len(pages.RIG_FIELDS)
    for row in Rig.objects.values_list(*wanted):
        rig = pages.RigView(*row[:n_rig])
        polled_at, last_ok_at, error, error_kind, latency_ms, statuses, figs, health = row[n_rig:n_rig + 8]
        sections = {n: v for n, v in zip(needed, row[n_rig + 8:]) if v}
        snap = None
        if polled_at is not None:
            snap = pages.BriefView(polled_at, last_ok_at, error, error_kind, latency_ms, sections, statuses or {},
                                   health, figs)
        state = snap.state(now) if snap else "new"
        items.append((rig, snap, state, href.replace("987654321", str(rig.id))))
        when = ((statuses or {}).get("devs") or (statuses or {}).get("summary") or {}).get("When", 0)
        figs = figs or {}
        h = pages.rig_health(snap, state, now)
        add_figures(sections, figs, h)
        rigs.append({"name": rig.name, "sections": sections, "when": when, "href": items[-1][3], "state": state,
                     "algorithm": figs.get("algorithm"), "counted": tables.counted(rig, state)})
    return items, rigs


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


RATE_FIELD = ("MHS ", "GHS ", "KHS ", "THS ", "Hashrate ")


def honest_total(field, result, rigs_by_name):
    """A rate column's total over rigs with current data that are not pools, or None
    with the reason when the rows mine different algorithms."""
    rows = [r for r in result.rows if rigs_by_name.get(r.get("_rig"), {}).get("counted")]
    algos = {rigs_by_name[r["_rig"]].get("algorithm") for r in rows}
    if len(algos) > 1:
        return None, "several algorithms: their hashrates do not add up"
    values = [n for n in (number(r.get(field)) for r in rows) if n is not None]
    return (sum(values) if values else None), ""


def split_field(field):
    if "." in field:
        sec, _, name = field.partition(".")
        if sec in engine.STANDARD or sec in ("GEN", "BGEN"):
            return sec, name
    return "", field


def to_table(result, index, section, rigs_by_name, tz):
    part = section.split("+")[0]
    cols = ([] if result.grouped else [("Rig", False)]) + [(h, False) for h, _ in result.columns]
    t = tables.Table(f"custom-{index}", result.title, cols)
    for r in result.rows:
        rig = rigs_by_name.get(r.get("_rig"), {})
        when = rig.get("when", 0)
        cells = [] if result.grouped else [tables.cell(r.get("_rig", ""), "rig", "", rig.get("href", ""))]
        errors = r.get("_errors", {})
        for _, field in result.columns:
            if field in errors:
                cells.append(tables.cell("", "err", errors[field]))
                continue
            sec, name = split_field(field)
            value = r.get(field)
            if sec in ("GEN", "BGEN") and isinstance(value, float):
                cells.append(tables.cell(f"{value:,.2f}"))  # as miner.php shows gen results
                continue
            api = API_SECTION.get(sec or part, sec or part)
            cells.append(tables.cell(*fmt(api, name, value, when, tz)))
        css = tables.row_css(rig.get("state", ""))
        devs = {k[5:]: v for k, v in r.items() if k.startswith("DEVS.")} if "DEVS." in " ".join(r) else (
            r if part in ("DEVS", "EDEVS", "ASC", "PGA", "GPU") else {})
        late = last_share_state(devs, when) if devs and not result.grouped else ""
        t.rows.append(tables.Row(cells, f"{css} lst-{late}".strip() if late else css))
    if result.totals:
        cells = [] if result.grouped else [tables.cell("Σ", title="rigs without current data and pools are not added")]
        for _, field in result.columns:
            sec, name = split_field(field)
            value = result.totals.get(field)
            if value is not None and not result.grouped and name.startswith(RATE_FIELD):
                value, why = honest_total(field, result, rigs_by_name)
                if why:
                    cells.append(tables.cell("", "", why))
                    continue
            cells.append(tables.cell(*fmt(API_SECTION.get(sec or part, sec or part), name, value)) if value is not None else tables.cell())
        t.totals = tables.Row(cells, "tot")
    return t


def page_context(user, page):
    definitions = page.definitions()
    items, rigs = rigs_for(definitions)
    z = pages.tz()
    now = timezone.now()
    by_name = {r["name"]: r for r in rigs}
    blocks = []
    with pages.no_gc_pauses():
        for i, (d, result) in enumerate(zip(definitions, engine.build_page(definitions, rigs))):
            if result == "DATE":
                blocks.append({"date": now})
            elif result == "RIGS":
                blocks.append({"table": pages.rigs_table(items, now, False)})
            elif isinstance(result, engine.PageError):
                blocks.append({"error": str(result)})
            else:
                blocks.append({"table": to_table(result, i, d["section"], by_name, z), "result": result})
    return {"page": page, "blocks": blocks, "now": now}
