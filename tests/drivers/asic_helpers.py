"""Serving the ASIC firmware simulators on loopback for the driver tests, and a sys user's client."""

from django.contrib.auth.models import Group, User
from django.test import Client

LIMITS = {"connect_timeout": 1.0, "timeout": 3.0}
FAST = {"RIG_TIMEOUT": 3.0, "RIG_CONNECT_TIMEOUT": 1.0}


def sys_client():
    alice = User.objects.create_user("alice", password="x")
    alice.groups.add(Group.objects.get_or_create(name="sys")[0])
    c = Client()
    c.force_login(alice)
    return c


class Address:
    """What a driver reads of a Rig, without the database."""

    def __init__(self, port, token="", web_port=None, username=""):
        self.host, self.port, self.token, self.web_port, self.username = "127.0.0.1", port, token, web_port, username
        self.joins = None
