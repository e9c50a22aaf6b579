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


def serving(bg):
    """start(serve, sim, ports=1) serves a simulator on free loopback ports (RPC, then web) and
    returns them: what the ASIC tests' fixture gives."""
    from tests.conftest import free_port

    def start(serve, sim, ports=1):
        found = [free_port() for _ in range(ports)]
        bg.run(serve(sim, "127.0.0.1", *found))
        return found[0] if ports == 1 else found
    return start
