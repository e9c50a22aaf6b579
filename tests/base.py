from django.contrib.auth.models import User
from django.test import TestCase

from rigs.models import Rig


class BaseTestCase(TestCase):
    """alice is sys (superuser), bob is usr (an ordinary account); anonymous is def."""

    def setUp(self):
        super().setUp()
        self.alice = User.objects.create_superuser("alice", "", "alice-password")
        self.bob = User.objects.create_user("bob", "", "bob-password")
        self.rig = Rig.objects.create(name="rig-a", host="10.0.0.5", port=4028)
