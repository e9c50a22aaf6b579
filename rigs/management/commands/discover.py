import asyncio

from django.core.management.base import BaseCommand, CommandError

from minerpanel.terminal import shown
from rigs.discovery import search
from rigs.discovery.register import expect_warning, mcast_options, register


def table(found):
    rows = [("address", "API port", "description", "kind", "version")]
    rows += [(f.host, str(f.port), shown(f.description or "-", 80), f.kind if f.version else "-",
              shown(f.version or "no valid `version` reply", 200)) for f in found]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return ["  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4] for r in rows]


class Command(BaseCommand):
    help = ("Find rigs: --mcast asks miners started with --api-mcast (miner.php's $mcast); --scan CIDR asks "
            "`version` of every address of a private range. --register adds the new ones as rigs.")

    def add_arguments(self, parser):
        how = parser.add_mutually_exclusive_group(required=True)
        how.add_argument("--mcast", action="store_true", help="multicast discovery, as miner.php's $mcast")
        how.add_argument("--scan", metavar="CIDR", help="e.g. 192.168.1.0/24 (your farm's private range)")
        parser.add_argument("--code", help="--api-mcast-code of the miners (MCAST_CODE, default FTW)")
        parser.add_argument("--addr", help="multicast group (MCAST_ADDR, default 224.0.0.75)")
        parser.add_argument("--port", type=int, help="--mcast: the group's UDP port (MCAST_PORT); "
                                                     "--scan: the API port; default 4028")
        parser.add_argument("--listen-port", type=int, help="UDP port the replies come to (MCAST_LISTEN_PORT, 4027)")
        parser.add_argument("--timeout", type=float, help="seconds to wait for replies (1.5)")
        parser.add_argument("--retries", type=int, help="extra sends of the multicast message (MCAST_RETRIES, 0)")
        parser.add_argument("--expect", type=int, help="warn when fewer rigs answer (MCAST_EXPECT)")
        parser.add_argument("--limit", type=int, default=search.SCAN_LIMIT, help="most addresses a scan asks")
        parser.add_argument("--concurrency", type=int, default=search.SCAN_CONCURRENCY)
        parser.add_argument("--allow-public", action="store_true", help="scan a public range (your own, surely)")
        parser.add_argument("--register", action="store_true", help="add the rigs found as discovered rigs")

    def handle(self, *args, **opts):
        timeout = opts["timeout"]
        if timeout is not None and not 0.1 <= timeout <= 30:
            raise CommandError("--timeout is from 0.1 to 30 seconds")
        if opts["retries"] is not None and not 0 <= opts["retries"] <= 20:
            raise CommandError("--retries is from 0 to 20")
        if not 1 <= opts["concurrency"] <= 1024 or not 1 <= opts["limit"] <= 65536:
            raise CommandError("--limit is from 1 to 65536 addresses, --concurrency from 1 to 1024")
        try:
            if opts["mcast"]:
                options = mcast_options(code=opts["code"], addr=opts["addr"], port=opts["port"],
                                        listen_port=opts["listen_port"], timeout=timeout, retries=opts["retries"],
                                        expect=opts["expect"])
                found = asyncio.run(search.mcast(**options))
                warning = expect_warning(found, options["expect"])
            else:
                found = asyncio.run(search.scan(opts["scan"], opts["port"] or 4028, opts["allow_public"],
                                                   opts["limit"], opts["concurrency"],
                                                   timeout or search.SCAN_TIMEOUT))
                warning = None
        except search.DiscoveryError as exc:
            raise CommandError(str(exc)) from None
        if not found:
            self.stdout.write("no rig answered")
        else:
            for line in table(found):
                self.stdout.write(line)
        if warning:
            self.stderr.write(warning)
        if opts["register"]:
            for line in register(found):
                self.stdout.write(shown(line))
