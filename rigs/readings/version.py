"""What a rig says it is."""

from collections.abc import Mapping
from typing import Any


def miner_version(sections: Mapping[str, Any]) -> tuple[str, str]:
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
