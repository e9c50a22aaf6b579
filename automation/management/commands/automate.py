import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from automation.runner import tick


class Command(BaseCommand):
    help = ("Run automation (price feeds, curtailment schedules and prices, the watchdog's rules): once, or every "
            "--every seconds. Needed only where the poller does not run it (AUTOMATION_IN_POLLER=0).")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument("--every", type=float, default=30.0, help="Seconds between passes (default 30).")

    def handle(self, *args, once=False, every=30.0, **options):
        while True:
            done = tick()
            self.stdout.write(f"fetched {done['feeds']} feed(s), curtailed {len(done['curtailed'])}, resumed "
                              f"{len(done['resumed'])}, {len(done['actions'])} rule step(s)")
            if once:
                return
            close_old_connections()
            time.sleep(max(1.0, every))
