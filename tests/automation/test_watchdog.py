"""The watchdog end to end against cgminer simulators on 127.0.0.1: a rule fires on a firing alert, acts
through the audited command path under the rule's name, escalates step by step, and is held back by every
guardrail (one test each), never doing a step twice."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from automation import watchdog
from automation.models import Action, AutomationSettings, Rule, Step
from farm.models import Maintenance, Placement, Site
from rigs.models import AuditEntry, Rig
from rigs.polling import poller
from rigs.simulators.cgminer import SimRig
from tests.drivers.asic_helpers import FAST
from watch.models import Alert, Destination, Notification

pytestmark = pytest.mark.django_db(transaction=True)
T0 = timezone.now().replace(microsecond=0)


def guardrails(**kw):
    config = AutomationSettings.current()
    for k, v in {"enabled": True, "dry_run": False, "max_per_hour": 5, "site_percent": 100,
                 "cooldown_minutes": 0, **kw}.items():
        setattr(config, k, v)
    config.save()
    return config


def rigs_on(farm, count, pools=2):
    f = farm(*[SimRig(pools=pools) for _ in range(count)])
    rigs = [Rig.objects.create(name=f"r{i}", host="127.0.0.1", port=f.port(i)) for i in range(count)]
    import asyncio

    asyncio.run(poller.poll_once())
    return f, rigs


def firing(rig, rule="hashrate", minutes=30, key=""):
    return Alert.objects.create(rig=rig, rule=rule, key=key, text="hashrate 20% of its 24-hour median",
                                state="firing", started=T0 - timedelta(minutes=minutes))


def rule(name="stuck", alert="hashrate", minutes=5, steps=(("restart", "", 0),), **scope):
    r = Rule.objects.create(name=name, alert=alert, minutes=minutes, **scope)
    for i, (action, value, wait) in enumerate(steps):
        Step.objects.create(rule=r, order=i, action=action, value=value, wait=wait)
    return r


def test_a_rule_escalates_restart_then_next_pool_then_a_person(farm):
    f, (rig,) = rigs_on(farm, 1)
    guardrails()
    Destination.objects.create(name="ops", url="json://127.0.0.1:9/hook")
    rule(steps=(("restart", "", 0), ("nextpool", "", 10), ("notify", "", 10)))
    alert = firing(rig, minutes=3)
    assert watchdog.run(T0) == []  # fired 3 minutes: the rule wants 5
    sim = f.rigs[0]
    started = sim.started
    assert watchdog.run(T0 + timedelta(minutes=2)) == [("done", rig.pk, 0)]
    assert sim.started != started  # the simulator restarted
    entry = AuditEntry.objects.get(command="restart")
    assert (entry.username, entry.outcome, entry.rig_id) == ("automation: rule stuck", "S", rig.pk)
    first = Action.objects.get(step=0)
    assert first.state == "done" and first.message.startswith("S:")
    assert watchdog.run(T0 + timedelta(minutes=5)) == []  # the next step waits 10 minutes
    before = min(sim.pools, key=lambda p: p["priority"])["url"]
    assert watchdog.run(T0 + timedelta(minutes=13)) == [("done", rig.pk, 1)]
    assert min(sim.pools, key=lambda p: p["priority"])["url"] != before  # switched to the next pool
    assert AuditEntry.objects.get(command="switchpool").username == "automation: rule stuck"
    assert watchdog.run(T0 + timedelta(minutes=23)) == [("done", rig.pk, 2)]
    note = Notification.objects.get()
    assert note.alert == alert and "rule stuck" in note.title and "a person is needed" in note.body
    # idempotent: every step is done once, however often the runner passes
    assert watchdog.run(T0 + timedelta(minutes=60)) == []
    assert list(Action.objects.order_by("step").values_list("step", "state")) == [(0, "done"), (1, "done"),
                                                                                   (2, "done")]


def test_a_resolved_alert_stops_the_chain_and_scope_limits_the_rigs(farm):
    f, (a, b) = rigs_on(farm, 2)
    guardrails()
    site = Site.objects.create(name="Oslo")
    Placement.objects.create(rig=a, site=site)
    rule(steps=(("restart", "", 0), ("restart", "", 10)), site=site)
    alert_a, _ = firing(a), firing(b)
    assert watchdog.run(T0) == [("done", a.pk, 0)]  # b is in no site: not this rule's
    Alert.objects.filter(pk=alert_a.pk).update(state="resolved", ended=T0)
    assert watchdog.run(T0 + timedelta(minutes=30)) == []
    assert AuditEntry.objects.filter(command="restart").count() == 1


def test_guardrail_per_rig_hourly_cap(farm):
    f, (rig,) = rigs_on(farm, 1)
    guardrails(max_per_hour=1)
    rule("one")
    rule("two", alert="device")
    firing(rig)
    firing(rig, rule="device", key="GPU 0")
    assert watchdog.run(T0) == [("done", rig.pk, 0), ("held", rig.pk, 0)]
    held = Action.objects.get(state="held")
    assert held.rule_name == "two" and "in the last hour" in held.message
    assert AuditEntry.objects.filter(command="restart").count() == 1
    assert watchdog.run(T0 + timedelta(minutes=61)) == [("done", rig.pk, 0)]  # an hour later it goes
    assert Action.objects.get(rule_name="two").state == "done"


def test_guardrail_site_percentage(farm):
    f, rigs = rigs_on(farm, 4)
    guardrails(site_percent=25)  # 1 of 4 at once
    site = Site.objects.create(name="Oslo")
    for r in rigs:
        Placement.objects.create(rig=r, site=site)
    rule(steps=(("restart", "", 0), ("notify", "", 5)))
    firing(rigs[0], minutes=40)
    firing(rigs[1], minutes=30)
    changed = watchdog.run(T0)
    assert changed == [("done", rigs[0].pk, 0), ("held", rigs[1].pk, 0)]
    assert "1 of the site's 4 rigs acted on at once (at most 25 %)" in Action.objects.get(state="held").message
    assert AuditEntry.objects.filter(command="restart").count() == 1


def test_guardrail_cooldown(farm):
    f, (rig,) = rigs_on(farm, 1)
    guardrails(cooldown_minutes=15)
    rule("one")
    rule("two", alert="device")
    firing(rig)
    firing(rig, rule="device", key="GPU 0")
    assert watchdog.run(T0) == [("done", rig.pk, 0), ("held", rig.pk, 0)]
    assert "cooldown of 15 min" in Action.objects.get(state="held").message
    assert watchdog.run(T0 + timedelta(minutes=10)) == []  # still cooling, held as it was (no new write)
    assert watchdog.run(T0 + timedelta(minutes=16)) == [("done", rig.pk, 0)]
    assert AuditEntry.objects.filter(command="restart").count() == 2


def test_guardrail_maintenance(farm):
    f, (rig,) = rigs_on(farm, 1)
    guardrails()
    rule()
    firing(rig)
    Maintenance.objects.create(rig=rig, reason="fans", starts=T0 - timedelta(hours=1), ends=T0 + timedelta(hours=1),
                               by="alice")
    assert watchdog.run(T0) == [("held", rig.pk, 0)]
    assert Action.objects.get().message == "held: the rig is in maintenance"
    assert not AuditEntry.objects.filter(command="restart").exists()
    assert watchdog.run(T0 + timedelta(hours=2)) == [("done", rig.pk, 0)]  # it ended by itself


def test_guardrail_global_switch_off_does_and_records_nothing(farm):
    f, (rig,) = rigs_on(farm, 1)
    guardrails(enabled=False)
    rule()
    firing(rig)
    started = f.rigs[0].started
    assert watchdog.run(T0) == []
    assert not Action.objects.exists() and not AuditEntry.objects.exists() and f.rigs[0].started == started


def test_guardrail_dry_run_records_what_it_would_do_and_sends_nothing(farm):
    f, (rig,) = rigs_on(farm, 1)
    guardrails(dry_run=True, cooldown_minutes=15)
    rule(steps=(("restart", "", 0), ("nextpool", "", 10)))
    firing(rig)
    started = f.rigs[0].started
    assert watchdog.run(T0) == [("dry-run", rig.pk, 0)]
    assert watchdog.run(T0 + timedelta(minutes=11)) == [("held", rig.pk, 1)]  # its cooldown holds as it would
    assert watchdog.run(T0 + timedelta(minutes=16)) == [("dry-run", rig.pk, 1)]
    rows = list(Action.objects.order_by("step").values_list("state", "dry_run", "message"))
    assert rows == [("dry-run", True, "dry run: would Restart the miner"),
                    ("dry-run", True, "dry run: would Switch to the next pool")]
    assert not AuditEntry.objects.exists() and f.rigs[0].started == started


def test_alert_and_rig_pages_show_the_actions(farm, client):
    from django.contrib.auth.models import Group, User

    f, (rig,) = rigs_on(farm, 1)
    guardrails()
    rule()
    firing(rig)
    watchdog.run(T0)
    bob = User.objects.create_user("bob", password="x")
    bob.groups.add(Group.objects.get_or_create(name="usr")[0])
    client.force_login(bob)
    page = client.get("/alerts/").content.decode()
    assert "automation: rule stuck, step 1 restart the miner — done" in page
    page = client.get(f"/rigs/{rig.pk}/").content.decode()
    assert 'id="automation"' in page and "rule stuck, step 1: Restart the miner — <strong>done</strong>" in page
    page = client.get("/automation/").content.decode()
    assert "stuck" in page and "Restart the miner" in page and "<small>on</small>" in page


@override_settings(**FAST)
def test_sleep_then_wake_and_lower_the_power_on_asic_simulators(bg):
    from automation import curtailing
    from rigs.models import Curtailment
    from tests.test_curtail import rig_of, start

    guardrails()
    sim, fields = start(bg, "antminer")
    ant = rig_of("antminer", fields)
    rule("nap", steps=(("sleep", "20", 0),))
    firing(ant)
    assert watchdog.run(T0) == [("done", ant.pk, 0)] and sim.sleeping
    row = Curtailment.objects.get(rig=ant, ended_at=None)
    assert (row.reason, row.actor, row.until) == ("automation: rule nap", "automation: rule nap",
                                                  T0 + timedelta(minutes=20))
    assert "wakes at" in Action.objects.get().message
    assert curtailing.tick(T0 + timedelta(minutes=10))["resumed"] == []
    assert curtailing.tick(T0 + timedelta(minutes=21))["resumed"] == [ant.pk] and not sim.sleeping
    assert AuditEntry.objects.filter(command="resume").get().username == "automation: rule nap"
    bsim, bfields = start(bg, "braiins")
    brains = rig_of("braiins", bfields)
    rule("cooler", alert="temperature", steps=(("power", "2500", 0),))
    firing(brains, rule="temperature")
    assert ("done", brains.pk, 0) in watchdog.run(T0)
    assert bsim.power_target == 2500
    assert Curtailment.objects.get(rig=brains, ended_at=None).until is None  # until a person resumes it
