"""Rows for the rig list: plain data from rigs and their snapshots."""

from django.utils import timezone

from .formatting import format_age, format_rate, rate_mhs


def miner_version(sections):
    """('cgminer 4.11.1', '3.7') from a VERSION record, whatever keys the firmware used."""
    version = (sections.get("VERSION") or [{}])[0]
    api = str(version.get("API", ""))
    miner = str(version.get("Miner", ""))
    if " " not in miner:  # bfgminer: "bfgminer 5.5.0-34-g..."; bmminer: just a firmware number
        miner = ""
        for key in ("BMMiner", "SGMiner", "BFGMiner", "CGMiner"):
            if key in version:
                miner = f"{key.lower()} {version[key]}"
                break
    return miner, api


def rig_rows(rigs, now=None):
    now = now or timezone.now()
    rows = []
    for rig in rigs:
        snap = getattr(rig, "snapshot", None)
        sections = snap.sections if snap else {}
        summary = (sections.get("SUMMARY") or [{}])[0]
        miner, api = miner_version(sections)
        state = snap.state(now) if snap else "new"
        rows.append({
            "rig": rig,
            "state": state,
            "error": snap.error if snap else "",
            "age": format_age(snap.age(now)) if snap and snap.last_ok_at else "never",
            "miner": miner,
            "api": api,
            "rate": format_rate(rate_mhs(summary)),
            "short_rate": format_rate(rate_mhs(summary, "short")),
            "devices": len(sections.get("DEVS") or []),
            "pools": len(sections.get("POOLS") or []),
            "latency": f"{snap.latency_ms:.0f} ms" if snap and snap.latency_ms is not None else "",
        })
    return rows
