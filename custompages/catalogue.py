"""Field names rigs send, for parsing formulas at save time (names contain spaces).

They are data, fields.json beside this module: what the simulators send in every flavour (which
follow the real captures), written by `python -m minerpanel.devkit.fields` and checked against the
simulators by tests/test_catalogue.py. Each is known bare and prefixed with each section name a
join uses.
"""

import functools
import json
from pathlib import Path

from rigs import drivers

FIELDS = Path(__file__).with_name("fields.json")
PREFIX = {"SUMMARY": ["SUMMARY"], "POOLS": ["POOL"], "DEVS": ["DEVS", "EDEVS"], "NOTIFY": ["NOTIFY"],
          "DEVDETAILS": ["DEVDETAILS"], "STATS": ["STATS", "ESTATS"], "COIN": ["COIN"], "CONFIG": ["CONFIG"],
          "USBSTATS": ["USBSTATS"], "RIGS": ["RIGS"], **{section: [section] for section in drivers.page_sections()}}

# the panel's own fields (custompages.render.add_markers)
MARKERS = {"In Use", "POOL.In Use", "Late Share", "DEVS.Late Share", "EDEVS.Late Share"}
# what custompages.render adds to every rig's SUMMARY
NORMALISED = ("Hashrate av", "Hashrate now", "Hash Algorithm", "Max Temp", "State", "Reasons")


@functools.lru_cache(maxsize=1)
def known_fields():
    names = {"#", *MARKERS}
    for section, keys in json.loads(FIELDS.read_text())["sections"].items():
        for key in keys:
            names.add(key)
            names.update(f"{p}.{key}" for p in PREFIX.get(section, []))
    for key in NORMALISED:
        names.update((key, f"SUMMARY.{key}"))
    return frozenset(names)


def snapshot_fields(limit=50):
    """Field names the latest snapshots hold (firmwares the simulator does not imitate)."""
    from rigs.models import Snapshot

    names = set()
    for sections in Snapshot.objects.exclude(last_ok_at=None).values_list("sections", flat=True)[:limit]:
        for section, records in (sections or {}).items():
            for rec in records if isinstance(records, list) else []:
                for key in rec if isinstance(rec, dict) else ():
                    names.add(key)
                    names.update(f"{p}.{key}" for p in PREFIX.get(section, []))
    return names


def unknown_field(name, known):
    """None if a rig may send ``name``, else the message, with the closest known name."""
    import difflib

    if name in known or name in ("*", "#") or name.startswith(("GEN.", "BGEN.")):
        return None
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
    return f"no rig sends a field '{name}'" + (f": did you mean '{close[0]}'?" if close else "")
