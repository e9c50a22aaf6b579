from django.core.management.base import BaseCommand, CommandError

from minerpanel import phpfile
from minerpanel.carryover import PASSWORD_ADVICE, CarryOverError, carry_over, plan_for


def report_lines(plan, report, dry_run):
    """The plan as text: what is (or would be) created, changed, skipped, and the settings to add."""
    out = []
    for title, key in (("rigs", "rigs"), ("accounts", "users"), ("custom pages", "pages")):
        if report[key]:
            out.append(f"{title}:")
            out.extend(f"  {line}" for line in report[key])
    if any(line.startswith("+") for line in report["users"]):
        out.append(f"  note: {PASSWORD_ADVICE}")
    if plan.env:
        out.append("settings that live in the environment: add these lines to the panel's environment "
                   "(e.g. the systemd unit's Environment= or an env file) and restart it:")
        out.extend(f"  {line}" for line in plan.env_lines())
    if plan.discovery:
        out.append("  $mcast was on: find the rigs now with `manage.py discover --mcast --register`")
    if plan.notes:
        out.append("skipped or changed on the way:")
        out.extend(f"  {note}" for note in plan.notes)
    if not any(report.values()) and not plan.env:
        out.append("nothing to import: the file sets none of miner.php's settings")
    return out


class Command(BaseCommand):
    help = ("Carry a myminer.php (or the settings at the top of a miner.php) over: rigs, users, custom pages; "
            "prints the settings that belong in the environment. The file is read, never run.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")

    def handle(self, *args, **opts):
        try:
            with open(opts["file"], "rb") as fh:
                raw = fh.read(phpfile.MAX_SIZE + 1)
        except OSError as exc:
            raise CommandError(f"cannot read {opts['file']}: {exc.strerror}") from None
        text = raw.decode("utf-8", errors="replace")
        plan = plan_for(text)
        try:
            report = carry_over(plan, dry_run=opts["dry_run"])
        except CarryOverError as exc:
            for line in plan.notes:
                self.stderr.write(f"  note: {line}")
            raise CommandError("nothing was imported:\n  " + "\n  ".join(exc.problems)) from None
        if opts["dry_run"]:
            self.stdout.write(f"dry run of {opts['file']}: nothing is written; a real run would do this:")
        else:
            self.stdout.write(f"imported {opts['file']}:")
        for line in report_lines(plan, report, opts["dry_run"]):
            self.stdout.write(line)
