from django.core.management.base import BaseCommand, CommandError

from minerpanel.minerphp import php_reader
from minerpanel.minerphp.carryover import CarryOverError, carry_over, plan_for, report_lines
from minerpanel.terminal import shown


class Command(BaseCommand):
    help = ("Carry a myminer.php (or the settings at the top of a miner.php) over: rigs, users, custom pages; "
            "prints the settings that belong in the environment. The file is read, never run.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")

    def handle(self, *args, **opts):
        try:
            with open(opts["file"], "rb") as fh:
                raw = fh.read(php_reader.MAX_SIZE + 1)
        except OSError as exc:
            raise CommandError(f"cannot read {opts['file']}: {exc.strerror}") from None
        text = raw.decode("utf-8", errors="replace")
        plan = plan_for(text)
        try:
            report = carry_over(plan, dry_run=opts["dry_run"])
        except CarryOverError as exc:
            for line in plan.notes:
                self.stderr.write(f"  note: {shown(line)}")
            raise CommandError("nothing was imported:\n  " + "\n  ".join(map(shown, exc.problems))) from None
        if opts["dry_run"]:
            self.stdout.write(f"dry run of {opts['file']}: nothing is written; a real run would do this:")
        else:
            self.stdout.write(f"imported {opts['file']}:")
        for line in report_lines(plan, report):
            self.stdout.write(shown(line))
