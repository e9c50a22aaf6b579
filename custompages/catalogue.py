"""Field names rigs send, for parsing formulas at save time (names contain spaces).

Taken from the simulator's replies in every flavour (which follow the real
captures), bare and prefixed with each section name a join uses.
"""

import functools
import json

from rigs.protocol import parse_reply
from rigs.simulator import FLAVOURS, SimRig

COMMANDS = ["summary", "pools", "devs", "notify", "devdetails", "stats", "coin", "config", "usbstats", "version"]
PREFIX = {"SUMMARY": ["SUMMARY"], "POOLS": ["POOL"], "DEVS": ["DEVS", "EDEVS"], "NOTIFY": ["NOTIFY"],
          "DEVDETAILS": ["DEVDETAILS"], "STATS": ["STATS", "ESTATS"], "COIN": ["COIN"], "CONFIG": ["CONFIG"],
          "USBSTATS": ["USBSTATS"]}


@functools.lru_cache(maxsize=1)
def known_fields():
    names = {"#"}
    for flavour in FLAVOURS:
        rig = SimRig(flavour=flavour, devices=2, pools=2)
        for command in COMMANDS:
            reply = parse_reply(rig.handle(json.dumps({"command": command}).encode()), command)[command]
            for section, records in reply.sections.items():
                for rec in records:
                    for key in rec:
                        names.add(key)
                        for p in PREFIX.get(section, []):
                            names.add(f"{p}.{key}")
    return frozenset(names)
