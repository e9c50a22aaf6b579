"""`make run`: one ASGI process serving HTTP and WebSocket, with the poller inside.

When no rig is configured, the built-in simulator's eight demo rigs are
registered and served from this same process, so a first visit shows a living
panel. The first account is created with a generated password, printed once.
"""

import asyncio
import logging
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

log = logging.getLogger("minerpanel.serve")


def ensure_first_user(stdout):
    User = get_user_model()
    if User.objects.exists():
        stdout.write("Log in with your account (new accounts: manage.py createsuperuser).")
        return
    password = secrets.token_urlsafe(12)
    User.objects.create_superuser("admin", "", password)
    stdout.write("\n  First start: created the account 'admin' with the password\n")
    stdout.write(f"      {password}\n")
    stdout.write("  It is shown only this once. Change it in the admin (/admin/).\n\n")


def ensure_demo_rigs(stdout):
    """Register the demo rigs when no rig exists; return the simulated ones."""
    from rigs.models import Rig
    from rigs.simulator import demo_rigs

    sims = demo_rigs()
    if not Rig.objects.exists() and settings.DEMO_RIGS:
        for sim in sims:
            Rig.objects.create(
                name=sim.name, host="127.0.0.1", port=settings.DEMO_BASE_PORT + sim.index,
                description=f"simulated {sim.f['desc']}", order=sim.index, simulated=True,
            )
        Rig.objects.create(name="xmrig00", kind="xmrig", host="127.0.0.1", port=settings.DEMO_BASE_PORT + len(sims),
                           token=XMRIG_DEMO_TOKEN, description="simulated xmrig 6.26.0", order=len(sims), simulated=True)
        stdout.write(f"No rig configured: serving {len(sims) + 1} simulated rigs on 127.0.0.1:{settings.DEMO_BASE_PORT}+.\n")
    if Rig.objects.filter(simulated=True).exists():
        return sims
    return []


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
        from rigs import pages, poller
        from rigs import xmrig_sim
        from rigs.simulator import SimFarm
        from rigs.xmrig_sim import XmrigSim

        ensure_first_user(self.stdout)
        sims = ensure_demo_rigs(self.stdout)
        stop = asyncio.Event()

        async def background():
            if sims:
                await SimFarm(sims, "127.0.0.1", settings.DEMO_BASE_PORT).start()
                await xmrig_sim.serve([XmrigSim(token=XMRIG_DEMO_TOKEN, restricted=False)], "127.0.0.1",
                                      settings.DEMO_BASE_PORT + len(sims))
            if settings.EMBEDDED_POLLER and not opts["no_poller"]:
                # same process as the pages: build their rows once per batch
                await poller.run(stop, on_batch=pages.warm)

        task = twisted_loop.create_task(background())
        reactor.addSystemEventTrigger("before", "shutdown", stop.set)
        url = f"http://{opts['host']}:{opts['port']}/"
        self.stdout.write(f"MinerPanel on {url}  (Ctrl-C stops)\n")
        Server(
            application=application,
            endpoints=[f"tcp:port={opts['port']}:interface={opts['host']}"],
            signal_handlers=True,
        ).run()
        task.cancel()
