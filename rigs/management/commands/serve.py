"""`make run`: one ASGI process serving HTTP and WebSocket, with the poller inside.

When no rig is configured, the built-in simulator's eight demo rigs are
registered and served from this same process, so a first visit shows a living
panel. The first account is created with a generated password, printed once.
"""

import asyncio
import logging
import os
import secrets
import tempfile
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from twisted.internet.defer import Deferred

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


def demo_dir():
    """Where the demo ckpool keeps its sockets and logs (Unix socket paths must stay short)."""
    return os.path.join(tempfile.gettempdir(), f"minerpanel-demo-{settings.DEMO_BASE_PORT}")


def demo_specs(n_sims):
    """The demo rigs beside the simulated cgminer rigs: an xmrig, a ckpool, an XMRigCC server, an Antminer
    and a Whatsminer (their web and API passwords made here, known only to the simulators)."""
    base = settings.DEMO_BASE_PORT
    return [
        dict(name="xmrig00", kind="xmrig", host="127.0.0.1", port=base + n_sims, token=XMRIG_DEMO_TOKEN,
             description="simulated xmrig 6.26.0"),
        dict(name="ckpool", kind="ckpool", host="localhost", port=base + n_sims + 1,
             path=os.path.join(demo_dir(), "ckpool"), logdir=os.path.join(demo_dir(), "logs"),
             description="simulated ckpool (solo pool, 2 users)"),
        dict(name="xmrigcc", kind="xmrigcc-server", host="127.0.0.1", port=base + n_sims + 2, username="admin",
             token=secrets.token_urlsafe(12), description="simulated XMRigCC server 3.4.9, 4 miners"),
        dict(name="s19pro", kind="antminer", host="127.0.0.1", port=base + n_sims + 3, web_port=base + n_sims + 4,
             username="root", token=secrets.token_urlsafe(12), description="simulated Antminer S19 Pro, stock firmware"),
        dict(name="m50s", kind="whatsminer", host="127.0.0.1", port=base + n_sims + 5, token=secrets.token_urlsafe(12),
             description="simulated Whatsminer M50S, API v2"),
    ]


def ensure_demo_rigs(stdout):
    """Register the demo rigs when no rig exists (and add demo kinds an older demo lacks);
    return the simulated cgminer rigs."""
    from rigs.models import Rig
    from rigs.simulators.cgminer import demo_rigs

    sims = demo_rigs()
    fresh = not Rig.objects.exists()
    if fresh and settings.DEMO_RIGS:
        for sim in sims:
            Rig.objects.create(
                name=sim.name, host="127.0.0.1", port=settings.DEMO_BASE_PORT + sim.index,
                description=f"simulated {sim.f['desc']}", order=sim.index, simulated=True,
            )
    if not Rig.objects.filter(simulated=True).exists():
        return []
    for order, spec in enumerate(demo_specs(len(sims)), start=len(sims)):
        if not Rig.objects.filter(name=spec["name"]).exists():
            Rig.objects.create(order=order, simulated=True, **spec)
    if fresh:
        stdout.write(f"No rig configured: serving {Rig.objects.count()} simulated rigs "
                     f"(cgminer, xmrig, ckpool, XMRigCC, Antminer, Whatsminer) on 127.0.0.1:{settings.DEMO_BASE_PORT}+.\n")
    return sims


async def start_demo_services(sims):
    """The simulators behind the demo rigs, in this process."""
    from rigs.models import Rig
    from rigs.simulators import antminer as antminer_sim
    from rigs.simulators import ckpool as ckpool_sim
    from rigs.simulators import whatsminer as whatsminer_sim
    from rigs.simulators import xmrig as xmrig_sim
    from rigs.simulators import xmrigcc as xmrigcc_sim
    from rigs.simulators.cgminer import SimFarm

    await SimFarm(sims, "127.0.0.1", settings.DEMO_BASE_PORT).start()
    demo = {r.name: r for r in await sync_to_async(list)(Rig.objects.filter(simulated=True))}
    if "xmrig00" in demo:
        await xmrig_sim.serve([xmrig_sim.XmrigSim(token=XMRIG_DEMO_TOKEN, restricted=False)], "127.0.0.1",
                              demo["xmrig00"].port)
    if "ckpool" in demo:
        await ckpool_sim.CkpoolSim(demo["ckpool"].path, demo["ckpool"].logdir, interval=15).start()
    if "xmrigcc" in demo:
        cc = demo["xmrigcc"]
        server = xmrigcc_sim.Server(os.path.join(demo_dir(), "xmrigcc"), user=cc.username, password=cc.token)
        xmrigcc_sim.write_demo_configs(server)
        await xmrigcc_sim.serve(server, "127.0.0.1", cc.port)
        asyncio.ensure_future(xmrigcc_sim.run_fleet(xmrigcc_sim.demo_fleet(server), interval=5))
    if "s19pro" in demo:
        rig = demo["s19pro"]
        await antminer_sim.serve(antminer_sim.AntminerSim(password=rig.token), "127.0.0.1", rig.port, rig.web_port)
    if "m50s" in demo:
        rig = demo["m50s"]
        await whatsminer_sim.serve(whatsminer_sim.WhatsminerSim(password=rig.token), "127.0.0.1", rig.port)


WS_MAX_MESSAGE = 16 * 1024 * 1024
COALESCE = 1.0  # seconds the poller's batches are gathered before the pages are updated

async def poller_process(stop, children):
    """The poller as a child process (`pollrigs --notify`: its own core and GIL, so a round over a
    thousand rigs never holds up a page). Each batch it stores comes back as a line of rig ids; their
    page rows are built here, then the open pages are pushed. Started again if it exits."""
    import json
    import sys

    from rigs import pages, poller

    while not stop.is_set():
        # From this loop's thread, the main one: the child's PR_SET_PDEATHSIG follows the forking thread.
        # Its stdin is a pipe never written: it closes when serve dies, however it dies, and the child stops.
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(settings.BASE_DIR / "manage.py"), "pollrigs", "--notify",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        children[:] = [proc]
        while line := await proc.stdout.readline():
            ids = set()
            until = time.monotonic() + COALESCE  # the batches of one round become one or two updates
            while line:
                try:
                    ids.update(int(i) for i in json.loads(line))
                except (ValueError, TypeError):
                    log.warning("the poller wrote %r", line[:200])
                try:
                    line = await asyncio.wait_for(proc.stdout.readline(), max(0.0, until - time.monotonic()))
                except asyncio.TimeoutError:
                    break
            if not ids:
                continue
            ids = sorted(ids)
            try:
                # in a thread of its own: requests do not queue behind it
                await sync_to_async(pages.warm_and_prebuild, thread_sensitive=False)(ids)
            except Exception:
                log.exception("building the pages of a batch failed")
            await poller.publish(ids)
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
            except asyncio.TimeoutError:
                log.warning("the poller did not stop within %.0f s: killed", grace)
                proc.kill()
                await proc.wait()


# The demo xmrig's API token: it lives only on loopback, in the simulator this process starts.
XMRIG_DEMO_TOKEN = "demo-xmrig-token"


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
        sims = ensure_demo_rigs(self.stdout)
        stop = asyncio.Event()

        async def background():
            if sims:
                try:
                    await start_demo_services(sims)
                except OSError as exc:  # a demo port taken: say so, and poll what there is
                    log.error("the demo simulators could not all start (%s); set DEMO_BASE_PORT to free ports", exc)
            if settings.EMBEDDED_POLLER and not opts["no_poller"]:
                await poller_process(stop, children)

        children = []
        task = twisted_loop.create_task(background())
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
