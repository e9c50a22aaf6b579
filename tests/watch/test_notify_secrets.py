"""Destination URLs are secrets at rest (issue 23 item 5): encrypted in the database as rig tokens are,
and sending still works."""

import base64
import importlib

from django.apps import apps
from django.db import connection
from django.utils import timezone

from tests.base import BaseTestCase
from watch import notify
from watch.models import Destination, Notification

from .receivers import Hook


def raw_url(d):
    with connection.cursor() as cursor:
        cursor.execute("SELECT url FROM watch_destination WHERE id = %s", [d.pk])
        return cursor.fetchone()[0]


class DestinationSecretsTestCase(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.hook = Hook()
        self.addCleanup(self.hook.close)
        self.url = f"json://ops:Pa55-w0rd@127.0.0.1:{self.hook.port}/hooks/T0KEN-123?token=QWERTY-987"

    def test_the_row_holds_no_password_and_sending_still_works(self):
        d = Destination.objects.create(name="hook", url=self.url)
        stored = raw_url(d)
        assert stored.startswith("fernet:")
        for secret in ("Pa55-w0rd", "T0KEN-123", "QWERTY-987", "127.0.0.1"):
            assert secret not in stored
        assert Destination.objects.get(pk=d.pk).url == self.url
        Notification.objects.create(destination=d, title="t", body="b", next_try=timezone.now())
        assert notify.send_due() == 1
        path, body = self.hook.bodies[0]
        assert path == "/hooks/T0KEN-123" and body["title"] == "t"
        assert self.hook.headers[0]["Authorization"] == "Basic " + base64.b64encode(b"ops:Pa55-w0rd").decode()

    def test_the_migration_encrypts_the_stored_ones_and_its_reverse_gives_them_back(self):
        d = Destination.objects.create(name="hook", url="json://x")
        with connection.cursor() as cursor:  # as a destination saved before this change
            cursor.execute("UPDATE watch_destination SET url = %s WHERE id = %s", [self.url, d.pk])
        assert Destination.objects.get(pk=d.pk).url == self.url  # read as it was
        editor = type("Editor", (), {"connection": connection})()
        migration = importlib.import_module("watch.migrations.0005_destination_url_encrypted")
        migration.encrypt_stored(apps, editor)
        assert raw_url(d).startswith("fernet:") and "Pa55-w0rd" not in raw_url(d)
        assert Destination.objects.get(pk=d.pk).url == self.url
        migration.decrypt_stored(apps, editor)
        assert raw_url(d) == self.url  # what the older code reads
