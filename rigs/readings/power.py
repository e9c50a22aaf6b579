"""A rig's power: what its firmware reports, else an estimate from the nominal table (issue 26 §5).

Plain functions over a snapshot's sections, called by figures(). The drivers put the watts a firmware
reports in SUMMARY ``Power`` (Antminer `stats`, Whatsminer `summary`, Braiins `tunerstatus`, LuxOS
`power`, Avalon `WALLPOWER`/`PS`) and, where it says, its ``Efficiency J/TH``. A rig that reports no power
is estimated from the nominal table (the NominalPower rows of the admin, loaded through ``use()`` by the
rigs app: this layer reads no database itself), matched against the model it reports, scaled by the
share of its nominal hashrate it hashes now; a curtailed rig (asleep, paused) is estimated at 0 W.
"""

import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from rigs.drivers.cgminer.protocol import as_number

TTL = 60.0  # seconds a loaded table is used before it is asked again (an edit in the admin shows within it)
MODEL_KEYS = (("VERSION", ("Type", "PROD", "MODEL", "Model")), ("CONFIG", ("Model",)),
              ("DEVDETAILS", ("Model",)), ("STATS", ("Type",)))
_loader: Callable[[], Iterable[tuple[Any, Any, Any]]] | None = None
_table: list[tuple[re.Pattern, int, float | None]] = []  # (pattern, watts, TH/s), the longest pattern first
_loaded_at = -TTL
_matches: dict[str, tuple[int, float | None] | None] = {}


def compile_pattern(text: object) -> re.Pattern[str]:
    """A pattern's words in order, any spacing, dash or underscore between them, not inside a longer name:
    "S19j Pro" matches "Antminer S19J-Pro" but "S9" does not match "S9k"."""
    words = [re.escape(w) for w in str(text).split()]
    return re.compile(r"(?<![A-Za-z0-9])" + r"[\s_-]*".join(words) + r"(?![A-Za-z0-9])", re.IGNORECASE)


def use(loader: Callable[[], Iterable[tuple[Any, Any, Any]]] | None) -> None:
    """Register the function that returns the nominal rows [(pattern, watts, TH/s)] (the rigs app does)."""
    global _loader, _loaded_at
    _loader, _loaded_at = loader, -TTL


def forget() -> None:
    """Ask the loader again at the next use (a row was edited in this process)."""
    global _loaded_at
    _loaded_at = -TTL


def set_table(rows: Iterable[tuple[Any, Any, Any]]) -> None:
    """Use these rows [(pattern, watts, TH/s or None)] as the nominal table."""
    global _table
    _table = sorted(((compile_pattern(p), int(w), as_number(t)) for p, w, t in rows if str(p).strip() and w),
                    key=lambda row: -len(row[0].pattern))
    _matches.clear()


def table() -> list[tuple[re.Pattern[str], int, float | None]]:
    global _loaded_at
    if _loader is not None and time.monotonic() - _loaded_at > TTL:
        _loaded_at = time.monotonic()
        try:
            set_table(_loader())
        except Exception:  # noqa: BLE001 (an async caller, or no table yet: keep the last one)
            pass
    return _table


def model(sections: Mapping[str, Any]) -> str:
    """The model the rig says it is ("Antminer S19 Pro", "M60S_VK40", "Avalon Q"), "" when it says none."""
    for section, keys in MODEL_KEYS:
        for record in sections.get(section) or []:
            if isinstance(record, dict):
                for key in keys:
                    value = record.get(key)
                    if isinstance(value, str) and value.strip():
                        return value.strip()[:80]
    return ""


def nominal(name: str) -> tuple[int, float | None] | None:
    """(watts, TH/s) of the longest pattern that matches a model name; None when none does."""
    if not name:
        return None
    rows = table()
    if name in _matches:
        return _matches[name]
    found = next(((w, t) for pattern, w, t in rows if pattern.search(name)), None)
    if len(_matches) > 4096:
        _matches.clear()
    _matches[name] = found
    return found


def power(summary: Mapping[str, Any] | None, sections: Mapping[str, Any], hashrate_hs: float | None,
          curtailed: bool | None, sha256: bool) -> dict[str, Any]:
    """{"power_w", "power_estimated", "efficiency_jth", "model"}: the reported watts and J/TH where the
    firmware gives them; else the estimate (None when the model is not in the table)."""
    summary = summary or {}
    reported = as_number(summary.get("Power")) if "Power" in summary else None
    if reported is not None and reported >= 0:
        efficiency = as_number(summary.get("Efficiency J/TH"))
        if efficiency is None and sha256 and reported and hashrate_hs:
            efficiency = reported / (hashrate_hs / 1e12)
        return {"power_w": reported, "power_estimated": False,
                "efficiency_jth": round(efficiency, 2) if efficiency else None}
    name = model(sections)
    found = nominal(name)
    if found is None:
        return {"power_w": None, "power_estimated": False, "efficiency_jth": None}
    watts, terahash = found
    if curtailed:
        estimate = 0.0
    elif terahash and hashrate_hs is not None:
        estimate = watts * min(1.2, max(0.0, hashrate_hs / (terahash * 1e12)))  # at its nominal efficiency
    else:
        estimate = float(watts)
    efficiency = watts / terahash if terahash and sha256 and estimate else None
    return {"power_w": round(estimate), "power_estimated": True,
            "efficiency_jth": round(efficiency, 2) if efficiency else None}
