import asyncio
import resource

from django.core.management.base import BaseCommand, CommandError

from rigs.simulators.cgminer import FAULTS, FLAVOURS, SimFarm, make_rigs


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
        parser.add_argument("--mcast", action="store_true",
                            help="answer multicast discovery (as miners started with --api-mcast)")
        parser.add_argument("--mcast-code", default="FTW", help="their --api-mcast-code")
        parser.add_argument("--mcast-addr", default="224.0.0.75", help="their --api-mcast-addr")
        parser.add_argument("--mcast-port", type=int, default=4028, help="their --api-mcast-port")
        parser.add_argument("--xmrig", type=int, default=0, metavar="N",
                            help="also N xmrig HTTP APIs, on the ports after the cgminer rigs")
        parser.add_argument("--xmrig-token", default="", help="their http.access-token (unrestricted when given)")
        parser.add_argument("--ckpool", metavar="DIR", help="also a ckpool: sockets in DIR/ckpool, files in DIR/logs")
        parser.add_argument("--ckpool-interval", type=float, default=60.0, help="seconds between file rewrites")
        parser.add_argument("--ckpool-fault", action="append", choices=("half", "empty", "bigrate", "slow"), default=[])
        parser.add_argument("--antminer", type=int, default=0, metavar="N",
                            help="also N Antminer S19 Pro (stock firmware): RPC and web CGI on two ports each")
        parser.add_argument("--whatsminer", type=int, default=0, metavar="N", help="also N Whatsminer M50S (API v2)")
        parser.add_argument("--whatsminer3", type=int, default=0, metavar="N",
                            help="also N Whatsminer M60S on API v3 (4028, then the framed API on the next port)")
        parser.add_argument("--braiins", type=int, default=0, metavar="N",
                            help="also N Braiins OS 26.04 (RPC and REST on two ports each)")
        parser.add_argument("--avalon", type=int, default=0, metavar="N", help="also N AvalonMiner 1566")
        parser.add_argument("--luxos", type=int, default=0, metavar="N", help="also N LuxOS 2025.4.8")
        parser.add_argument("--vnish", type=int, default=0, metavar="N",
                            help="also N VNish 1.2.6 (RPC and REST on two ports each)")
        parser.add_argument("--asic-password", default="",
                            help="the ASIC simulators' web/API password (else generated and printed)")
        parser.add_argument("--xmrigcc-port", type=int, help="also an XMRigCC server on this port")
        parser.add_argument("--xmrigcc-miners", type=int, default=4)
        parser.add_argument("--xmrigcc-interval", type=float, default=10.0, help="seconds between miner reports")

    def handle(self, *args, **opts):
        faults = index_map(opts["fault"], FAULTS, "fault")
        access = index_map(opts["access"])
        rigs = make_rigs(opts["count"], seed=opts["seed"], faults=faults, access=access, flavour=opts["flavour"])
        raise_file_limit(opts["count"] + 1024)
        for rig in rigs:
            done = register(opts, name=rig.name, host=opts["host"], port=opts["base_port"] + rig.index,
                            description=f"simulated {rig.f['desc']}", order=rig.index)
            extra = " ".join(x for x in (rig.fault and f"fault={rig.fault}",
                                         rig.access != "W" and f"access={rig.access}",
                                         done) if x)
            if opts["count"] <= 50 or done.startswith("(not"):
                self.stdout.write(f"{rig.name} {opts['host']}:{opts['base_port'] + rig.index} {rig.f['desc']} {extra}")
        self.stdout.write(f"serving {len(rigs)} simulated rigs from {opts['host']}:{opts['base_port']}; Ctrl-C stops")

        others = self.other_kinds(opts, len(rigs))

        async def main():
            farm = await SimFarm(rigs, opts["host"], opts["base_port"]).start()
            if opts["mcast"]:
                from rigs.simulators.cgminer import mcast

                await mcast.serve(farm, opts["mcast_addr"], opts["mcast_port"], opts["mcast_code"])
                self.stdout.write(f"answering multicast discovery on {opts['mcast_addr']}:{opts['mcast_port']} "
                                  f"(code {opts['mcast_code']})")
            for start in others:
                await start()
            try:
                await asyncio.Event().wait()
            finally:
                await farm.stop()

        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            pass

    def other_kinds(self, opts, n):
        """Coroutine functions starting the xmrig, ckpool and XMRigCC simulators asked for."""
        import os
        import secrets

        from rigs.simulators import ckpool as ckpool_sim
        from rigs.simulators import xmrig as xmrig_sim
        from rigs.simulators import xmrigcc as xmrigcc_sim

        host, starts = opts["host"], []
        port = opts["base_port"] + n + opts["xmrig"]  # the ports after the cgminer rigs and the xmrigs
        starts += self.asic_kinds(opts, host, port)
        if opts["xmrig"]:
            token = opts["xmrig_token"] or None
            sims = [xmrig_sim.XmrigSim(index=i, token=token, restricted=token is None) for i in range(opts["xmrig"])]
            base = opts["base_port"] + n
            starts.append(lambda: xmrig_sim.serve(sims, host, base))
            for i in range(opts["xmrig"]):
                done = register(opts, name=f"xmrig{i:02d}", kind="xmrig", host=host, port=base + i,
                                token=opts["xmrig_token"])
                self.stdout.write(f"xmrig{i:02d} {host}:{base + i} xmrig 6.26.0 HTTP API {done}")
        if opts["ckpool"]:
            root = os.path.abspath(opts["ckpool"])
            sim = ckpool_sim.CkpoolSim(os.path.join(root, "ckpool"), os.path.join(root, "logs"),
                                       interval=opts["ckpool_interval"])
            sim.faults = set(opts["ckpool_fault"])
            sim.delay = 3.0 if "slow" in sim.faults else 0.0
            starts.append(sim.start)
            done = register(opts, name="ckpool", kind="ckpool", host="localhost", path=sim.sockdir, logdir=sim.logdir)
            self.stdout.write(f"ckpool sockets in {sim.sockdir}, files in {sim.logdir} {done}")
        if opts["xmrigcc_port"]:
            password = os.environ.get("XMRIGCC_PASSWORD") or secrets.token_urlsafe(12)
            server = xmrigcc_sim.Server(os.path.abspath("var/xmrigcc-sim"), user="admin", password=password)
            xmrigcc_sim.write_demo_configs(server)
            miners = xmrigcc_sim.demo_fleet(server, n=opts["xmrigcc_miners"])

            async def start_cc():
                await xmrigcc_sim.serve(server, host, opts["xmrigcc_port"])
                asyncio.ensure_future(xmrigcc_sim.run_fleet(miners, opts["xmrigcc_interval"]))

            starts.append(start_cc)
            done = register(opts, name="xmrigcc", kind="xmrigcc-server", host=host, port=opts["xmrigcc_port"],
                            username="admin", token=password)
            self.stdout.write(f"XMRigCC server {host}:{opts['xmrigcc_port']} user admin, password {password}, "
                              f"{len(miners)} miners {done}")
        return starts

    def asic_kinds(self, opts, host, port):
        """Coroutine functions serving the ASIC firmware simulators, from ``port`` on (two ports for the
        families with a web interface: RPC, then web)."""
        import secrets

        from rigs import drivers
        from rigs.simulators import antminer, avalon, braiins, luxos, vnish, whatsminer, whatsminer_v3

        password = opts["asic_password"] or secrets.token_urlsafe(9)
        families = [  # option, name prefix, kind, simulator, serve, web port?, user, what
            ("antminer", "s19x", "antminer", antminer.AntminerSim, antminer.serve, True, "root", "Antminer S19 Pro"),
            ("whatsminer", "m50x", "whatsminer", whatsminer.WhatsminerSim, whatsminer.serve, False, "",
             "Whatsminer M50S, API v2"),
            ("whatsminer3", "m60x", "whatsminer", whatsminer_v3.WhatsminerV3Sim, whatsminer_v3.serve, True, "",
             "Whatsminer M60S, API v3 (4028 for get_version)"),
            ("braiins", "bos", "braiins", braiins.BraiinsSim, braiins.serve, True, "root", "Braiins OS 26.04"),
            ("luxos", "lux", "luxos", luxos.LuxosSim, luxos.serve, False, "", "LuxOS 2025.4.8"),
            ("vnish", "vn", "vnish", vnish.VnishSim, antminer.serve, True, "", "VNish 1.2.6"),
            ("avalon", "ava", "avalon", avalon.AvalonSim, avalon.serve, False, "", "AvalonMiner 1566"),
        ]
        starts = []
        for option, prefix, kind, make, serve, web, user, what in families:
            secret = password if drivers.needs_secret(kind) else ""  # LuxOS, Avalon: none
            for i in range(opts[option]):
                sim = make(index=i, seed=opts["seed"], **({"password": secret} if secret else {}))
                ports = (port, port + 1) if web else (port,)
                starts.append(lambda sim=sim, serve=serve, ports=ports: serve(sim, host, *ports))
                register(opts, name=f"{prefix}{i:02d}", kind=kind, host=host, port=port,
                         web_port=port + 1 if web else None, username=user, token=secret)
                second = f", second port {port + 1}" if web else ""
                self.stdout.write(f"{prefix}{i:02d} {host}:{port} {what}{second}")
                port += len(ports)
        if starts and not opts["asic_password"]:
            self.stdout.write(f"ASIC simulators' web/API password: {password}")
        return starts
