"""Alert rules over plain data, the no-flapping state machine, the Alerts page, acknowledging and silencing."""

from rigs.models import AuditEntry, Rig
from tests.base import BaseTestCase
from watch import alerts
from watch.alerts import advance, conditions, rules_for
from watch.models import Alert, AlertRule, Silence


def rig(**kw):
    data = {"name": "r", "kind": "cgminer", "error": "", "age": 5, "stale_after": 30, "figures": {}, "reasons": [],
            "median_hs": None, "units": None, "units_max": None}
    data.update(kw)
    return data


RULES = rules_for([], 1)


def test_defaults_and_overrides_per_rig():
    rows = [("temperature", None, True, 85.0, 2), ("temperature", 7, True, 70.0, 4), ("hw", 7, False, None, 3)]
    assert rules_for([], 7)["temperature"][1] == 90.0  # TEMP_ERROR
    assert rules_for(rows, 1)["temperature"] == (True, 85.0, 2)
    assert rules_for(rows, 7)["temperature"] == (True, 70.0, 4)
    assert rules_for(rows, 7)["hw"] == (False, 2, 3)  # disabled, the default threshold kept


def test_unreachable_after_its_minutes_and_nothing_else():
    assert conditions(rig(error="connection refused", age=200, figures={"max_temp": 99}), RULES) == []
    found = conditions(rig(error="connection refused", age=301, figures={"max_temp": 99}), RULES)
    assert found == [("unreachable", "", "unreachable: connection refused", "err")]
    assert conditions(rig(age=400), RULES)[0][0] == "unreachable"  # stale data


def test_hashrate_under_its_median():
    assert conditions(rig(figures={"hashrate_now_hs": 69}, median_hs=100), RULES)[0][0] == "hashrate"
    assert conditions(rig(figures={"hashrate_now_hs": 71}, median_hs=100), RULES) == []
    assert conditions(rig(figures={"hashrate_now_hs": 1}, median_hs=None), RULES) == []


def test_devices_pools_temperature_rates_and_fleets():
    reasons = [{"key": "dev:GPU 1:Sick", "text": "GPU 1 Sick"}, {"key": "failover:1", "text": "failover: pool 1"},
               {"key": "temp:GPU 1:warn", "text": "hot"}]
    found = conditions(rig(reasons=reasons, figures={"max_temp": 91, "reject_pct": 10.0, "accepted": 90,
                                                     "rejected": 10}), RULES)
    assert [(r, k) for r, k, _, _ in found] == [("device", "GPU 1:Sick"), ("pool", "failover:1"), ("temperature", ""),
                                             ("rejects", "")]
    assert conditions(rig(figures={"reject_pct": 33.3, "accepted": 10, "rejected": 5}), RULES) == []  # too few shares
    assert conditions(rig(figures={"hw_pct": 5.3}), RULES)[0][0] == "hw"
    # hardware errors are against the work done (the figures' rate), not against 15 minutes of shares
    assert conditions(rig(figures={"hw_pct": 0.0016}), RULES) == []
    fleet = conditions(rig(kind="ckpool", units=3, units_max=5), RULES)
    assert fleet == [("fleet", "", "2 workers gone (3 of 5 in the last hour)", "warn")]
    assert conditions(rig(kind="cgminer", units=3, units_max=5), RULES) == []


def test_rejects_read_the_figure_health_reads():
    """The rejects alert and health agree: both read the figures' reject_pct (by difficulty). 30 rejected
    shares of 1,000 look like 2.9 % by count, but they were the hard ones: 6 % of the difficulty."""
    from rigs.readings.figures import figures
    from rigs.readings.health import assess

    summary = {"Accepted": 970, "Rejected": 30, "Difficulty Accepted": 940.0, "Difficulty Rejected": 60.0}
    figs = figures("cgminer", {"SUMMARY": [summary]})
    assert figs["reject_pct"] == 6.0
    assert [r["key"] for r in assess("cgminer", {"SUMMARY": [summary]}, {}, figs)["reasons"]] == ["rej"]
    assert conditions(rig(figures=figs), RULES) == [("rejects", "", "6.0% rejected (by difficulty)", "warn")]
    summary.update({"Difficulty Accepted": 990.0, "Difficulty Rejected": 10.0})  # the easy ones: 1 %
    figs = figures("cgminer", {"SUMMARY": [summary]})
    assert assess("cgminer", {"SUMMARY": [summary]}, {}, figs)["state"] == "ok"
    assert conditions(rig(figures=figs), RULES) == []


