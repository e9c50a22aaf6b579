"""Notifications through apprise to a real SMTP server and a real HTTP receiver on loopback."""

from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from tests.base import BaseTestCase
from tests.conftest import free_port
from watch import alerts, notify
from watch.models import Alert, Destination, Notification, Silence

from .receivers import SMTP, Hook

DEAD_GPU = {"DEVS": [{"GPU": 1, "Status": "Dead", "Enabled": "Y", "Temperature": 60, "MHS av": 0}],
            "SUMMARY": [{"MHS av": 100, "MHS 5s": 100, "Accepted": 1}]}
WELL = {"DEVS": [{"GPU": 1, "Status": "Alive", "Enabled": "Y", "Temperature": 60, "MHS av": 100}],
        "SUMMARY": [{"MHS av": 100, "MHS 5s": 100, "Accepted": 1}]}


class NotifyTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.smtp = SMTP()
        self.hook = Hook()
        self.addCleanup(self.smtp.close)
        self.addCleanup(self.hook.close)
        Destination.objects.create(name="mail", url=f"mailto://127.0.0.1:{self.smtp.port}?from=panel@example.com"
                                                    "&to=ops@example.com")
        Destination.objects.create(name="hook", url=f"json://127.0.0.1:{self.hook.port}/minerpanel", rules="device")
        self.rig.name = "rig-<b>"
        self.rig.save()

    def rounds(self, sections, n):
        from rigs.models import Snapshot

        Snapshot.objects.filter(rig=self.rig).delete()
        self.snapshot(sections=sections)
        return [alerts.evaluate() for _ in range(n)]

    def test_a_dead_device_fires_notifies_and_resolves(self):
        events = self.rounds(DEAD_GPU, 3)
        assert [len(e) for e in events] == [0, 0, 1]  # held three rounds before firing
        assert notify.send_due() == 2
        mail_from, to, content = self.smtp.box.messages[0]
        assert to == ["ops@example.com"] and "GPU 1 Dead" in content and "rig-<b>" in content
        path, body = self.hook.bodies[0]
        assert path == "/minerpanel" and "GPU 1 Dead" in body["title"] and "firing since" in body["message"]
        # gone for two rounds is not enough to resolve; three is
        events = self.rounds(WELL, 3)
        assert [len(e) for e in events] == [0, 0, 1]
        alert = Alert.objects.get()
        assert alert.state == "resolved" and alert.ended is not None
        assert notify.send_due() == 2
        assert "resolved" in self.hook.bodies[1][1]["title"]
        assert Destination.objects.get(name="hook").last_ok_at is not None

    def test_a_destination_takes_only_its_rules(self):
        self.snapshot(sections={"DEVS": [], "SUMMARY": [{"MHS av": 1}], "POOLS": [
            {"POOL": 0, "Status": "Dead", "Priority": 0, "URL": "a"}]})
        for _ in range(3):
            alerts.evaluate()
        assert Alert.objects.get().rule == "pool"
        assert list(Notification.objects.values_list("destination__name", flat=True)) == ["mail"]

    def test_a_silenced_rule_notifies_nobody(self):
        Silence.objects.create(rig=self.rig, rule="device", until=timezone.now() + timedelta(hours=1), by="alice")
        self.rounds(DEAD_GPU, 3)
        assert Alert.objects.get().state == "firing"
        assert not Notification.objects.exists()

    @override_settings(NOTIFY_BACKOFF=60, NOTIFY_RETRIES=2)
    def test_a_failing_destination_is_retried_with_backoff_and_shown(self):
        port = free_port()
        d = Destination.objects.create(name="down", url=f"json://127.0.0.1:{port}/hooks/SECRET")
        n = Notification.objects.create(destination=d, title="t", body="b", next_try=timezone.now())
        with self.assertLogs("minerpanel.notify", "WARNING") as logs:
            assert notify.send_due() == 0
        assert "SECRET" not in "".join(logs.output)
        n.refresh_from_db()
        d.refresh_from_db()
        assert n.attempts == 1 and not n.done and d.last_error and "SECRET" not in d.last_error
        assert 55 < (n.next_try - timezone.now()).total_seconds() <= 60
        assert notify.send_due() == 0  # not due yet
        hook = Hook(port=port)
        self.addCleanup(hook.close)
        Notification.objects.filter(pk=n.pk).update(next_try=timezone.now())
        assert notify.send_due() == 1
        assert hook.bodies[0][0] == "/hooks/SECRET"
        d.refresh_from_db()
        assert d.last_error == ""

    @override_settings(NOTIFY_BACKOFF=0, NOTIFY_RETRIES=1)
    def test_it_gives_up_after_the_retries(self):
        d = Destination.objects.create(name="down", url=f"json://127.0.0.1:{free_port()}/x")
        n = Notification.objects.create(destination=d, title="t", body="b", next_try=timezone.now())
        with self.assertLogs("minerpanel.notify", "WARNING"):
            notify.send_due()
            notify.send_due()
        n.refresh_from_db()
        assert n.done and n.attempts == 2 and n.sent_at is None
