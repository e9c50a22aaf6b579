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
