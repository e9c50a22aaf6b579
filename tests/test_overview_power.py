"""The Overview says what is curtailed (how, why, since when, until when) and each rig's power and efficiency,
with the farm's power in its Σ row (issue 26 §4, §5): from the rigs' open Curtailment rows and their figures,
on the ready rows the poller writes."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.test import override_settings
from django.utils import timezone

from rigs.control import Actor, curtail_rigs, resume_rigs
from rigs.models import Curtailment, NominalPower, ReadyRow, Rig
from rigs.readings import power
from rigs.web import ready
from rigs.web.curtailed import when
from rigs.web.view_models import tz
from tests.base import BaseTestCase
from tests.drivers.asic_helpers import FAST
from tests.test_curtail import rig_of, start
from tests.test_pages import summary


def cells_of(table, name):
    """The texts of the cells of the row of rig ``name`` in a table's HTML."""
    row = next(r for r in table.split("<tr")[1:] if f">{name}</a>" in r)
    return [re.sub(r"<[^>]+>", "", c.split(">", 1)[1].split("</td>")[0]) for c in row.split("<td")[1:]]


class OverviewCurtailmentTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.client.force_login(self.bob)
        power.forget()
        NominalPower.objects.update_or_create(pattern="S19 Pro", defaults={"watts": 3250, "terahash": 110.0})
        self.b = Rig.objects.create(name="rig-b", host="10.0.0.6")
        self.c = Rig.objects.create(name="rig-c", host="10.0.0.7")
        self.snapshot(sections={"SUMMARY": [summary(mhs=100e6, Power=3000.0)]})  # reported: 3,000 W at 100 TH/s
        self.snapshot(rig=self.b, sections={"VERSION": [{"Type": "Antminer S19 Pro"}],
                                            "SUMMARY": [summary(mhs=110e6)]})  # estimated: 3,250 W
        self.snapshot(rig=self.c, sections={"SUMMARY": [summary()]})  # no power known

    def test_each_rigs_power_and_efficiency_and_the_farms_power(self):
        page = self.client.get("/overview/").content.decode()
        table = page.split('id="summary"')[1].split("</section>")[0]
        assert ">Power</th>" in table and ">J/TH</th>" in table
        a = cells_of(table, "rig-a")
        assert a[-2:] == ["3,000 W", "30.0"]
        b = cells_of(table, "rig-b")
        assert b[-2:] == ["3,250 W est.", "29.6 est."]  # 3,250 W / 110 TH/s = 29.55
        assert cells_of(table, "rig-c")[-2:] == ["", ""]
        foot = table.split("<tfoot>")[1]
        # 6,250 W of which some estimated; J/TH: 6,250 W over 210 TH/s
        assert ">6,250 W est.</td>" in foot and ">29.8 est.</td>" in foot
        assert 'title="1 of these rigs&#x27; power estimated from the nominal power table' in foot

    def test_what_is_curtailed_why_since_and_until_escaped(self):
        now = timezone.now()
        Curtailment.objects.create(rig=self.rig, how="sleep", reason="manual: <script>alert(1)</script>",
                                   actor="alice", started_at=now - timedelta(minutes=5), until=now + timedelta(hours=2))
        Curtailment.objects.create(rig=self.b, how="power", value="2000", reason="schedule: evening peak",
                                   actor="schedule: evening peak", started_at=now)
        Curtailment.objects.create(rig=self.c, how="sleep", reason="price: Oslo", actor="price",
                                   started_at=now - timedelta(days=1), ended_at=now)  # over: not shown
        ready.write([self.rig.pk, self.b.pk, self.c.pk])  # as after the poller's next batch
        page = self.client.get("/overview/").content.decode()
        rigs = page.split('id="rigs"')[1].split("</section>")[0]
        since, until = when(now - timedelta(minutes=5), tz(), now), when(now + timedelta(hours=2), tz(), now)
        assert (f"curtailed: asleep, manual: &lt;script&gt;alert(1)&lt;/script&gt;, since {since}, "
                f"until {until}</td>") in rigs
        assert "<script>alert(1)" not in page
        assert (f'data-label="Reasons">curtailed: power 2000 W, schedule: evening peak, since {when(now, tz(), now)}, '
                "until resumed</td>") in rigs
        assert "price: Oslo" not in rigs


@pytest.fixture
def alice():
    user = User.objects.create_user("alice", password="x")
    user.groups.add(Group.objects.get_or_create(name="sys")[0])
    return user


@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
def test_a_curtailment_shows_on_the_overview_rows_at_once_and_goes_when_resumed(bg, alice):
    """curtail_rigs re-polls the rig before its Curtailment row exists: the rows are written again after."""
    sim, fields = start(bg, "antminer")
    rig = rig_of("antminer", fields)
    (report,) = curtail_rigs([rig], "sleep", actor=Actor("schedule: weekday peak"), reason="schedule: weekday peak",
                             until=timezone.now() + timedelta(hours=1))
    assert report.ok, report.message
    html = ReadyRow.objects.get(table="rigs", rig=rig).html  # as written on the poller's side: no view, no poll
    assert "curtailed: asleep, schedule: weekday peak, since " in html and ", until " in html
    assert "asleep, paused or at a lower power" not in html  # the health's own words, said better
    (back,) = resume_rigs([Rig.objects.select_related("snapshot").get(pk=rig.pk)], actor=alice)
    assert back.ok, back.message
    assert "curtailed" not in ReadyRow.objects.get(table="rigs", rig=rig).html
