import asyncio
import ctypes
import json
import logging
import os
import signal
import stat
import sys

from asgiref.sync import sync_to_async
from django.core.management.base import BaseCommand, CommandError

from minerpanel.terminal import shown
from rigs.polling import poller
from rigs.polling.lease import Lease

log = logging.getLogger("minerpanel.poller")
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent():
    """Linux: SIGTERM this process when its parent dies (kill -9 included). The kernel sends it when
    the parent's *thread* that forked exits: serve starts its poller from its event loop, in the main
    thread, which lives as long as serve. Elsewhere, or if prctl fails, the stdin watch alone."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def watch_parent(loop, stop):
    """Under serve (--notify, stdin a pipe serve never writes): stdin reaches its end when serve is
    gone, however it died (also when it died before die_with_parent was set). Then stop cleanly."""
    if not stat.S_ISFIFO(os.fstat(0).st_mode):
        return

    def readable():
        try:
            data = os.read(0, 4096)
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(0)
            if not stop.is_set():
                log.warning("serve is gone (its pipe closed): the poller stops")
                stop.set()

    loop.add_reader(0, readable)


class Command(BaseCommand):
    help = "Poll every enabled rig every POLL_INTERVAL seconds and store their snapshots."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument("--interval", type=float, help="seconds between rounds (default POLL_INTERVAL)")
        parser.add_argument("--shard", help="K/N: poll only rigs whose id %% N == K (for several pollers)")
        parser.add_argument("--notify", action="store_true",
                            help="announce each stored batch on stdout, a JSON line {rigs, tables}, for serve to "
                                 "forward (without a shared channel layer)")

    def handle(self, *args, **opts):
        shard = None
        if opts["shard"]:
            try:
                k, n = (int(x) for x in opts["shard"].split("/"))
                assert 0 <= k < n
            except (ValueError, AssertionError):
                raise CommandError("--shard takes K/N with 0 <= K < N, e.g. 0/4") from None
            shard = (k, n)
        # One poller per shard: a second one started for it stands by (rigs/polling/lease.py).
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

        stop, loop = asyncio.Event(), None

        async def main():
            nonlocal loop
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            if opts["notify"]:  # started by serve: it dies with serve, and hands its lease over
                die_with_parent()
                watch_parent(loop, stop)
            await poller.run(stop, opts["interval"], shard, on_batch=notify if opts["notify"] else None,
                             lease=lease)

        def notify(ids, tables=()):
            if stop.is_set():
                return
            try:
                sys.stdout.write(json.dumps({"rigs": sorted(ids), "tables": list(tables)}) + "\n")
                sys.stdout.flush()
            except BrokenPipeError:  # serve is gone: its poller stops, its lease released
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # what is buffered goes nowhere
                log.warning("serve is gone (its pipe broke): the poller stops")
                loop.call_soon_threadsafe(stop.set)

        asyncio.run(main())
