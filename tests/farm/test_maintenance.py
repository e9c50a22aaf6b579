"""Maintenance: only sys users start and end it (POST with CSRF, audited, refusals too); everyone logged
in sees it, greyed, with who, why and until when; its rigs raise no alert and send no notification."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from farm.models import Maintenance, Placement, Rack, Site
from rigs.models import AuditEntry
from tests.base import BaseTestCase
from watch import alerts, notify
from watch.models import Alert, AlertRule, Destination, Notification

DEAD = {"DEVS": [{"GPU": 1, "Status": "Dead", "Temperature": 60}], "SUMMARY": [{"MHS av": 100, "MHS 5s": 100}]}
WELL = {"DEVS": [{"GPU": 1, "Status": "Alive", "Temperature": 60}], "SUMMARY": [{"MHS av": 100, "MHS 5s": 100}]}


class MaintenanceTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.site = Site.objects.create(name="Oslo")
        self.rack = Rack.objects.create(site=self.site, name="A1", rows=2, columns=2)
        Placement.objects.create(rig=self.rig, site=self.site, rack=self.rack, row=1, column=1)

    def start(self, client=None, **post):
        return (client or self.client).post("/maintenance/start/", {"reason": "new PDU", "hours": 4, **post})

    def test_only_sys_starts_it_by_post_with_csrf_and_refusals_are_audited(self):
        target = f"rack:{self.rack.pk}"
        assert self.start(target=target).status_code == 302  # not logged in: the login page
        self.client.force_login(self.bob)
        assert self.start(target=target).status_code == 403
        assert list(AuditEntry.objects.values_list("username", "command", "outcome")) == [
            ("bob", "maintenance-start", "refused"), ("(anonymous)", "maintenance-start", "refused")]
        self.client.force_login(self.alice)
        assert self.client.get("/maintenance/start/").status_code == 405
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(self.alice)
        assert self.start(strict, target=target).status_code == 403
        assert not Maintenance.objects.exists()
        csrf = AuditEntry.objects.filter(message__startswith="CSRF check failed").get()
        assert csrf.username == "alice" and csrf.outcome == "refused"
        r = self.start(target=target, next=f"/rigs/{self.rig.pk}/")
        assert r.status_code == 302 and r["Location"] == f"/rigs/{self.rig.pk}/"
        w = Maintenance.objects.get()
        assert (w.rack, w.by, w.reason) == (self.rack, "alice", "new PDU")
        assert timedelta(hours=3, minutes=59) < w.ends - w.starts <= timedelta(hours=4)
        entry = AuditEntry.objects.filter(outcome="S").get()
        assert entry.command == "maintenance" and entry.params["scope"] == "rack Oslo / A1"
        assert entry.message == "new PDU"
        assert self.start(target=target, next="https://evil.example/").status_code == 302
        assert self.start(target=target, next="https://evil.example/")["Location"] == "/maintenance/"

    def test_bad_forms_say_what_is_wrong_where_the_user_is(self):
        self.client.force_login(self.alice)
        r = self.start(target="rig:999999", reason=" ")
        page = r.content.decode()
        assert r.status_code == 400
        assert "Choose a rig, a rack or a site." in page and "Say why" in page
        past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        assert "The end must be later" in self.start(target=f"site:{self.site.pk}", until=past).content.decode()
        assert "is not a date and time" in self.start(target=f"site:{self.site.pk}", until="soon").content.decode()
        far = (timezone.localtime() + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M")
        assert "At most a year" in self.start(target=f"site:{self.site.pk}", until=far).content.decode()
        assert "No rig is named" in self.start(rig_name="nobody").content.decode()
        assert not Maintenance.objects.exists()
        assert AuditEntry.objects.filter(command="maintenance", outcome="invalid").count() == 5
        ok = self.start(rig_name="rig-a", until=(timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
        assert ok.status_code == 302 and Maintenance.objects.get().rig == self.rig

    def test_the_rig_page_shows_it_greyed_to_everyone_and_sys_ends_it_early(self):
        now = timezone.now()
        w = Maintenance.objects.create(rig=self.rig, reason="fan <swap>", starts=now - timedelta(minutes=1),
                                       ends=now + timedelta(hours=2), by="alice")
        self.snapshot(sections=WELL)
        self.client.force_login(self.bob)
        page = self.client.get(f"/rigs/{self.rig.pk}/").content.decode()
        assert 'class="farm-place in-maintenance"' in page and "<strong>In maintenance</strong>" in page
        assert "fan &lt;swap&gt;" in page and "by alice" in page and "Oslo</a> / A1 · row 1, column 1" in page
        assert "Put this rig in maintenance" not in page and "End this rig" not in page  # usr: sees, cannot
        assert self.client.post(f"/maintenance/{w.pk}/end/").status_code == 403
        self.client.force_login(self.alice)
        page = self.client.get(f"/rigs/{self.rig.pk}/").content.decode()
        assert "End this rig's maintenance now" in page and "Put this rig in maintenance" in page
        self.client.post(f"/maintenance/{w.pk}/end/")
        w.refresh_from_db()
        assert w.ended_by == "alice" and w.ends <= timezone.now()
        assert "In maintenance" not in self.client.get(f"/rigs/{self.rig.pk}/").content.decode()
        assert AuditEntry.objects.filter(command="maintenance-end", outcome="S", rig=self.rig).exists()
        self.client.post(f"/maintenance/{w.pk}/end/")  # over already: said, not audited again
        assert AuditEntry.objects.filter(command="maintenance-end", outcome="S").count() == 1

    def test_the_maintenance_page_lists_windows_and_a_planned_one_is_cancelled(self):
        now = timezone.now()
        later = Maintenance.objects.create(site=self.site, reason="power work", starts=now + timedelta(days=1),
                                           ends=now + timedelta(days=1, hours=3), by="alice")
        self.client.force_login(self.bob)
        page = self.client.get("/maintenance/").content.decode()
        assert "site Oslo" in page and "power work" in page and "Start maintenance" not in page
        self.client.force_login(self.alice)
        assert ">Cancel</button>" in self.client.get("/maintenance/").content.decode()
        self.client.post(f"/maintenance/{later.pk}/end/")
        later.refresh_from_db()
        assert later.ends == later.starts  # never in force
        assert "power work" in self.client.get("/maintenance/").content.decode()  # listed as ended

    def test_no_alert_and_no_notification_while_in_maintenance_and_firing_ones_are_held(self):
        AlertRule.objects.filter(rule="device", rig=None).update(rounds=1)
        Destination.objects.create(name="hook", url="json://127.0.0.1:9/never")
        now = timezone.now()
        window = Maintenance.objects.create(rack=self.rack, reason="boards out", starts=now - timedelta(minutes=1),
                                            ends=now + timedelta(hours=1), by="alice")
        self.snapshot(sections=DEAD)
        assert alerts.evaluate() == [] and not Alert.objects.exists()  # no alert starts
        window.ends = timezone.now()  # ends: the next round sees the dead GPU
        window.save()
        assert len(alerts.evaluate()) == 1
        alert = Alert.objects.get()
        assert alert.state == "firing" and Notification.objects.count() == 1
        # in maintenance again, the firing alert is held as it is: not resolved, no notification
        Maintenance.objects.create(site=self.site, reason="again", starts=timezone.now() - timedelta(seconds=1),
                                   ends=timezone.now() + timedelta(hours=1), by="alice")
        from rigs.models import Snapshot
        Snapshot.objects.filter(rig=self.rig).delete()
        self.snapshot(sections=WELL)
        for _ in range(4):
            assert alerts.evaluate() == []
        alert.refresh_from_db()
        assert alert.state == "firing" and Notification.objects.count() == 1
        assert alerts.firing_count() == 0  # not counted in the header meanwhile
        self.client.force_login(self.bob)
        assert "held: site Oslo in maintenance until" in self.client.get("/alerts/").content.decode()
        # the notification queued before the maintenance began is not sent
        assert notify.send_due() == 0
        n = Notification.objects.get()
        assert n.done and n.error == "not sent: the rig is in maintenance"

    def test_a_pending_alert_is_dropped_and_the_notification_says_where_the_rig_is(self):
        AlertRule.objects.filter(rule="device", rig=None).update(rounds=3)
        self.snapshot(sections=DEAD)
        alerts.evaluate()
        assert Alert.objects.get().state == "pending"
        Maintenance.objects.create(rig=self.rig, reason="x", starts=timezone.now() - timedelta(seconds=1),
                                   ends=timezone.now() + timedelta(hours=1), by="alice")
        alerts.evaluate()
        assert not Alert.objects.exists()
        title, body = alerts.message("firing", Alert(rig=self.rig, rule="device", text="GPU 1 Dead",
                                                     started=timezone.now()),
                                     {"site": "Oslo", "rack": "A1", "position": "1,1", "tags": []})
        assert "at site Oslo, rack A1, row 1, column 1" in body
