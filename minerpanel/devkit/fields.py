"""Write custompages/fields.json, the field names rigs send, from what the simulators send today:

    python -m minerpanel.devkit.fields

The simulated cgminer rig in every flavour (which follow the real captures) answers each report
command; a ckpool and an XMRigCC server are mapped by their drivers from sample data; the panel's own
RIGS fields (a rig's site, rack, position and tags: custompages.definition.RIG_PLACE_FIELDS) are added. The panel
reads the file (custompages.catalogue) and never runs a simulator to learn them;
tests/test_catalogue.py fails when the file and the simulators part ways.
"""

import json
import sys
from pathlib import Path

from custompages.definition import RIG_PLACE_FIELDS
from rigs.drivers.cgminer.protocol import parse_reply
from rigs.simulators.cgminer import FLAVOURS, SimRig

COMMANDS = ["summary", "pools", "devs", "procs", "notify", "devdetails", "stats", "coin", "config", "usbstats",
            "version"]
PATH = Path(__file__).resolve().parents[2] / "custompages" / "fields.json"
ABOUT = ("The fields each API section of the simulated rigs sends (cgminer in every flavour, a ckpool, an "
         "XMRigCC server), and the panel's RIGS fields (a rig's site, rack, position, tags), for "
         "custompages.catalogue. Written by `python -m minerpanel.devkit.fields`; "
         "tests/test_catalogue.py checks it against the simulators.")


def other_kinds():
    """Sections of a ckpool and an XMRigCC server, from their drivers over sample data."""
    from rigs.drivers import ckpool, xmrigcc
    from rigs.simulators.xmrigcc import Miner

    user = {"hashrate1m": "1T", "lastshare": 1, "workers": 1, "shares": 1, "bestshare": 1.0, "bestever": 1,
            "authorised": 1, "worker": [{"workername": "u.w", "hashrate1m": "1T", "lastshare": 1, "shares": 1,
                                         "bestshare": 1.0, "bestever": 1}]}
    pool = ckpool.to_sections({}, [("u", user)], {s: "up" for s in ckpool.SOCKETS}, {}, "0" * 64, 1)
    status = Miner(None, "m").status()
    fleet, _ = xmrigcc.to_sections({"current_server_time": 1, "client_status_list": [{"client_status": status}]})
    return [pool, fleet]


def sent():
    """{API section: sorted field names} of every simulated kind, as the simulators send them now."""
    found = {}
    replies = []
    for flavour in FLAVOURS:
        rig = SimRig(flavour=flavour, devices=2, pools=2)
        for command in COMMANDS:
            replies.append(parse_reply(rig.handle(json.dumps({"command": command}).encode()),
                                       command)[command].sections)
    for sections in replies + other_kinds():
        for section, records in sections.items():
            for rec in records:
                found.setdefault(section, set()).update(rec)
    found["RIGS"] = set(RIG_PLACE_FIELDS)
    return {section: sorted(keys) for section, keys in sorted(found.items())}


def text():
    return json.dumps({"about": ABOUT, "sections": sent()}, indent=1) + "\n"


if __name__ == "__main__":
    PATH.write_text(text())
    sys.stdout.write(f"wrote {PATH}\n")
