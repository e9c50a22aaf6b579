import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from custompages.builtin import create
from custompages.models import CustomPage, PageSection


class Command(BaseCommand):
    help = "Create or replace custom pages from a JSON file made by exportpages (or the admin action)."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **opts):
        try:
            with open(opts["file"]) as fh:
                data = json.load(fh)
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {opts['file']}: {exc}") from None
        if isinstance(data, dict):
            data = [data]
        try:
            with transaction.atomic():  # all pages or none
                for entry in data:
                    if not isinstance(entry, dict) or not entry.get("slug") or not entry.get("name"):
                        raise CommandError("each page needs a name and a slug")
                    page = create(CustomPage, PageSection, entry)
                    for section in page.sections.all():
                        try:
                            section.full_clean()
                        except ValidationError as exc:
                            raise CommandError(f"page {page.slug}, section {section.section}: "
                                               f"{'; '.join(f'{k}: {v[0]}' for k, v in exc.message_dict.items())}") from None
                    self.stdout.write(f"imported {page.name} ({page.sections.count()} sections)")
        except CommandError:
            raise
