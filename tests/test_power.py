"""Power per rig (issue 26 §5): the firmware's own watts from real replies, the nominal estimate (pattern,
estimated flag, a sleeping rig at 0 W), energy from the history, the rig page's line and /metrics."""

import time

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from rigs.drivers import antminer, avalon, luxos, whatsminer
from rigs.models import NominalPower, Rig, Snapshot
from rigs.readings import power
from rigs.readings.brief import make_brief
from rigs.readings.figures import figures
from tests.base import BaseTestCase
from tests.replay import REAL
from watch import energy
from watch.models import Point

ROWS = [("S19", 3250, 95.0), ("S19 Pro", 3250, 110.0), ("S19j Pro", 3050, 100.0), ("S9", 1323, 13.5)]


@pytest.fixture
def table():
    loader = power._loader
    power.use(None)
    power.set_table(ROWS)
    yield
    power.use(loader)


def load(folder, *names):
    """The sections of real replies, read by the panel's own tolerant parser (the M20S writes \\')."""
    from rigs.drivers.cgminer.protocol import load_json

    return {k: v for n in names for k, v in load_json((REAL / folder / f"{n}.json").read_text()).items()
            if k not in ("STATUS", "id")}


def test_whatsminer_m20s_reports_its_power_and_efficiency(table):
    sections = whatsminer.to_sections(load("whatsminer/foreman-apps-m20s-20200917", "summary", "devs", "pools"))
    f = figures("whatsminer", sections)
    assert f["power_w"] == 3491 and f["power_estimated"] is False  # summary Power, the real capture's
    assert f["efficiency_jth"] == pytest.approx(3491 / 64.14, rel=1e-3)  # J/TH from its watts and rate
    assert f["curtailed"] is False  # Power Mode Normal, hashing


def test_luxos_s19k_pro_power_from_its_power_command_and_curtail_mode(table):
    raw = load("luxos/asic-rs-s19kpro-2025.4.8", "summary", "devs", "config", "power", "version")
    sections = luxos.to_sections(raw)
    f = figures("luxos", sections)
    assert f["power_w"] == raw["POWER"][0]["Watts"] and not f["power_estimated"]
    assert raw["CONFIG"][0]["CurtailMode"] == "None" and f["curtailed"] is False
    asleep = luxos.to_sections({**raw, "CONFIG": [{**raw["CONFIG"][0], "CurtailMode": "Sleep"}]})
    assert luxos.curtailed(asleep) is True


def test_a_soft_off_avalon_q_reads_back_curtailed():
    """The real soft-off Avalon Q (asic-rs capture): SoftOFF[4], SYSTEMSTATU "Work: In Idle"."""
    mm = (REAL / "avalon" / "asic-rs-avalonq-25052801" / "mm_id0_summary.txt").read_text()
    sections = avalon.to_sections({"STATS": [{"STATS": 0, "ID": "AVALON0", "MM ID0:Summary": mm}]})
    assert avalon.curtailed(sections) is True and figures("avalon", sections)["curtailed"] is True
    working = (REAL / "avalon" / "pyasic-avalon1566-24102401" / "stats.json").read_text()
    assert "SoftOFF[0]" in working and "In Work" in working


def test_the_estimate_from_the_nominal_table_is_marked_and_scaled(table):
    s17 = {"STATS": load("antminer/foreman-apps-s17pro-19.10.1.3", "stats")["STATS"],
           "VERSION": [{"Type": "Antminer S19J-Pro"}]}  # a name written another way than the pattern
    sections = antminer.to_sections(s17)
    f = figures("antminer", sections)
    assert f["power_estimated"] is True
    share = f["hashrate_now_hs"] / 100e12
    assert f["power_w"] == round(3050 * min(1.2, share)) and f["efficiency_jth"] == 30.5
    assert power.model(sections) == "Antminer S19J-Pro"


def test_patterns_match_whole_names_and_the_longest_wins(table):
    assert power.nominal("Antminer S19 Pro") == (3250, 110.0)  # "S19 Pro" over "S19"
    assert power.nominal("ANTMINER S19J PRO") == (3050, 100.0)
    assert power.nominal("Antminer S9") == (1323, 13.5)
    assert power.nominal("Antminer S9k") is None and power.nominal("Antminer S190") is None
    assert power.nominal("") is None


def test_a_sleeping_rig_is_estimated_at_zero_not_its_nominal_power(table):
    sections = {"VERSION": [{"Type": "Antminer S19 Pro"}], "SUMMARY": [{"MHS 5s": 0, "Work Mode": "Sleep"}]}
    f = figures("antminer", sections)
    assert f["curtailed"] is True and f["power_w"] == 0 and f["power_estimated"] is True
    unknown = figures("antminer", {"VERSION": [{"Type": "Antminer S19 Pro"}], "SUMMARY": [{"MHS 5s": 0}]})
    assert unknown["curtailed"] is None and unknown["power_w"] == 0  # hashing nothing: nothing from the table
    assert figures("antminer", {"VERSION": [{"Type": "Antminer Z15"}], "SUMMARY": [{"MHS 5s": 5}]})["power_w"] is None


