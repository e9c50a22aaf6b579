import json

from django.core.management.base import BaseCommand

from custompages.models import CustomPage


class Command(BaseCommand):
    help = "Print custom pages as JSON (all, or the given slugs), for importpages elsewhere."

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*")

    def handle(self, *args, **opts):
        pages = CustomPage.objects.prefetch_related("sections")
        if opts["slugs"]:
            pages = pages.filter(slug__in=opts["slugs"])
        self.stdout.write(json.dumps([p.as_json() for p in pages], indent=2))
