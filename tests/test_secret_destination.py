"""Issue 23: a rig's stored secret is never sent to a new place. The admin asks for it again
(tests/test_rigs_admin.py); here, every other path that writes rigs: none moves a rig that
holds a secret and keeps the secret."""

import pytest
from django.test import Client

from minerpanel.minerphp import carryover
from minerpanel.minerphp.plan import Plan
from rigs.discovery.register import register
from rigs.discovery.search import Found
from rigs.discovery.views import SESSION_KEY
from rigs.management.commands import simulate_rigs
from rigs.models import Rig

from .base import BaseTestCase


def stored(name="cc"):
    rig = Rig.objects.get(name=name)
    return rig.kind, rig.host, rig.port, rig.web_port, rig.token


class PathsTestCase(BaseTestCase):
    def setUp(self):
        super().setUp()
        Rig.objects.create(name="cc", kind="xmrigcc-server", host="10.0.0.7", port=3344, username="admin",
                           token="stored-secret")
        self.before = stored()

    def test_the_minerphp_import_never_moves_an_existing_rig(self):
        plan = Plan()
        plan.rigs = [{"name": "cc", "host": "10.66.6.6", "port": 3344, "entry": "10.66.6.6:3344:cc"},
                     {"name": "other", "host": "10.0.0.7", "port": 3344, "entry": "10.0.0.7:3344:other"}]
        with pytest.raises(carryover.CarryOverError, match="cc"):
            carryover.carry_over(plan)
        plan.rigs = plan.rigs[1:]
        report = carryover.carry_over(plan)
        self.assertEqual(report["rigs"], ["= rig 10.0.0.7:3344:other: exists already as 'cc'"])
        self.assertEqual(stored(), self.before)

    def test_discovery_adds_new_rigs_and_never_changes_one(self):
        lines = register([Found("10.0.0.7", 3344, "cc", "xmrig 6.26.0", "xmrig"),
                          Found("10.66.6.6", 3344, "cc", "cgminer 4.11.1")])
        self.assertEqual(lines[0], "= 10.0.0.7:3344 is already the rig 'cc'")
        self.assertEqual(stored(), self.before)
        self.assertEqual(stored("cc (10.66.6.6:3344)"), ("cgminer", "10.66.6.6", 3344, None, ""))

    def test_the_admins_discover_page_adds_through_the_same_path(self):
        c = Client()
        c.force_login(self.root)
        session = c.session
        session[SESSION_KEY] = [vars(Found("10.0.0.7", 3344, "cc", "xmrig 6.26.0", "xmrig"))]
        session.save()
        r = c.post("/admin/discover/", {"action": "add", "rig": "0"})
        self.assertContains(r, "is already the rig")
        self.assertEqual(stored(), self.before)

    def test_simulate_rigs_register_drops_a_secret_whose_rig_changes_kind(self):
        done = simulate_rigs.register({"register": True}, name="cc", kind="xmrig", host="10.0.0.7", port=3344)
        self.assertEqual(done, "(registered)")
        self.assertEqual(stored(), ("xmrig", "10.0.0.7", 3344, None, ""))
        simulate_rigs.register({"register": True}, name="cc", kind="xmrigcc-server", host="10.0.0.7", port=3344,
                               username="admin", token="given")
        self.assertEqual(stored()[-1], "given")
        simulate_rigs.register({"register": True}, name="cc", host="10.0.0.7", port=3344, description="same place")
        self.assertEqual(stored()[-1], "given")  # nothing moved: kept