def test_a_hot_chip_alerts_beside_the_boards():
    found = conditions(rig(figures={"max_temp": 70, "max_chip_temp": 116}), RULES)
    assert found == [("temperature", "chip", "chips at 116°C (limit 115°C)", "err")]
    assert conditions(rig(figures={"max_temp": 70, "max_chip_temp": 108}), RULES) == []  # health warns, no alert
    both = conditions(rig(figures={"max_temp": 92, "max_chip_temp": 120}), RULES)
    assert [(r, k) for r, k, _, _ in both] == [("temperature", ""), ("temperature", "chip")]


def test_the_level_follows_the_reason_a_sick_device_warns_and_a_dead_one_is_a_problem():
    reasons = [{"level": "warn", "key": "dev:GPU 1:Sick", "text": "GPU 1 Sick"},
               {"level": "err", "key": "dev:GPU 2:Dead", "text": "GPU 2 Dead"},
               {"level": "warn", "key": "failover:1", "text": "failover: pool 1"},
               {"level": "err", "key": "nopool", "text": "no alive pool"}]
    found = conditions(rig(reasons=reasons, figures={"max_temp": 95}), RULES)
    assert [(k, level) for _, k, _, level in found] == [("GPU 1:Sick", "warn"), ("GPU 2:Dead", "err"),
                                                        ("failover:1", "warn"), ("nopool", "err"), ("", "err")]


def test_no_flapping():
    state, count = None, 0
    fired = []
    for holds in [True, False, True, True, True, False, True, False, False, False]:
        state, count, event = advance(state, count, holds, 3)
        fired.append(event)
    assert fired == [None, "drop", None, None, "firing", None, None, None, None, "resolved"]
    assert advance(None, 0, True, 1) == ("firing", 0, "firing")


class AlertViewTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.alert = Alert.objects.create(rig=self.rig, rule="device", key="GPU 1:Dead", text="GPU <1> Dead",
                                          state="firing", count=0, started="2026-01-01T00:00Z")

    def test_the_page_lists_and_filters_escaped(self):
        self.client.force_login(self.bob)
        page = self.client.get("/alerts/").content.decode()
        assert "GPU &lt;1&gt; Dead" in page and ">Acknowledge<" not in page
        assert "Alerts (1)" in page  # the header count
        assert "GPU &lt;1&gt;" not in self.client.get("/alerts/?rule=temperature").content.decode()
        assert self.client.get("/alerts/?q=nothing-like-it").content.decode().count("GPU &lt;1&gt;") == 0

    def test_a_failing_destination_is_shown_to_sys(self):
        from watch.models import Destination

        Destination.objects.create(name="pager", url="json://127.0.0.1:9/SECRET", last_error="connection refused")
        self.client.force_login(self.alice)
        page = self.client.get("/alerts/").content.decode()
        assert "Notifications to pager fail: connection refused" in page and "SECRET" not in page
        self.client.force_login(self.bob)
        assert "pager" not in self.client.get("/alerts/").content.decode()

    def test_a_sick_device_fires_as_a_warning_and_a_dead_one_as_a_problem(self):
        Alert.objects.all().delete()
        AlertRule.objects.filter(rule="device", rig=None).update(rounds=1)
        self.snapshot(sections={"DEVS": [{"GPU": 1, "Status": "Sick"}, {"GPU": 2, "Status": "Dead"}]})
        alerts.evaluate()
        assert dict(Alert.objects.filter(state="firing").values_list("key", "level")) == {
            "GPU 1:Sick": "warn", "GPU 2:Dead": "err"}
        self.client.force_login(self.bob)
        page = self.client.get("/alerts/").content.decode()
        assert page.count("⚠ firing") == 1 and page.count("✖ firing") == 1
        assert '<span class="badge h-warn">⚠ firing</span></td><td><a href="/rigs/' in page

    def test_anonymous_visitors_log_in(self):
        assert self.client.get("/alerts/").status_code == 302

    def test_only_sys_acknowledges_by_post_with_csrf_and_it_is_audited(self):
        self.client.force_login(self.bob)
        assert self.client.post(f"/alerts/{self.alert.pk}/ack/").status_code == 403
        self.client.force_login(self.alice)
        assert self.client.get(f"/alerts/{self.alert.pk}/ack/").status_code == 405
        from django.test import Client

        strict = Client(enforce_csrf_checks=True)
        strict.force_login(self.alice)
        assert strict.post(f"/alerts/{self.alert.pk}/ack/").status_code == 403
        assert self.client.post(f"/alerts/{self.alert.pk}/ack/").status_code == 302
        self.alert.refresh_from_db()
        assert self.alert.acked_by == "alice"
        entry = AuditEntry.objects.get()
        assert entry.command == "alert-ack" and entry.rig_name == "rig-a" and entry.username == "alice"
        assert alerts.firing_count() == 0
        assert "Alerts (1)" not in self.client.get("/alerts/").content.decode()

    def test_silencing_a_rule_on_a_rig_and_ending_it(self):
        self.client.force_login(self.alice)
        bad = self.client.post("/alerts/silence/", {"rig": self.rig.pk, "rule": "device", "minutes": 7})
        assert bad.status_code == 400
        ok = self.client.post("/alerts/silence/", {"rig": self.rig.pk, "rule": "device", "minutes": 60})
        assert ok.status_code == 302
        s = Silence.objects.get()
        assert s.rig == self.rig and s.rule == "device" and s.by == "alice"
        assert list(AuditEntry.objects.values_list("command", "outcome")) == [
            ("alert-silence", "S"), ("alert-silence", "invalid")]
        assert alerts.silenced(self.alert, alerts.silence_until(0))
        assert not alerts.silenced(Alert(rig=self.rig, rule="pool"), alerts.silence_until(0))
        self.client.post(f"/alerts/silence/{s.pk}/delete/")
        assert not Silence.objects.exists()
        self.client.post("/alerts/silence/", {"rig": self.rig.pk, "rule": "", "minutes": 30})  # the whole rig
        assert alerts.silenced(Alert(rig=self.rig, rule="pool"), alerts.silence_until(0))

    def test_disabled_rules_do_not_fire(self):
        AlertRule.objects.filter(rule="device", rig=None).update(enabled=False)
        other = Rig.objects.create(name="rig-b", host="10.0.0.6", port=4028)
        AlertRule.objects.create(rule="device", rig=other, enabled=True)
        dead = {"DEVS": [{"GPU": 1, "Status": "Dead"}]}
        self.snapshot(sections=dead)
        self.snapshot(rig=other, sections=dead)
        for _ in range(3):
            alerts.evaluate()
        # rig-a's alert (created by hand) resolves over the rounds; only rig-b fires
        assert list(Alert.objects.filter(state="firing").values_list("rig__name", flat=True)) == ["rig-b"]

    def test_each_shard_evaluates_its_own_rigs_and_no_alert_is_doubled(self):
        others = [Rig.objects.create(name=f"rig-{i}", host=f"10.0.1.{i}", port=4028) for i in range(3)]
        dead = {"DEVS": [{"GPU": 1, "Status": "Dead"}]}
        for r in [self.rig, *others]:
            self.snapshot(rig=r, sections=dead)
        AlertRule.objects.filter(rule="device", rig=None).update(rounds=1)
        Alert.objects.all().delete()
        for _ in range(2):  # two pollers, shards 0/2 and 1/2, each after its round
            alerts.evaluate(shard=(0, 2))
            alerts.evaluate(shard=(1, 2))
        rows = list(Alert.objects.filter(state="firing").values_list("rig_id", "key"))
        assert sorted(rows) == sorted((r.id, "GPU 1:Dead") for r in [self.rig, *others])  # each once
        Rig.objects.filter(pk__in=[r.pk for r in others]).update(enabled=False)
        k = others[0].id % 2
        alerts.evaluate(shard=(k, 2))  # resolves the disabled rigs' alerts of its shard, and only those
        firing = set(Alert.objects.filter(state="firing").values_list("rig_id", flat=True))
        assert firing == {r.id for r in [self.rig, *others] if r.id % 2 != k or r == self.rig}


class HashrateRuleTests(BaseTestCase):
    def test_a_rig_under_70_percent_of_its_daily_median_fires(self):
        import time as _time

        from watch.models import Point

        now = int(_time.time())
        Point.objects.bulk_create([Point(rig=self.rig, res=15, t=now - 900 * k, hs=1e9) for k in range(1, 9)])
        self.snapshot(sections={"SUMMARY": [{"MHS av": 1000, "MHS 5s": 600}]})  # 600 MH/s now: 60 %
        AlertRule.objects.filter(rule="hashrate", rig=None).update(rounds=2)
        assert alerts.evaluate() == [] and len(alerts.evaluate()) == 1
        alert = Alert.objects.get(state="firing")
        assert alert.rule == "hashrate" and alert.text == "hashrate 60% of its 24-hour median"


class NeverAnsweredTests(BaseTestCase):
    def test_a_rig_that_never_answered_counts_its_time_from_when_it_was_added(self):
        """Added where nothing listens: not 'unreachable' three rounds later, but after the rule's 5 minutes."""
        from datetime import timedelta

        from django.utils import timezone

        self.snapshot(error="connection refused", last_ok_at=None)
        for _ in range(4):
            alerts.evaluate()
        assert not Alert.objects.filter(rule="unreachable").exists()
        Rig.objects.filter(pk=self.rig.pk).update(created=timezone.now() - timedelta(minutes=6))
        for _ in range(3):
            alerts.evaluate()
        assert Alert.objects.get(rule="unreachable").state == "firing"
