"""Curtailment by schedule: the windows' arithmetic in the site's time zone, and end to end with a frozen
clock against the Antminer and Braiins simulators on 127.0.0.1: curtailed inside the window (until its
end), resumed after it; a person's resume now holds the schedule off; manual and timed ends."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from automation import curtailing, windows
from automation.models import Override, Schedule, Window
from farm.models import Maintenance, Placement, Rack, Site
from rigs.models import AuditEntry, Curtailment, Rig
from tests.drivers.asic_helpers import FAST
from tests.test_curtail import rig_of, start

CHICAGO = ZoneInfo("America/Chicago")


def at(y, m, d, hh, mm=0, tz=CHICAGO):
    return datetime(y, m, d, hh, mm, tzinfo=tz)


class W:
    """A window's fields, without the database."""

    def __init__(self, weekdays="01234", start=None, end=None, first_day=None, last_day=None):
        self.weekdays, self.start, self.end, self.first_day, self.last_day = weekdays, start, end, first_day, last_day


def test_weekday_evening_window():
    w = W("01234", time(17), time(21))
    assert windows.open_until(w, at(2026, 5, 4, 18)) == at(2026, 5, 4, 21)  # a Monday at 18:00
    assert windows.open_until(w, at(2026, 5, 4, 21)) is None  # the end is not in it
    assert windows.open_until(w, at(2026, 5, 4, 16, 59)) is None
    assert windows.open_until(w, at(2026, 5, 9, 18)) is None  # a Saturday


def test_overnight_window_belongs_to_the_evening_it_starts():
    w = W("4", time(22), time(6))  # Friday nights
    assert windows.open_until(w, at(2026, 5, 8, 23)) == at(2026, 5, 9, 6)  # Friday 23:00
    assert windows.open_until(w, at(2026, 5, 9, 5)) == at(2026, 5, 9, 6)  # Saturday 05:00
    assert windows.open_until(w, at(2026, 5, 8, 5)) is None  # Friday 05:00: Thursday night is not in it


def test_date_range_all_day_runs_to_its_last_day():
    w = W("", None, None, date(2026, 7, 1), date(2026, 7, 3))
    assert windows.open_until(w, at(2026, 7, 2, 12)) == at(2026, 7, 4, 0)
    assert windows.open_until(w, at(2026, 7, 4, 0)) is None
    assert windows.open_until(W("", time(14), time(18), date(2026, 7, 1), date(2026, 7, 1)),
                              at(2026, 7, 1, 15)) == at(2026, 7, 1, 18)


@pytest.mark.django_db
def test_the_site_time_zone_decides():
    site = Site.objects.create(name="Texas", timezone="America/Chicago")
    s = Schedule.objects.create(name="peak", site=site)
    w = Window.objects.create(schedule=s, weekdays="01234", start=time(17), end=time(21))
    utc = ZoneInfo("UTC")
    assert windows.schedule_until(s, [w], datetime(2026, 5, 4, 23, tzinfo=utc)) == at(2026, 5, 4, 21)  # 18:00 CDT
    assert windows.schedule_until(s, [w], datetime(2026, 5, 4, 18, tzinfo=utc)) is None  # 13:00 CDT


def placed(kind, bg, site_name="Texas"):
    sim, fields = start(bg, kind)
    rig = rig_of(kind, fields)
    site = Site.objects.get_or_create(name=site_name, defaults={"timezone": "America/Chicago"})[0]
    rack = Rack.objects.get_or_create(site=site, name="A1", defaults={"rows": 2, "columns": 2})[0]
    Placement.objects.create(rig=rig, site=site, rack=rack, row=1, column=1 + Placement.objects.count())
    return sim, rig, site, rack


