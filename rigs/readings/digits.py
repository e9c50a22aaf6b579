"""Numbers as the rig wrote them: 44.90 and 0.881040 where the parsed float says 44.9 and 0.88104.

miner.php reads the API's text form and prints a value with the digits the rig sent; a float parsed
from a reply keeps its value, not its text. The firmwares of the cgminer family write every float with
a fixed number of decimals per field (cgminer's api.c: temperatures %.2f, difficulties %.8f, waits
%.6f, percentages %.4f), so the text is the float written with that many decimals: 67957790298897.8828125
with 8 is 67957790298897.88281250, byte for byte.

``learn`` reads those counts from a rig's raw replies, one regular expression pass; the poller does it
now and then (``due``), not every round, and stores them beside the snapshot. ``dress`` turns a
snapshot's floats back into floats that know their decimals (``Written``) for the pages; figures,
formulas and sums still see plain numbers. No Django here.
"""

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

# A rig is asked again for its decimals this often (seconds), each rig at its own moment of the period.
LEARN_EVERY = 600
MAX_FIELDS = 512  # a reply of a million distinct keys learns the first ones

_JSON = re.compile(rb'"([^"\\]{1,64})"\s*:\s*-?\d+\.(\d+)(?=[\s,}\]])')
_TEXT = re.compile(rb"(?:^|[,|])([^=,|\\]{1,64})=-?\d+\.(\d+)(?=[,|\0]|$)")


def learn(raws: Iterable[bytes]) -> dict[str, int]:
    """{field: decimals} of the floats in these raw replies (JSON or text form), for the fields
    written with the same two or more decimals every time. Only a rig that writes fixed decimals has
    any: a float ending in 0 (44.90) shows it; writers of the shortest form (44.9, 44.25) have none,
    and their text is what a float prints anyway."""
    seen: dict[bytes, int] = {}
    fixed = False
    for raw in raws:
        pattern = _JSON if raw.lstrip()[:1] in (b"{", b",") else _TEXT
        for key, decimals in pattern.findall(raw):
            n = len(decimals)
            if n > 1 and decimals[-1] == 48:  # b"0"
                fixed = True
            if seen.get(key, n) != n:
                n = -1  # written both ways: not a rule
            if key in seen or len(seen) < MAX_FIELDS:
                seen[key] = n
    if not fixed:
        return {}
    return {key.decode(errors="replace"): n for key, n in seen.items() if n > 1}


def due(learned_at: object, now: float, rig_id: int) -> bool:
    """Whether a rig's decimals are to be learned again (``learned_at``: when they last were, or None)."""
    if not isinstance(learned_at, (int, float)):
        return True
    return now - learned_at >= LEARN_EVERY / 2 + rig_id % (LEARN_EVERY // 2) or now < learned_at


def learned(rigs: Iterable[tuple[int, Iterable[bytes]]], previous: Mapping[int, Any],
            now: float) -> dict[int, dict[str, Any]]:
    """{rig id: {"at": now, "decimals": {field: n}}} of those of ``rigs`` ((rig id, its raw replies of
    this round) pairs) whose decimals are due to be learned again; ``previous``: {rig id:
    {"digits_at": when they last were}}."""
    found: dict[int, dict[str, Any]] = {}
    for rig_id, raws in rigs:
        if due((previous.get(rig_id) or {}).get("digits_at"), now, rig_id):
            found[rig_id] = {"at": now, "decimals": learn({id(raw): raw for raw in raws}.values())}
    return found


class Written(float):
    """A rig's float and the number of decimals it was written with (``decimals``, per subclass)."""

    __slots__ = ()
    decimals = 0

    @property
    def text(self) -> str:
        return f"{self:.{self.decimals}f}"

    def __reduce__(self) -> tuple[Any, ...]:
        return written, (float(self), self.decimals)


@functools.cache
def _written_with(decimals: int) -> type[Written]:
    return type(f"Written{decimals}", (Written,), {"__slots__": (), "decimals": decimals})


def written(value: float, decimals: int) -> Written:
    return _written_with(decimals)(value)


def dress(sections: dict[str, Any], decimals: object) -> dict[str, Any]:
    """Each float of these sections (changed in place) as a Written, where the rig writes its field
    with a known number of decimals and the float holds no more than that: a value the panel worked
    out itself (an average, a sum) stays as it is."""
    if not decimals or not isinstance(decimals, dict):
        return sections
    kinds: dict[int, type[Written]] = {}
    for records in sections.values():
        if records.__class__ is not list:
            continue
        for record in records:
            if record.__class__ is not dict:
                continue
            for key, value in record.items():
                if value.__class__ is float:
                    n = decimals.get(key)
                    if n.__class__ is int and 1 < n < 40 and round(value, n) == value:
                        kind = kinds.get(n) or kinds.setdefault(n, _written_with(n))
                        record[key] = kind(value)
    return sections


def as_written(value: Any, sections: Mapping[str, Any], field: str) -> Any:
    """A figure the panel picked from a rig's records (its hottest temperature) in the rig's own
    written form: the Written ``field`` of ``sections`` equal to it, else ``value`` as it is."""
    if value.__class__ is not float:
        return value
    for records in sections.values():
        for record in records if records.__class__ is list else ():
            found = record.get(field) if record.__class__ is dict else None
            if isinstance(found, Written) and found == value:
                return found
    return value
