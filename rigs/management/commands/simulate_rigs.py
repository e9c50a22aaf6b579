"""`simulate_rigs`: fake rigs of every kind on loopback, each kind's options and start as its simulator
declares them (rigs/simulators/: SIMULATION), optionally registered in the panel."""

import asyncio
import resource

from django.core.management.base import BaseCommand, CommandError

from rigs import simulators


def raise_file_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(needed, soft)), hard))


def register(opts, **fields):
    """Add (or update) the rig at this address; a name another rig has gets a suffix (-2, -3...).

    Returns what was done, for the command's output; a rig that does not validate is skipped."""
    if not opts["register"]:
        return ""
    from django.core.exceptions import ValidationError

    from rigs.models import Rig

    wanted = fields.pop("name")
    address = {k: fields.get(k, Rig._meta.get_field(k).get_default()) for k in ("host", "port", "path")}
    rig = Rig.objects.filter(**address).first() or Rig(**address)
    if "token" not in fields and rig.secret_would_move([k for k, v in fields.items() if getattr(rig, k) != v]):
        fields["token"] = ""  # the stored secret never follows the rig to another kind or port
    name, n = wanted, 2
    while Rig.objects.filter(name=name).exclude(pk=rig.pk).exists():
        name, n = f"{wanted}-{n}", n + 1
    for key, value in {**fields, "name": name}.items():
        setattr(rig, key, value)
    try:
        rig.full_clean()
    except ValidationError as exc:
        return f"(not registered: {'; '.join(exc.messages)})"
    rig.save()
    return f"(registered as {name}: {wanted} was taken)" if name != wanted else "(registered)"


class Command(BaseCommand):
    help = "Serve N simulated rigs speaking the cgminer API on consecutive loopback ports."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--base-port", type=int, default=4028)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--register", action="store_true", help="add the rigs to the panel's database")
        added = set()
        for simulation in simulators.simulations():
            for flags, keywords in simulation.options:
                if not added & set(flags):  # an option a family shares is added once
                    parser.add_argument(*flags, **keywords)
                    added.update(flags)

    def handle(self, *args, **opts):
        bench = simulators.Bench(opts, opts["host"], opts["base_port"], lambda **fields: register(opts, **fields),
                                 self.stdout.write)
        starts = []
        try:
            for simulation in simulators.simulations():
                starts += simulation.simulate(opts, bench) if simulation.simulate else []
        except simulators.BadOption as exc:
            raise CommandError(str(exc)) from None
        for line in bench.notes:
            self.stdout.write(line)
        raise_file_limit(bench.port - opts["base_port"] + 1024)

        async def main():
            stops = []
            try:
                for start in starts:
                    stop = await start()
                    if stop is not None:
                        stops.append(stop)
                await asyncio.Event().wait()
            finally:
                for stop in stops:
                    await stop()

        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            pass