@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
def test_a_window_curtails_and_resumes_with_a_frozen_clock(bg):
    sim, rig, site, rack = placed("antminer", bg)
    s = Schedule.objects.create(name="peak", rack=rack)
    Window.objects.create(schedule=s, weekdays="01234", start=time(17), end=time(21))
    assert curtailing.tick(at(2026, 5, 4, 16)) == {"curtailed": [], "resumed": []}
    assert curtailing.tick(at(2026, 5, 4, 17, 1)) == {"curtailed": [rig.pk], "resumed": []}
    assert sim.sleeping
    row = Curtailment.objects.get(ended_at=None)
    assert (row.reason, row.actor, row.until, row.read_back) == ("schedule: peak", "schedule: peak",
                                                                  at(2026, 5, 4, 21), True)
    assert AuditEntry.objects.get(command="curtail").username == "schedule: peak"
    assert curtailing.tick(at(2026, 5, 4, 18)) == {"curtailed": [], "resumed": []}  # idempotent
    assert curtailing.tick(at(2026, 5, 4, 21, 1)) == {"curtailed": [], "resumed": [rig.pk]}
    assert not sim.sleeping and not Curtailment.objects.filter(ended_at=None).exists()
    assert [e.command for e in AuditEntry.objects.order_by("id")] == ["curtail", "resume"]


@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
def test_power_target_schedule_and_a_person_resuming_now(bg):
    from django.contrib.auth.models import Group, User

    sim, rig, site, rack = placed("braiins", bg)
    s = Schedule.objects.create(name="cap", site=site, how="power", value="2000")
    Window.objects.create(schedule=s, weekdays="", start=time(0), end=time(23, 59))
    now = at(2026, 5, 4, 12)
    assert curtailing.tick(now)["curtailed"] == [rig.pk] and sim.power_target == 2000
    alice = User.objects.create_user("alice", password="x")
    alice.groups.add(Group.objects.get_or_create(name="sys")[0])
    scope = Override(site=site)
    (report,) = curtailing.resume_now(scope, 2, alice, "127.0.0.1", now=now)
    assert report.ok and sim.power_target == 3500  # the usual target set back
    assert curtailing.tick(now + timedelta(hours=1))["curtailed"] == []  # the override holds it off
    assert curtailing.tick(now + timedelta(hours=3))["curtailed"] == [rig.pk]  # and ends


@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
def test_manual_curtail_ends_at_its_time_and_maintenance_is_left_alone(bg):
    from django.contrib.auth.models import Group, User

    sim, rig, site, rack = placed("antminer", bg)
    alice = User.objects.create_user("alice", password="x")
    alice.groups.add(Group.objects.get_or_create(name="sys")[0])
    from django.utils import timezone

    now = timezone.now()
    (report,) = curtailing.curtail_now(Override(rack=rack), "sleep", "", 1, "grid call", alice, "127.0.0.1", now)
    assert report.ok and sim.sleeping
    assert Curtailment.objects.get(ended_at=None).reason == "manual: grid call"
    assert curtailing.tick(now + timedelta(minutes=30))["resumed"] == []
    Maintenance.objects.create(site=site, reason="PDU", starts=now, ends=now + timedelta(hours=3), by="alice")
    assert curtailing.tick(now + timedelta(hours=2))["resumed"] == []  # in maintenance: left as it is
    assert curtailing.tick(now + timedelta(hours=4))["resumed"] == [rig.pk] and not sim.sleeping
    assert Rig.objects.get(pk=rig.pk).curtailments.get().ended_at is not None


@pytest.mark.django_db
def test_by_rig_says_why_since_and_until():
    rig = Rig.objects.create(name="a", host="127.0.0.1", port=1)
    other = Rig.objects.create(name="b", host="127.0.0.1", port=2)
    end = at(2026, 5, 4, 21)
    Curtailment.objects.create(rig=rig, how="sleep", actor="schedule: peak", reason="schedule: peak", until=end)
    Curtailment.objects.create(rig=other, how="sleep", actor="bob", reason="from the rig page",
                               ended_at=at(2026, 5, 4, 12))
    got = curtailing.by_rig([rig.pk, other.pk])
    assert list(got) == [rig.pk]
    assert (got[rig.pk]["why"], got[rig.pk]["reason"], got[rig.pk]["until"]) == ("schedule", "peak", end)
    assert curtailing.why("from the rig page") == "person" and curtailing.detail("manual: x: y") == "x: y"
