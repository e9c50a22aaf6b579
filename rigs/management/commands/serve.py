"""`make run`: one ASGI process serving HTTP and WebSocket, with the poller inside.

When no rig is configured, the demo rigs (rigs/demo.py) are registered and
served from this same process, so a first visit shows a living panel. The first account is created
with a generated password, printed once.
"""

import asyncio
import logging
import secrets
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone
from twisted.internet.defer import Deferred

from rigs import control, demo

log = logging.getLogger("minerpanel.serve")


def ensure_first_user(stdout):
    User = get_user_model()
    if User.objects.exists():
        stdout.write("Log in with your account (new accounts: manage.py createuser NAME --tier sys|usr).")
        return
    password = secrets.token_urlsafe(12)
    User.objects.create_superuser("admin", "", password)
    stdout.write("\n  First start: created the account 'admin' with the password\n")
    stdout.write(f"      {password}\n")
    stdout.write("  It is shown only this once. Change it in the admin (/admin/).\n\n")


WS_MAX_MESSAGE = 16 * 1024 * 1024
COALESCE = 1.0  # seconds the poller's batches are gathered before the pages are pushed


async def poller_process(stop, children):
    """The poller as a child process (`pollrigs --notify`: its own core and GIL, so a round over a
    thousand rigs never holds up a page). It stores each batch, writes its ready rows and announces it;
    without Redis its announcement is a line of rig ids on its stdout, which this forwards to the
    in-memory channel layer the pages listen on (nothing is computed here). Started again if it exits."""
    import json
    import sys

    from rigs.polling import poller

    while not stop.is_set():
        # From this loop's thread, the main one: the child's PR_SET_PDEATHSIG follows the forking thread.
        # Its stdin is a pipe never written: it closes when serve dies, however it dies, and the child stops.
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(settings.BASE_DIR / "manage.py"), "pollrigs", "--notify",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        children[:] = [proc]
        while line := await proc.stdout.readline():
            ids, tables = set(), set()
            until = time.monotonic() + COALESCE  # the batches of one round become one or two updates
            while line:
                try:
                    said = json.loads(line)
                    ids.update(int(i) for i in said["rigs"])
                    tables.update(str(k) for k in said["tables"])
                except (ValueError, TypeError, KeyError):
                    log.warning("the poller wrote %r", line[:200])
                try:
                    line = await asyncio.wait_for(proc.stdout.readline(), max(0.0, until - time.monotonic()))
                except TimeoutError:
                    break
            if not ids:
                continue
            await poller.publish(sorted(ids), sorted(tables))
        await proc.wait()
        if not stop.is_set():
            log.warning("the poller exited (%s); starting it again in 2 s", proc.returncode)
            await asyncio.sleep(2)


async def stop_children(children, grace=10.0):
    """At shutdown: SIGTERM the poller and wait for it (it releases its lease), so serve outlives it
    and a start right after finds the shard free; after ``grace`` seconds, SIGKILL."""
    for proc in children:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), grace)
            except TimeoutError:
                log.warning("the poller did not stop within %.0f s: killed", grace)
                proc.kill()
                await proc.wait()


class Command(BaseCommand):
    help = "Serve the panel (HTTP + WebSocket) with the poller, and the demo simulator when no rig exists."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-poller", action="store_true", help="run pollrigs separately")

    def handle(self, *args, **opts):
        # daphne.server installs the asyncio Twisted reactor on import: first.
        from daphne.server import Server, twisted_loop
        from twisted.internet import reactor

        from minerpanel.asgi import application

        ensure_first_user(self.stdout)
        stop = asyncio.Event()
        started = timezone.now()
        control.mark_interrupted(started - control.command_bound())  # cut off by an earlier process's end

        async def background():
            try:
                await demo.start(self.stdout)  # its rigs on ports its simulators hold, before the poller reads them
            except Exception:
                log.exception("the demo could not start")
            if settings.EMBEDDED_POLLER and not opts["no_poller"]:
                await poller_process(stop, children)

        async def interrupted_later():  # and those of a process that ended just before this one started
            await asyncio.sleep(control.command_bound().total_seconds())
            await sync_to_async(control.mark_interrupted)(started)

        children = []
        task = twisted_loop.create_task(background())
        sweep = twisted_loop.create_task(interrupted_later())
        reactor.addSystemEventTrigger("before", "shutdown", stop.set)
        reactor.addSystemEventTrigger("before", "shutdown",
                                      lambda: Deferred.fromFuture(twisted_loop.create_task(stop_children(children))))
        url = f"http://{opts['host']}:{opts['port']}/"
        self.stdout.write(f"MinerPanel on {url}  (Ctrl-C stops)\n")
        Server(
            application=application,
            endpoints=[f"tcp:port={opts['port']}:interface={opts['host']}"],
            signal_handlers=True,
            # a 1,000-rig summary pushed over the socket is ~1.4 MB: above autobahn's 1 MiB default
            websocket_max_message_size=WS_MAX_MESSAGE, websocket_max_frame_size=WS_MAX_MESSAGE,
            # behind a proxy that overwrites this header (README, "Behind a reverse proxy")
            proxy_forwarded_address_header=settings.PROXY_ADDRESS_HEADER or None,
        ).run()
        task.cancel()
        sweep.cancel()
