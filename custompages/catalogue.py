"""Field names rigs send, for parsing formulas at save time (names contain spaces).

Taken from the simulator's replies in every flavour (which follow the real
captures), bare and prefixed with each section name a join uses.
"""

import functools
import json

from rigs.drivers.cgminer.protocol import parse_reply
from rigs.simulators.cgminer import FLAVOURS, SimRig

COMMANDS = ["summary", "pools", "devs", "procs", "notify", "devdetails", "stats", "coin", "config", "usbstats", "version"]
PREFIX = {"SUMMARY": ["SUMMARY"], "POOLS": ["POOL"], "DEVS": ["DEVS", "EDEVS"], "NOTIFY": ["NOTIFY"],
          "DEVDETAILS": ["DEVDETAILS"], "STATS": ["STATS", "ESTATS"], "COIN": ["COIN"], "CONFIG": ["CONFIG"],
          "USBSTATS": ["USBSTATS"], "POOLSTATUS": ["POOLSTATUS"], "USERS": ["USERS"], "WORKERS": ["WORKERS"],
          "CLIENTS": ["CLIENTS"]}


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


# the panel's own fields (custompages.render.add_markers)
MARKERS = {"In Use", "POOL.In Use", "Late Share", "DEVS.Late Share", "EDEVS.Late Share"}
# what custompages.render adds to every rig's SUMMARY
NORMALISED = ("Hashrate av", "Hashrate now", "Hash Algorithm", "Max Temp", "State", "Reasons")


@functools.lru_cache(maxsize=1)
def known_fields():
    names = {"#", *MARKERS}
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
    for key in NORMALISED:
        names.update((key, f"SUMMARY.{key}"))
    for sections in other_kinds():
        for section, records in sections.items():
            for rec in records:
                for key in rec:
                    names.add(key)
                    for p in PREFIX.get(section, []):
                        names.add(f"{p}.{key}")
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
