"""Benchmark the automation runner's parts on a large farm: what one pass costs the lead poller.

In a throw-away SQLite database (as benchpages --map): N rigs on two sites (racks of 100), a schedule (closed), a
price policy (running), two rules of two steps, ``--alerts`` firing alerts under the first rule, the
guardrails on in dry run, and two hours of minute points for every rig. It prints the time of a
curtailment pass with nothing to send, the watchdog's first pass (each alert's first step recorded:
dry run or held), a second pass with nothing due, and the energy of one site today and over a week.
"""

import os
import tempfile
import time as clock
from datetime import timedelta

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections
from django.utils import timezone


class Command(BaseCommand):
    help = "Time the automation runner's passes and the energy per site on N rigs (a throw-away SQLite database)."

    def add_arguments(self, parser):
        parser.add_argument("--rigs", type=int, default=5000)
        parser.add_argument("--alerts", type=int, default=500)

    def setup(self, n, alerts, now):
        db = connections["default"]
        db.close()
        db.settings_dict["NAME"] = os.path.join(tempfile.mkdtemp(prefix="benchautomation-"), "bench.sqlite3")
        call_command("migrate", verbosity=0)
        from automation.models import AutomationSettings, PriceFeed, PricePolicy, Rule, Schedule, Step, Window
        from farm.models import Placement, Rack, Site
        from rigs.models import Rig
        from watch.models import Alert, Point

        Rig.objects.bulk_create([Rig(name=f"r{i:05d}", host="127.0.0.1", port=10000 + i) for i in range(n)],
                                batch_size=1000)
        rigs = list(Rig.objects.order_by("id"))
        sites = [Site.objects.create(name=name) for name in ("Oslo", "Texas")]
        racks = [Rack.objects.create(site=sites[i % 2], name=f"R{i}", rows=10, columns=10)
                 for i in range(-(-n // 100))]
        Placement.objects.bulk_create([Placement(rig=r, site=racks[i // 100].site, rack=racks[i // 100],
                                                 row=i % 100 // 10 + 1, column=i % 10 + 1)
                                       for i, r in enumerate(rigs)], batch_size=1000)
        schedule = Schedule.objects.create(name="peak", site=sites[0])
        closed = (now - timedelta(hours=2)).astimezone(timezone.get_current_timezone())  # a minute two hours ago
        Window.objects.create(schedule=schedule, weekdays="", start=closed.time(),
                              end=(closed + timedelta(minutes=1)).time())
        feed = PriceFeed.objects.create(name="feed", url="http://127.0.0.1:9/", enabled=False)
        PricePolicy.objects.create(site=sites[1], feed=feed, curtail_above=100, resume_below=50)
        AutomationSettings(enabled=True, dry_run=True).save()
        for name, alert in (("stuck", "hashrate"), ("hot", "temperature")):
            rule = Rule.objects.create(name=name, alert=alert, minutes=5)
            Step.objects.create(rule=rule, order=0, action="restart")
            Step.objects.create(rule=rule, order=1, action="reboot", wait=10)
        step = max(1, n // max(1, alerts))
        Alert.objects.bulk_create([Alert(rig=rigs[i * step], rule="hashrate", key="", text="slow", state="firing",
                                         started=now - timedelta(minutes=30)) for i in range(min(alerts, n))])
        start = int(now.timestamp()) // 60 * 60 - 120 * 60
        for j in range(0, n, 500):
            Point.objects.bulk_create([Point(rig=r, res=1, t=start + 60 * k, power=3000.0) for r in rigs[j:j + 500]
                                       for k in range(120)], batch_size=5000)
        return sites[0]

    def handle(self, *args, **opts):
        from automation import curtailing, energy, watchdog

        n, alerts, now = opts["rigs"], opts["alerts"], timezone.now()
        site = self.setup(n, alerts, now)
        self.stdout.write(f"automation: {n:,} rigs on 2 sites, {alerts} firing alerts, 2 h of minute points "
                          "(SQLite, one pass each):")
        for label, fn in (("curtailment pass, nothing to send", lambda: curtailing.tick(now)),
                          ("watchdog, first pass (each alert's step recorded)", lambda: watchdog.run(now)),
                          ("watchdog, next pass (nothing due)", lambda: watchdog.run(now)),
                          (f"energy of one site today ({site.placements.count():,} rigs)",
                           lambda: energy.today(site, now)),
                          ("energy of one site, 7 days", lambda: energy.days(site, 7, now))):
            began = clock.perf_counter()
            fn()
            self.stdout.write(f"  {(clock.perf_counter() - began) * 1000:8.0f} ms  {label}")
