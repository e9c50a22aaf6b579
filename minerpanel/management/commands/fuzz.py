import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = ("Fuzz the protocol parser (and the rig reply shapes every driver parses), the formula parser and "
            "the page importer with hypothesis: "
            "only their documented errors may come out. Prints inputs per second; fails with the smallest "
            "input that broke a parser.")

    def add_arguments(self, parser):
        parser.add_argument("--examples", type=int, default=5000, help="inputs per target (default 5000)")
        parser.add_argument("--target", action="append", choices=["protocol", "replies", "formula", "importer"],
                            help="one target (repeatable); default all four")
        parser.add_argument("--seed", type=int, help="repeat a run exactly")

    def handle(self, *args, **opts):
        try:
            from minerpanel.devkit import fuzzing
        except ImportError as exc:
            raise CommandError(f"fuzzing needs hypothesis (pip install -e '.[test]'): {exc}") from None
        if not 1 <= opts["examples"] <= 10_000_000:
            raise CommandError("--examples must be between 1 and 10,000,000")
        failed = []
        for name in opts["target"] or ["protocol", "replies", "formula", "importer"]:
            started = time.perf_counter()
            try:
                with transaction.atomic():  # the importer only reads; nothing is kept either way
                    fuzzing.run(name, opts["examples"], seed=opts["seed"], random=True)
                    transaction.set_rollback(True)
            except Exception as exc:  # a finding: hypothesis has shrunk it to the smallest input
                failed.append(name)
                self.stderr.write(f"{name}: FAILED\n{exc!r}")
                continue
            took = time.perf_counter() - started
            self.stdout.write(f"{name}: {opts['examples']:,} inputs, no undocumented error "
                              f"({took:.1f} s, {opts['examples'] / took:,.0f}/s)")
        if failed:
            raise CommandError(f"findings in: {', '.join(failed)}")
