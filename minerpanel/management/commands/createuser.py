import getpass
import secrets

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from minerpanel.tiers import SYS, USR, join_tier


class Command(BaseCommand):
    help = "Create an account in a tier: sys (everything, controls) or usr (read-only)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--tier", choices=[SYS, USR], required=True)
        parser.add_argument("--password", help="default: ask, or generate one and print it (--generate)")
        parser.add_argument("--generate", action="store_true", help="generate a password and print it once")

    def handle(self, *args, **opts):
        name = opts["username"]
        if User.objects.filter(username=name).exists():
            raise CommandError(f"the user {name!r} exists already")
        password = opts["password"]
        if not password:
            if opts["generate"] or not self.stdin_is_tty():
                password = secrets.token_urlsafe(12)
                self.stdout.write(f"password for {name}: {password}")
            else:
                password = getpass.getpass(f"password for {name}: ")
        user = User.objects.create_user(name, password=password, is_staff=opts["tier"] == SYS)
        join_tier(user, opts["tier"])
        self.stdout.write(f"created {opts['tier']} user {name}")

    @staticmethod
    def stdin_is_tty():
        import sys

        return sys.stdin.isatty()
