"""The automation pages: who sees and who acts (def, usr, sys; POST with CSRF; refusals audited), curtail now
and resume now through the pages against the Antminer simulator, energy per site at a tariff by time of day,
the per-site gauges of /metrics, the runner's hook and command."""

from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from automation import energy, runner
from automation.models import Override, Tariff, TariffPeriod
from farm.models import Placement, Site
from rigs.models import AuditEntry, Curtailment, Rig
from tests.automation.test_schedules import placed
from tests.drivers.asic_helpers import FAST
from watch.models import Point


def client_of(name, tier, strict=False):
    u = User.objects.create_user(name, password="x")
    u.groups.add(Group.objects.get_or_create(name=tier)[0])
    c = Client(enforce_csrf_checks=strict)
    c.force_login(u)
    return c


@pytest.mark.django_db
def test_who_sees_and_who_acts():
    site = Site.objects.create(name="Oslo")
    anon, bob = Client(), client_of("bob", "usr")
    for url in ("/curtailment/", "/energy/", "/automation/"):
        assert anon.get(url).status_code == 302
        assert bob.get(url).status_code == 200
    page = bob.get("/curtailment/").content.decode()
    assert "Nothing is curtailed." in page and "Curtail now" not in page  # no form for usr
    form = {"scope": f"site:{site.pk}", "how": "sleep", "hours": "1"}
    assert anon.post("/curtailment/curtail/", form).status_code == 302
    assert bob.post("/curtailment/curtail/", form).status_code == 403
    assert bob.post("/curtailment/resume/", form).status_code == 403
    assert [(e.username, e.command, e.outcome) for e in AuditEntry.objects.order_by("id")] == [
        ("(anonymous)", "curtail-now", "refused"), ("bob", "curtail-now", "refused"), ("bob", "resume-now", "refused")]
    alice = client_of("alice", "sys", strict=True)
    assert "Curtail now" in alice.get("/curtailment/").content.decode()
    assert alice.post("/curtailment/curtail/", form).status_code == 403  # no CSRF token
    assert alice.get("/curtailment/curtail/").status_code == 405


@pytest.mark.django_db
def test_bad_forms_say_what_is_wrong():
    alice = client_of("alice", "sys")
    r = alice.post("/curtailment/curtail/", {"scope": "rack:999", "how": "power", "hours": "5", "form": "curtail"})
    page = r.content.decode()
    assert r.status_code == 400
    assert "Choose a site, a rack or a tag." in page and "Give the power target" in page and "One of 0, 1" in page
    assert AuditEntry.objects.get().outcome == "invalid"


@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
def test_curtail_now_and_resume_now_through_the_pages(bg):
    sim, rig, site, rack = placed("antminer", bg)
    alice = client_of("alice", "sys")
    r = alice.post("/curtailment/curtail/", {"scope": f"rack:{rack.pk}", "how": "sleep", "hours": "2",
                                             "reason": "grid <call>"})
    page = r.content.decode()
    assert r.status_code == 200 and "1 of 1 rig done" in page and sim.sleeping
    row = Curtailment.objects.get(ended_at=None)
    assert row.reason == "manual: grid <call>" and row.actor == "alice"
    assert timedelta(hours=1, minutes=59) < row.until - row.started_at <= timedelta(hours=2)
    page = alice.get("/curtailment/").content.decode()
    assert '<strong>manual</strong>: grid &lt;call&gt;' in page  # escaped, with its why
    page = alice.get(f"/rigs/{rig.pk}/").content.decode()
    assert "<strong>Curtailed</strong> (sleep) since" in page
    r = alice.post("/curtailment/resume/", {"scope": f"site:{site.pk}", "hours": "4"})
    assert r.status_code == 200 and "1 of 1 rig done" in r.content.decode() and not sim.sleeping
    assert Override.objects.get().by == "alice"
    assert [(e.command, e.outcome) for e in AuditEntry.objects.order_by("id")] == [
        ("curtail", "S"), ("curtail-now", "S"), ("resume", "S"), ("resume-now", "S")]
    r = alice.post("/curtailment/resume/", {"scope": f"site:{site.pk}", "hours": "0"}, follow=True)
    assert "Nothing in site Texas was curtailed." in r.content.decode()


def points(rig, start, minutes, watts):
    t = int(start.timestamp()) // 60 * 60
    Point.objects.bulk_create([Point(rig=rig, res=1, t=t + 60 * i, power=watts) for i in range(minutes)])


