import json
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from custompages.importing import import_pages
from custompages.models import section_warnings
from minerpanel.terminal import shown

MAX_FILE = 10 * 1024 * 1024


class Command(BaseCommand):
    help = "Create or replace custom pages from a JSON file made by exportpages (or the admin action)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--keep-unknown-fields", action="store_true",
                            help="keep a field no rig sends (an empty column until one does) instead of refusing it")

    def handle(self, *args, **opts):
        try:
            if os.path.getsize(opts["file"]) > MAX_FILE:
                raise CommandError(f"{opts['file']} is larger than {MAX_FILE // 2**20} MB")
            with open(opts["file"], encoding="utf-8") as fh:
                data = json.load(fh, parse_constant=lambda c: None)
        except (OSError, ValueError, RecursionError) as exc:
            raise CommandError(f"cannot read {opts['file']}: {shown(exc)}") from None
        try:
            pages = import_pages(data, opts["keep_unknown_fields"])
        except ValidationError as exc:
            raise CommandError("nothing imported:\n  " + "\n  ".join(map(shown, exc.messages))) from None
        for page in pages:
            self.stdout.write(f"imported {shown(page.name)} ({page.sections.count()} sections)")
            for section in page.sections.all():
                for warning in section_warnings(section):
                    self.stdout.write(f"  warning: {shown(warning)}")
