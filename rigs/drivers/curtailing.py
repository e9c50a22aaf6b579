"""What the drivers' curtailment shares (the Curtails capability, rigs/drivers/interface.py): checking
that a kind takes the way asked, and reading a poll for whether the rig hashes at all. Plain Python."""

from .cgminer.protocol import as_number
from .errors import RigError

RATE_KEYS = ("MHS 5s", "MHS 10s", "MHS 1m", "MHS av")


def check(label, curtailing, how, value):
    """Refuse, before anything is sent, a way the kind does not take or a power curtailment without a value."""
    if how not in curtailing.hows:
        if not curtailing.hows:
            raise RigError(f"{label} cannot curtail: {curtailing.cannot}")
        raise RigError(f"{label} curtails by {' or '.join(curtailing.hows)} only, not by {how}")
    if how == "power" and not str(value or "").strip():
        raise RigError("give the power target in watts (or the mode) to curtail by power")


def summary(sections):
    for record in sections.get("SUMMARY") or []:
        if isinstance(record, dict):
            return record
    return {}


def hashing(sections):
    """The rig's current rate in MH/s from SUMMARY (the drivers' cgminer shape); None when it gives none."""
    record = summary(sections)
    for key in RATE_KEYS:
        n = as_number(record.get(key))
        if n is not None:
            return n
    return None


def near(got, wanted, share=0.02):
    """Whether a power reading is at a target (within 2 %, a firmware rounds or clamps)."""
    g, w = as_number(got), as_number(wanted)
    if g is None or w is None:
        return None
    return abs(g - w) <= max(1.0, share * w)


def yes(value):
    """A firmware's flag as a bool: true, "true", "Y", 1; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value.strip().lower() in ("true", "y", "yes", "1", "on")
    return bool(value)
