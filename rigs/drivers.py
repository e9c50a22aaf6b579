"""Rig kinds other than the cgminer API, each a module with the same two functions:

    async poll(rig, **limits) -> (sections, statuses)      # sections in cgminer's shape
    async command(rig, name, values, **limits) -> (letter, message)

``rig`` is anything with the Rig fields the driver reads (a Rig or a poller Target).
"""

import importlib

MODULES = {"xmrig": "rigs.xmrig", "ckpool": "rigs.ckpool", "xmrigcc-server": "rigs.xmrigcc"}


def driver(kind):
    return importlib.import_module(MODULES[kind])


def about(kind):
    """What the rig page says about where a kind's numbers come from, if anything."""
    return getattr(driver(kind), "ABOUT", "") if kind in MODULES else ""
