"""The Overview's four tables as ready rows (ready.py): Rigs, Summary, Devices and Pools, one rig's
rows at a time, with its shares of the totals (overview_tables.py) and the Σ rows drawn from them
(farm_totals.py)."""

from django.conf import settings

from . import curtailed, farm_totals, overview_tables, tables
from .ready import counts
from .shares import total
from .view_models import RIG_COLUMNS, rig_row, tz

KEYS = ("rigs", "summary", "devs", "pools")
SECTIONS = ("VERSION", "SUMMARY", "DEVS", "POOLS")  # what the fixed tables show of a snapshot
VERSION = "2"  # of the rows' making: a change rebuilds them (2: the rigs' curtailment, power and J/TH)


def source():
    """What the rows are built from beyond the rigs' data: a change of these builds them again."""
    return f"farm{VERSION}|{settings.TIME_ZONE}|{settings.CHECK_LAST_SHARE}"


def marked(row, bad):
    """A row shown among the problems: its rig needs attention, or the row is stale or late."""
    return bad or bool(row.css and ("dim" in row.css or "lst-" in row.css))


def text_of(row):
    return " ".join(str(c[0]) for c in row.cells).lower()


class FarmTables:
    def wanted(self, now, only=None):
        found = source()
        return {key: (found, None) for key in KEYS}

    def sections(self, specs):
        return SECTIONS

    def build(self, rigs, keys, now):
        z = tz()
        labels = [tables.escape(label) for label, _ in RIG_COLUMNS]
        curtailments = curtailed.open_of(rig.id for rig in rigs) if "rigs" in keys else {}
        for rig in rigs:
            snap, state, href = (rig if rig.polled else None), rig.state, rig.href
            bad = rig.health["state"] in ("warn", "err")
            if "rigs" in keys:
                row, address = rig_row(rig, now, z, labels, aging=True, curtailment=curtailments.get(rig.id))
                rows = [{"seq": 0, "problem": bad, "text": text_of(row), "html": row.html(labels),
                         "sys_html": tables.td(address, "Address")}]
                share = counts(rows, bad)
                if rig.enabled:
                    share["enabled"] = 1
                    if bad:
                        share["attention"] = 1
                yield "rigs", rig, rows, share
            if "summary" in keys:
                built = overview_tables._summary_rows(rig, snap, state, href, z)
                rows = self.rows(built, bad)
                yield "summary", rig, rows, {**counts(rows, bad), **overview_tables.summary_share(rig, snap, state)}
            if "devs" in keys:
                built, sums = overview_tables._device_rows(rig, snap, state, href, z)
                rows = self.rows(built, bad)
                yield "devs", rig, rows, {**counts(rows, bad), **overview_tables.devices_share(
                    rig, snap, state, len(built), sums, bad)}
            if "pools" in keys:
                rows = self.rows(overview_tables._pool_rows(rig, snap, state, href, z), bad)
                yield "pools", rig, rows, counts(rows, bad)

    @staticmethod
    def rows(built, bad):
        return [{"seq": i, "problem": marked(row, bad), "text": text_of(row), "html": row.html()}
                for i, row in enumerate(built)]

    def head(self, key, sums, spec=None):
        if key == "rigs":
            return {"attention": total(sums, "attention", 0), "enabled": total(sums, "enabled", 0)}
        if key == "summary":
            foot, note = farm_totals.summary_foot(sums)
            return {"foot": foot, "note": note}
        if key == "devs":
            return {"foot": farm_totals.devices_foot(sums), "foot_bad": farm_totals.devices_foot(sums, "bad")}
        return {}


FARM = FarmTables()
