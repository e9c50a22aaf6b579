"""A farm of fake miners that speak the cgminer RPC API like the real programs.

``rig.py`` is one miner's state and request handling, ``reports.py`` and
``controls.py`` its replies per command, ``records.py`` its SUMMARY, POOLS and
DEVS records, ``codes.py`` the API's STATUS codes, ``faults.py`` one connection
and the faults it can play, ``farm.py`` many rigs on consecutive loopback ports,
``simulation.py`` what the demo and simulate_rigs run of them.
Nothing here imports Django.
"""

from .farm import SimFarm, demo_rigs, make_rigs
from .faults import FAULTS
from .rig import FLAVOURS, HTML_PAYLOAD, POOL_URLS, SimRig
from .simulation import SIMULATION

__all__ = ["FAULTS", "FLAVOURS", "HTML_PAYLOAD", "POOL_URLS", "SIMULATION", "SimFarm", "SimRig", "demo_rigs",
           "make_rigs"]
