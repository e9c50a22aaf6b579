"""Fake rigs of every kind, for the tests, the benchmarks, `simulate_rigs` and the demo of a first `make run`.

Each kind's module declares its ``SIMULATION``: what the demo (rigs/demo.py) and `simulate_rigs` need to
run it (its demo rigs and how to serve them, its command-line options and how to start them). They read
this registry and name no kind. Production code never imports a simulator, except the demo through
this registry (imported by `serve` only when it starts one). Nothing here imports Django.
"""

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

# The simulators the demo and simulate_rigs run, in the order they take their ports of a block: adding a
# kind there is its line here.
MODULES = ("cgminer", "xmrig", "ckpool", "xmrigcc", "antminer", "whatsminer", "whatsminer_v3", "braiins", "luxos",
           "vnish", "avalon")

Stop = Callable[[], Awaitable[None]]
Start = Callable[[], Awaitable[Stop | None]]  # serves a simulator; what stops it, when it must be stopped


@dataclass
class DemoRig:
    """One rig of the demo: its settings but its address (the demo gives it ports of its block, and
    folders in its directory), and the simulator made for it ahead, if any."""

    name: str
    fields: dict  # Rig fields: kind, description, username, token (made here: known to the panel and the simulator)
    ports: tuple[str, ...] = ("port",)  # the Rig fields its ports go in, one port of the block each, in order
    folders: dict[str, str] = field(default_factory=dict)  # Rig fields that are folders: {field: sub-folder}
    first_run_only: bool = False  # registered on a first run only, not added to an older demo that lacks it
    sim: Any = None
    simulation: "Simulation | None" = None  # set by demo_plan()


@dataclass
class Served:
    """A kind's demo simulators, listening: what stops them, and what runs beside them while the demo runs
    (started once the demo rigs are registered)."""

    stops: list[Stop] = field(default_factory=list)
    background: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)


class BadOption(ValueError):
    """An option of simulate_rigs that a simulation cannot take (said to the user as it is)."""


@dataclass
class Bench:
    """What simulate_rigs lends each simulation: the options, the host, the next free port of the block,
    registering a rig in the panel (``register(**fields)`` says what it did), and the output."""

    opts: dict
    host: str
    port: int
    register: Callable[..., str]
    write: Callable[[str], None]
    notes: list[str] = field(default_factory=list)  # written once, after every simulation's lines
    shared: dict = field(default_factory=dict)  # what simulations of one family share (the ASICs' password)

    def take(self, count: int) -> int:
        """The first of ``count`` consecutive ports, taken from the block."""
        first, self.port = self.port, self.port + count
        return first

    def note(self, line: str) -> None:
        if line not in self.notes:
            self.notes.append(line)


@dataclass(eq=False)  # one per kind: told apart by identity
class Simulation:
    """What the demo and simulate_rigs need to run one kind's simulator."""

    label: str  # for people: "XMRigCC"
    # the demo's rigs of this kind (none: not in the demo), and how to serve them: given each rig with its
    # fields and address, the host and the demo's own folder
    demo: Callable[[], list[DemoRig]] | None = None
    serve_demo: Callable[[list[tuple[DemoRig, dict]], str, str], Awaitable[Served]] | None = None
    # simulate_rigs: its options, (flags, keywords of argparse's add_argument), and what to start for them
    options: tuple[tuple[tuple[str, ...], dict], ...] = ()
    simulate: Callable[[dict, Bench], list[Start]] | None = None


def simulations() -> list[Simulation]:
    """Every simulator's SIMULATION, in the order of MODULES."""
    return [importlib.import_module(f"{__name__}.{name}").SIMULATION for name in MODULES]


def demo_plan() -> list[DemoRig]:
    """The demo's rigs, every kind's, in the order of their ports."""
    plan = []
    for simulation in simulations():
        for rig in simulation.demo() if simulation.demo else []:
            rig.simulation = simulation
            plan.append(rig)
    return plan


def closing(server: Any) -> Stop:
    """What stops an asyncio server."""

    async def stop() -> None:
        server.close()
        await server.wait_closed()

    return stop


def index_map(values: list[str] | None, allowed: tuple | None = None, what: str = "value") -> dict[int, str]:
    """["3=hang", "5=R"] -> {3: "hang", 5: "R"}"""
    out = {}
    for v in values or []:
        idx, _, mode = v.partition("=")
        if not idx.isdigit() or not mode:
            raise BadOption(f"expected INDEX=MODE, got {v!r}")
        if allowed and mode not in allowed:
            raise BadOption(f"unknown {what} {mode!r}: choose from {', '.join(allowed)}")
        out[int(idx)] = mode
    return out
