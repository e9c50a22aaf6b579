import asyncio
import json
import os
import signal
import sys

from asgiref.sync import sync_to_async
from django.core.management.base import BaseCommand, CommandError

from minerpanel.terminal import shown
from rigs import poller
from rigs.lease import Lease


class Command(BaseCommand):
    help = "Poll every enabled rig every POLL_INTERVAL seconds and store their snapshots."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument("--interval", type=float, help="seconds between rounds (default POLL_INTERVAL)")
        parser.add_argument("--shard", help="K/N: poll only rigs whose id %% N == K (for several pollers)")
        parser.add_argument("--notify", action="store_true",
                            help="write the ids of each stored batch to stdout, one JSON list a line (for serve)")

    def handle(self, *args, **opts):
        shard = None
        if opts["shard"]:
            try:
                k, n = (int(x) for x in opts["shard"].split("/"))
                assert 0 <= k < n
            except (ValueError, AssertionError):
                raise CommandError("--shard takes K/N with 0 <= K < N, e.g. 0/4") from None
            shard = (k, n)
        # One poller per shard: a second one started for it stands by (rigs/lease.py).
        lease = Lease(shard)
        if opts["once"]:
            if not lease.claim():
                raise CommandError(f"another poller ({lease.holder()}) holds shard {lease.shard}: nothing polled")

            async def once():
                try:
                    return await poller.poll_once(shard, lease=lease)
                finally:
                    await sync_to_async(lease.release)()

            results, took = asyncio.run(once())
            failed = [r for r in results if not r.ok]
            self.stdout.write(f"polled {len(results)} rigs in {took:.2f} s, {len(failed)} failed")
            for r in failed:
                self.stdout.write(f"  rig {r.rig_id}: {shown(r.error)}")
            return

        from watch import notify as notifications

        notifications.start()  # alerts' notifications are sent beside the poller, in their own thread

        async def main():
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await poller.run(stop, opts["interval"], shard, on_batch=notify if opts["notify"] else None,
                             lease=lease)

        def notify(ids):
            try:
                sys.stdout.write(json.dumps(sorted(ids)) + "\n")
                sys.stdout.flush()
            except BrokenPipeError:  # serve is gone: so is its poller
                os._exit(0)

        asyncio.run(main())
