import getpass
import secrets
import sys

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from minerpanel.tiers import SYS, USR, join_tier


class Command(BaseCommand):
    help = "Create an account in a tier: sys (everything, controls) or usr (read-only)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--tier", choices=[SYS, USR], required=True)
        parser.add_argument("--password", help="default: ask on a terminal, else read one line from stdin; "
                                               "or generate one and print it (--generate)")
        parser.add_argument("--generate", action="store_true", help="generate a password and print it once")

    def handle(self, *args, **opts):
        name = opts["username"]
        if User.objects.filter(username=name).exists():
            raise CommandError(f"the user {name!r} exists already")
        password = opts["password"]
        if not password:
            if opts["generate"]:
                password = secrets.token_urlsafe(12)
                self.stdout.write(f"password for {name}: {password}")
            elif sys.stdin.isatty():
                password = getpass.getpass(f"password for {name}: ")
            else:  # piped: its first line, without the line end
                password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("no password: type one, pipe one line to stdin, or give --password or --generate")
        user = User.objects.create_user(name, password=password, is_staff=opts["tier"] == SYS)
        join_tier(user, opts["tier"])
        self.stdout.write(f"created {opts['tier']} user {name}")