@pytest.mark.django_db
def test_the_admin_table_counts_at_once():
    power.forget()
    NominalPower.objects.all().delete()
    sections = {"VERSION": [{"Type": "Futurebit Apollo II"}], "SUMMARY": [{"MHS 5s": 8e6}]}
    assert figures("cgminer", sections)["power_w"] is None
    NominalPower.objects.create(pattern="Apollo II", watts=300, terahash=8.0)
    f = figures("cgminer", sections)
    assert f["power_w"] == 300 and f["power_estimated"] is True and f["efficiency_jth"] == 37.5


class EnergyAndPagesTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        power.forget()
        NominalPower.objects.update_or_create(pattern="S19 Pro", defaults={"watts": 3250, "terahash": 110.0})
        self.rig.kind = "antminer"
        self.rig.save()
        sections = {"VERSION": [{"Type": "Antminer S19 Pro"}], "SUMMARY": [{"MHS 5s": 110e6, "MHS av": 110e6}]}
        now = timezone.now()
        Snapshot.objects.create(rig=self.rig, sections=sections, statuses={}, polled_at=now, last_ok_at=now,
                                brief=make_brief(sections, {}, "antminer"))

    def points(self, watts, minutes, rig=None, res=1):
        t0 = int(time.time()) // 60 * 60 - minutes * 60
        Point.objects.bulk_create([Point(rig=rig or self.rig, res=res, t=t0 + 60 * i, power=watts)
                                   for i in range(minutes)])
        return t0

    def test_kwh_from_the_points(self):
        other = Rig.objects.create(name="b", host="10.0.0.6", port=4028)
        t0 = self.points(3000.0, 60)
        self.points(1500.0, 30, rig=other)
        got = energy.kwh([self.rig.pk, other.pk], t0, time.time() + 60)
        assert got[self.rig.pk] == pytest.approx(3.0) and got[other.pk] == pytest.approx(0.75)
        assert energy.kwh([self.rig.pk], t0, t0 + 1800)[self.rig.pk] == pytest.approx(1.5)  # half of it
        assert energy.last_day(other.pk) == pytest.approx(0.75) and energy.kwh([], t0) == {}

    def test_the_rig_page_shows_the_estimate_as_estimated_and_the_last_day(self):
        self.points(3250.0, 120)
        self.client.force_login(self.bob)
        page = self.client.get(f"/rigs/{self.rig.pk}/").content.decode()
        assert "≈ 3,250 W (estimated)" in page and "29.6 J/TH (estimated)" in page, page[page.find("power"):][:300]
        assert "6.5 kWh in the last 24 h" in page and "· not curtailed" in page  # it hashes: plainly awake

    def test_the_history_carries_power(self):
        self.points(3250.0, 5)
        self.client.force_login(self.bob)
        data = self.client.get(f"/history/rigs/{self.rig.pk}.json?range=1h").json()
        assert [p for p in data["power"] if p is not None][-1] == 3250.0

    def test_metrics_power_with_the_estimated_label_and_efficiency(self):
        m = {}
        for family in text_string_to_metric_families(self.client.get("/metrics").content.decode()):
            for s in family.samples:
                m.setdefault(s.name, []).append((s.labels, s.value))
        (labels, watts), = m["minerpanel_rig_power_watts"]
        assert watts == 3250 and labels["estimated"] == "true" and labels["rig"] == "rig-a"
        assert m["minerpanel_rig_efficiency_jth"] == [(labels, 29.55)]

    def test_the_admin_lists_and_adds_nominal_power_rows(self):
        self.client.force_login(self.root)
        page = self.client.get("/admin/rigs/nominalpower/").content.decode()
        assert "S19 Pro" in page and "29.5" in page  # its J/TH beside the watts
        r = self.client.post("/admin/rigs/nominalpower/add/", {"pattern": "Z15 Pro", "watts": "2800",
                                                              "terahash": "", "source": "spec sheet"})
        assert r.status_code == 302 and NominalPower.objects.get(pattern="Z15 Pro").watts == 2800
        r = self.client.post("/admin/rigs/nominalpower/add/", {"pattern": "Z15", "watts": "0"})
        assert r.status_code == 200 and "greater than or equal to 1" in r.content.decode()
        assert self.client.get("/admin/rigs/curtailment/add/").status_code == 403  # written by curtail_rigs only