@pytest.mark.django_db
def test_energy_per_site_at_a_tariff_by_time_of_day(client):
    site = Site.objects.create(name="Oslo", timezone="Europe/Oslo")
    rig = Rig.objects.create(name="a", host="127.0.0.1", port=1)
    Placement.objects.create(rig=rig, site=site)
    other = Rig.objects.create(name="elsewhere", host="127.0.0.1", port=2)
    tz = energy.site_zone(site)
    yesterday = timezone.now().astimezone(tz).date() - timedelta(days=1)
    points(rig, datetime.combine(yesterday, time(16, 30), tzinfo=tz), 60, 1000.0)  # 1 kWh across 17:00
    points(other, datetime.combine(yesterday, time(16, 30), tzinfo=tz), 60, 5000.0)  # not this site's
    tariff = Tariff.objects.create(site=site, flat=0.10)
    TariffPeriod.objects.create(tariff=tariff, start=time(17), end=time(21), price=0.30)
    Curtailment.objects.create(rig=rig, how="sleep", actor="schedule: peak", reason="schedule: peak",
                               started_at=datetime.combine(yesterday, time(18), tzinfo=tz),
                               ended_at=datetime.combine(yesterday, time(22), tzinfo=tz), watts_before=3000)
    Curtailment.objects.create(rig=rig, how="power", value="2000", actor="x", reason="price: Oslo",
                               started_at=datetime.combine(yesterday, time(23), tzinfo=tz),
                               ended_at=datetime.combine(yesterday + timedelta(days=1), time(1), tzinfo=tz),
                               watts_before=3000)
    day = energy.days(site, 2)[1]
    assert day.day == yesterday
    assert day.kwh == pytest.approx(1.0)
    assert day.cost == pytest.approx(0.5 * 0.10 + 0.5 * 0.30)
    assert day.curtailed_hours == pytest.approx(4 + 1)  # 18-22, and 23-24 of the one past midnight
    assert day.not_used_kwh == pytest.approx(3 * 4 + 1 * 1)  # 3 kW asleep; 1 kW under the 2000 W target
    assert day.not_used_cost == pytest.approx(3 * 3 * 0.30 + 3 * 1 * 0.10 + 1 * 0.10)
    client.force_login(User.objects.create_user("bob", password="x"))
    page = client.get("/energy/?days=2").content.decode()
    assert "Oslo" in page and "Europe/Oslo" in page and ">1.00<" in page and ">0.20<" in page and ">13.00<" in page


@pytest.mark.django_db
def test_metrics_carry_per_site_gauges(client):
    site = Site.objects.create(name="Oslo")
    rig = Rig.objects.create(name="a", host="127.0.0.1", port=1)
    Placement.objects.create(rig=rig, site=site)
    Tariff.objects.create(site=site, flat=0.2)
    points(rig, timezone.now() - timedelta(minutes=30), 30, 2000.0)
    Curtailment.objects.create(rig=rig, how="sleep", actor="x", reason="manual: x",
                               started_at=timezone.now() - timedelta(minutes=5), watts_before=2000)
    from automation import metrics

    metrics.forget()
    text = client.get("/metrics").content.decode()
    got = {(s.name, s.labels.get("site")): s.value for f in text_string_to_metric_families(text) for s in f.samples
           if s.name.startswith("minerpanel_site_")}
    assert got[("minerpanel_site_curtailed_rigs", "Oslo")] == 1
    today_minutes = min(30, (timezone.now() - timezone.now().astimezone(energy.site_zone(site)).replace(
        hour=0, minute=0, second=0, microsecond=0)).total_seconds() // 60)
    assert got[("minerpanel_site_energy_kwh_today", "Oslo")] == pytest.approx(2 * today_minutes / 60, abs=0.04)
    assert got[("minerpanel_site_energy_cost_today", "Oslo")] == pytest.approx(
        got[("minerpanel_site_energy_kwh_today", "Oslo")] * 0.2)
    assert got[("minerpanel_site_curtailed_hours_today", "Oslo")] > 0


@pytest.mark.django_db(transaction=True)
def test_runner_on_the_lead_shard_and_the_command(monkeypatch):
    passes = []
    monkeypatch.setattr(runner, "tick", lambda now=None: passes.append(now) or {})
    runner.after_round([], 0.1, (1, 2))  # shard 1 of 2: not the lead
    runner.wait()
    assert passes == []
    runner.after_round([], 0.1, (0, 2))
    runner.wait()
    runner.after_round([], 0.1, None)
    runner.wait()
    assert len(passes) == 2
    monkeypatch.undo()
    from io import StringIO

    out = StringIO()
    call_command("automate", "--once", stdout=out)
    assert out.getvalue().startswith("fetched 0 feed(s), curtailed 0, resumed 0, 0 rule step(s)")
