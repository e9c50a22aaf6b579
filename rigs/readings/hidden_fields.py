"""miner.php's $hidefields: fields dropped from a rig's sections before anything is stored or shown."""

from collections.abc import Iterable
from typing import Any


def hide_fields(sections: dict[str, Any], hidden: Iterable[str]) -> dict[str, Any]:
    """Drop miner.php-style ``SECTION.Field`` entries before anything is stored.

    SECTION is the item name without digits (POOL, SUMMARY, ASC, PGA, GPU, ...),
    so POOL.User matches the records of the POOLS section and DEVS items match
    by their device kind.
    """
    if not hidden:
        return sections
    by_section: dict[str | None, set[str]] = {}
    for entry in hidden:
        sec, _, fld = entry.partition(".")
        by_section.setdefault(sec.upper(), set()).add(fld)
    item_name = {"POOLS": "POOL", "ESTATS": "STATS"}
    for name, records in sections.items():
        for rec in records if isinstance(records, list) else ():
            if not isinstance(rec, dict):
                continue
            keys = by_section.get(item_name.get(name, name), set())
            if name in ("DEVS", "EDEVS"):
                kind = next((k for k in ("ASC", "PGA", "GPU", "CPU") if k in rec), None)
                keys = by_section.get(kind, set()) | by_section.get("DEVS", set())
            for k in keys:
                rec.pop(k, None)
    return sections
