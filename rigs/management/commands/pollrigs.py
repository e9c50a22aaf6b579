import asyncio
import signal

from django.core.management.base import BaseCommand, CommandError

from rigs import poller


class Command(BaseCommand):
    help = "Poll every enabled rig every POLL_INTERVAL seconds and store their snapshots."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument("--interval", type=float, help="seconds between rounds (default POLL_INTERVAL)")
        parser.add_argument("--shard", help="K/N: poll only rigs whose id %% N == K (for several pollers)")

    def handle(self, *args, **opts):
        shard = None
        if opts["shard"]:
            try:
                k, n = (int(x) for x in opts["shard"].split("/"))
                assert 0 <= k < n
            except (ValueError, AssertionError):
                raise CommandError("--shard takes K/N with 0 <= K < N, e.g. 0/4") from None
            shard = (k, n)
        if opts["once"]:
            results, took = asyncio.run(poller.poll_once(shard))
            failed = [r for r in results if not r.ok]
            self.stdout.write(f"polled {len(results)} rigs in {took:.2f} s, {len(failed)} failed")
            for r in failed:
                self.stdout.write(f"  rig {r.rig_id}: {r.error}")
            return

        from watch import notify

        notify.start()  # issue 13: notifications are sent beside the poller, in their own thread

        async def main():
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await poller.run(stop, opts["interval"], shard)

        asyncio.run(main())
