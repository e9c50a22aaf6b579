"""What the demo and simulate_rigs need of the cgminer farm: the demo's eight rigs, and N rigs on
consecutive ports with faults, access modes, a flavour and multicast discovery."""

from rigs.simulators import Bench, DemoRig, Served, Simulation, Start, index_map

from .farm import SimFarm, demo_rigs, make_rigs
from .faults import FAULTS
from .rig import FLAVOURS


def demo() -> list[DemoRig]:
    return [DemoRig(sim.name, dict(kind="cgminer", description=f"simulated {sim.f['desc']}"), sim=sim,
                    first_run_only=True) for sim in demo_rigs()]


async def serve_demo(rigs: list[tuple[DemoRig, dict]], host: str, folder: str) -> Served:
    farm = SimFarm([rig.sim for rig, _ in rigs], host, rigs[0][1]["port"])
    served = Served([farm.stop])
    try:
        await farm.start()
    except OSError:
        await farm.stop()
        raise
    return served


OPTIONS = (
    (("--count",), dict(type=int, default=8)),
    (("--flavour",), dict(choices=sorted(FLAVOURS), help="one flavour for every rig")),
    (("--fault",), dict(action="append", metavar="I=MODE", help=f"fault for rig I: {', '.join(FAULTS)}")),
    (("--access",), dict(action="append", metavar="I=MODE",
                         help="api-allow for rig I: W (default), R, deny, or a group like P:switchpool:*")),
    (("--mcast",), dict(action="store_true", help="answer multicast discovery (as miners started with --api-mcast)")),
    (("--mcast-code",), dict(default="FTW", help="their --api-mcast-code")),
    (("--mcast-addr",), dict(default="224.0.0.75", help="their --api-mcast-addr")),
    (("--mcast-port",), dict(type=int, default=4028, help="their --api-mcast-port")),
)


def simulate(opts: dict, bench: Bench) -> list[Start]:
    faults = index_map(opts["fault"], FAULTS, "fault")
    access = index_map(opts["access"])
    rigs = make_rigs(opts["count"], seed=opts["seed"], faults=faults, access=access, flavour=opts["flavour"])
    host, base = bench.host, bench.take(len(rigs))
    for rig in rigs:
        done = bench.register(name=rig.name, host=host, port=base + rig.index, description=f"simulated {rig.f['desc']}",
                              order=rig.index)
        extra = " ".join(x for x in (rig.fault and f"fault={rig.fault}", rig.access != "W" and f"access={rig.access}",
                                     done) if x)
        if opts["count"] <= 50 or done.startswith("(not"):
            bench.write(f"{rig.name} {host}:{base + rig.index} {rig.f['desc']} {extra}")
    bench.write(f"serving {len(rigs)} simulated rigs from {host}:{base}; Ctrl-C stops")

    async def start():
        farm = await SimFarm(rigs, host, base).start()
        if opts["mcast"]:
            from . import mcast

            await mcast.serve(farm, opts["mcast_addr"], opts["mcast_port"], opts["mcast_code"])
            bench.write(f"answering multicast discovery on {opts['mcast_addr']}:{opts['mcast_port']} "
                        f"(code {opts['mcast_code']})")
        return farm.stop

    return [start]


SIMULATION = Simulation("cgminer", demo=demo, serve_demo=serve_demo, options=OPTIONS, simulate=simulate)
