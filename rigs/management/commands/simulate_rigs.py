import asyncio
import resource

from django.core.management.base import BaseCommand, CommandError

from rigs.simulator import FAULTS, FLAVOURS, SimFarm, make_rigs


def index_map(values, allowed=None, what="value"):
    """["3=hang", "5=R"] -> {3: "hang", 5: "R"}"""
    out = {}
    for v in values or []:
        idx, _, mode = v.partition("=")
        if not idx.isdigit() or not mode:
            raise CommandError(f"expected INDEX=MODE, got {v!r}")
        if allowed and mode not in allowed:
            raise CommandError(f"unknown {what} {mode!r}: choose from {', '.join(allowed)}")
        out[int(idx)] = mode
    return out


def raise_file_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(needed, soft)), hard))


class Command(BaseCommand):
    help = "Serve N simulated rigs speaking the cgminer API on consecutive loopback ports."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=8)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--base-port", type=int, default=4028)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--flavour", choices=sorted(FLAVOURS), help="one flavour for every rig")
        parser.add_argument("--fault", action="append", metavar="I=MODE",
                            help=f"fault for rig I: {', '.join(FAULTS)}")
        parser.add_argument("--access", action="append", metavar="I=MODE",
                            help="api-allow for rig I: W (default), R, deny, or a group like P:switchpool:*")
        parser.add_argument("--register", action="store_true", help="add the rigs to the panel's database")

    def handle(self, *args, **opts):
        faults = index_map(opts["fault"], FAULTS, "fault")
        access = index_map(opts["access"])
        rigs = make_rigs(opts["count"], seed=opts["seed"], faults=faults, access=access, flavour=opts["flavour"])
        raise_file_limit(opts["count"] + 1024)
        if opts["register"]:
            from rigs.models import Rig

            for rig in rigs:
                Rig.objects.update_or_create(
                    host=opts["host"], port=opts["base_port"] + rig.index,
                    defaults={"name": rig.name, "description": f"simulated {rig.f['desc']}", "order": rig.index},
                )
        for rig in rigs:
            extra = " ".join(x for x in (rig.fault and f"fault={rig.fault}", rig.access != "W" and f"access={rig.access}") if x)
            if opts["count"] <= 50:
                self.stdout.write(f"{rig.name} {opts['host']}:{opts['base_port'] + rig.index} {rig.f['desc']} {extra}")
        self.stdout.write(f"serving {len(rigs)} simulated rigs from {opts['host']}:{opts['base_port']}; Ctrl-C stops")

        async def main():
            farm = await SimFarm(rigs, opts["host"], opts["base_port"]).start()
            try:
                await asyncio.Event().wait()
            finally:
                await farm.stop()

        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            pass
