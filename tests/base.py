from django.contrib.auth.models import Group, User
from django.test import TestCase
from django.utils import timezone

from rigs.models import Rig, Snapshot
from rigs.readings.brief import make_brief


class BaseTestCase(TestCase):
    """alice is sys, bob is usr; a request without login is def."""

    def setUp(self):
        super().setUp()
        self.alice = User.objects.create_user("alice", "", "alice-password", is_staff=True)
        self.alice.groups.add(Group.objects.get_or_create(name="sys")[0])
        self.bob = User.objects.create_user("bob", "", "bob-password")
        self.bob.groups.add(Group.objects.get_or_create(name="usr")[0])
        self.root = User.objects.create_superuser("root", "", "root-password")
        self.rig = Rig.objects.create(name="rig-a", host="10.0.0.5", port=4028)

    def snapshot(self, rig=None, sections=None, statuses=None, **kw):
        now = timezone.now()
        defaults = {"polled_at": now, "last_ok_at": now}
        defaults.update(kw)
        sections, statuses = sections or {}, statuses or {}
        return Snapshot.objects.create(rig=rig or self.rig, sections=sections, statuses=statuses,
                                       brief=make_brief(sections, statuses), **defaults)


SECTIONS = '"rigs_snapshot"."sections"'


def whole_sections_reads(queries):
    """The SQL of those ``queries`` (CaptureQueriesContext.captured_queries) that read the snapshots'
    whole ``sections`` column, not some paths of it (rigs.models.SectionsOf)."""
    return [q["sql"] for q in queries if q["sql"].count(SECTIONS) > q["sql"].count(f"json_extract({SECTIONS}")
            + q["sql"].count(f"({SECTIONS} ->")]


FAST = {"RIG_TIMEOUT": 1.0, "RIG_CONNECT_TIMEOUT": 1.0}  # the poller's timeouts for simulated rigs


def register(f):
    """A rig for each simulated rig of the farm ``f`` (tests/conftest.py's farm)."""
    return [Rig.objects.create(name=f"r{i}", host="127.0.0.1", port=f.port(i)) for i in range(len(f.rigs))]
