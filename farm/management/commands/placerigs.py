"""Place rigs in sites, racks and slots from a CSV file, or write the farm's placement as one.

    manage.py placerigs import FILE [--dry-run]     check every line; write all of it, or nothing
    manage.py placerigs export [FILE] [--delimiter ';'] [--bom]

FILE "-" is standard input or output. The file's columns: rig (name, host or host:port), site, rack,
row, column, tags (separated by ; or |); see farm/csvio.py. An import is written to the audit log.
"""

import getpass
import io
import sys

from django.core.management.base import BaseCommand, CommandError

from rigs.models import AuditEntry

from ...csvio import export
from ...csvplan import import_csv


class Command(BaseCommand):
    help = "Import rigs' sites, racks, slots and tags from a CSV file (with --dry-run: only say what changes), " \
           "or export them."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="place rigs from a CSV file")
        imp.add_argument("file", help="the CSV file, or - for standard input")
        imp.add_argument("--dry-run", action="store_true", help="check the file and list the changes; write nothing")
        exp = sub.add_parser("export", help="write every rig's place and tags as CSV")
        exp.add_argument("file", nargs="?", default="-", help="where to (default: standard output)")
        exp.add_argument("--delimiter", default=",", choices=[",", ";", "\t"],
                         help="the separator (Excel in most of Europe reads ;)")
        exp.add_argument("--bom", action="store_true", help="start with a UTF-8 BOM (Excel then reads UTF-8)")

    def handle(self, *args, **opts):
        if opts["action"] == "export":
            return self.export(opts)
        try:
            data = sys.stdin.buffer.read() if opts["file"] == "-" else open(opts["file"], "rb").read()
        except OSError as exc:
            raise CommandError(f"{opts['file']}: {exc.strerror}") from None
        p = import_csv(data, dry_run=opts["dry_run"])
        if p.errors:
            for error in p.errors:
                self.stderr.write(error)
            raise CommandError(f"{len(p.errors)} problem(s) in {opts['file']}: nothing was written")
        for line in p.summary():
            self.stdout.write(line)
        if opts["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
            return
        AuditEntry.objects.create(username=f"{getpass.getuser()} (manage.py)"[:150], command="farm-import",
                                  params={"file": opts["file"][-200:], "rigs": len(p.lines)}, outcome="S",
                                  message="\n".join(p.summary())[:5000])
        self.stdout.write(f"Imported: {p.changed} rig(s) changed.")

    def export(self, opts):
        if opts["file"] == "-":
            out = io.StringIO()
            count = export(out, opts["delimiter"])
            self.stdout.write(("\ufeff" if opts["bom"] else "") + out.getvalue(), ending="")
        else:
            with open(opts["file"], "w", encoding="utf-8-sig" if opts["bom"] else "utf-8", newline="") as out:
                count = export(out, opts["delimiter"])
        self.stderr.write(f"{count} rig(s) written")
