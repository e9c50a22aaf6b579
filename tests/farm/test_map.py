"""The rack map's HTML: cells at their slots, empty slots drawn, rigs outside racks listed, each metric's
colour and legend, names escaped, and what each tier may see."""

import re
from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from farm.models import Maintenance, Placement, Rack, Site
from rigs.models import Rig
from tests.base import BaseTestCase

ASIC = {"SUMMARY": [{"MHS 5s": 95_000_000.0, "MHS av": 95_000_000.0, "Temperature": 83.0, "Power": 3250,
                     "Efficiency J/TH": 34.2, "Nominal MHS": 100_000_000.0}]}


def grid_of(page, rack):
    """The cells of a rack's grid, in document order: ('a', class, text) or ('i', '', '')."""
    block = re.search(rf'aria-label="Rack {re.escape(rack)}">.*?<div class="grid cols-(\d+)">(.*?)</div>', page, re.S)
    cells = re.findall(r'<(a|i)(?: class="c ([^"]*)")?[^>]*>([^<]*)</\1>', block.group(2))
    return int(block.group(1)), cells


class MapTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.site = Site.objects.create(name="Oslo", order=1)
        self.rack = Rack.objects.create(site=self.site, name="A1", rows=2, columns=3)
        self.evil = Rig.objects.create(name='<img src=x onerror=alert(1)>', host="10.0.0.9")
        self.cold = Rig.objects.create(name="cold", host="10.0.0.10")
        self.loose = Rig.objects.create(name="on-the-floor", host="10.0.0.11")
        Placement.objects.create(rig=self.rig, site=self.site, rack=self.rack, row=1, column=2)
        Placement.objects.create(rig=self.evil, site=self.site, rack=self.rack, row=2, column=3)
        Placement.objects.create(rig=self.cold, site=self.site, rack=self.rack, row=2, column=1)
        Placement.objects.create(rig=self.loose, site=self.site)
        self.snapshot(sections=ASIC)
        self.snapshot(rig=self.evil, sections={"DEVS": [{"GPU": 0, "Status": "Dead", "Temperature": 50}]})
        self.snapshot(rig=self.cold, error="connection refused", last_ok_at=None)

    def test_cells_sit_at_their_slots_and_empty_slots_are_drawn(self):
        self.client.force_login(self.bob)
        page = self.client.get("/map/").content.decode()
        columns, cells = grid_of(page, "A1")
        assert columns == 3 and len(cells) == 6  # 2 rows × 3 columns, row by row
        assert [c[0] for c in cells] == ["i", "a", "i", "a", "i", "a"]
        assert cells[1][1:] == ("m2", "⚠")  # rig-a: warm (83 °C ≥ TEMP_WARN)
        assert cells[3][1] == "m4" and cells[3][2] == "✖"  # cold: unreachable
        assert cells[5][1] == "m4"  # the dead GPU
        assert f'href="/rigs/{self.rig.pk}/"' in page
        assert 'title="1,1 empty"' in page
        assert "Outside racks or slots" in page and ">on-the-floor</a>" in page
        assert 'aria-current="page">Oslo</a>' in page

    def test_a_rig_name_with_html_is_escaped_everywhere(self):
        self.client.force_login(self.bob)
        page = self.client.get("/map/").content.decode()
        assert "<img src=x" not in page
        assert "&lt;img src=x onerror=alert(1)&gt; · problem · GPU 0 Dead" in page

    def test_each_metric_colours_and_explains_its_scale(self):
        self.client.force_login(self.bob)
        temp = self.client.get("/map/?metric=temp").content.decode()
        _, cells = grid_of(temp, "A1")
        assert cells[1][1:] == ("m3", "83")  # TEMP_WARN 80 ≤ 83 < TEMP_ERROR 90
        assert cells[3][1] == "nd"  # no reading
        assert "80–90 °C (warning)" in temp and "hottest 83 °C" in temp
        rate = self.client.get("/map/?metric=hashrate").content.decode()
        assert grid_of(rate, "A1")[1][1][1:] == ("m1", "95%")
        assert "95% of nominal (95.00 TH/s of 100.00 TH/s)" in rate
        power = self.client.get("/map/?metric=power").content.decode()
        assert grid_of(power, "A1")[1][1][1:] == ("s2", "3.2") and "3,250 W" in power
        eff = self.client.get("/map/?metric=efficiency").content.decode()
        assert grid_of(eff, "A1")[1][1][1:] == ("m3", "34") and "34.2 J/TH" in eff and "efficiency not reported" in eff
        assert self.client.get("/map/?metric=nonsense").status_code == 200  # health

    def test_rigs_in_maintenance_are_greyed_with_who_why_and_until(self):
        now = timezone.now()
        Maintenance.objects.create(rack=self.rack, reason="new PDU", starts=now - timedelta(minutes=5),
                                   ends=now + timedelta(hours=2), by="alice")
        self.client.force_login(self.bob)
        page = self.client.get("/map/").content.decode()
        _, cells = grid_of(page, "A1")
        assert {c[1] for c in cells if c[0] == "a"} == {"mt"}
        assert "in maintenance until" in page and "rack Oslo / A1, alice: new PDU" in page
        assert "3 in maintenance" in page

    def test_tabs_sites_by_name_or_id_and_the_htmx_fragment(self):
        other = Site.objects.create(name="Bergen", order=2)
        self.client.force_login(self.bob)
        assert 'aria-current="page">Bergen</a>' in self.client.get("/map/?site=Bergen").content.decode()
        assert 'aria-current="page">Bergen</a>' in self.client.get(f"/map/?site={other.pk}").content.decode()
        assert "No rig is placed in Bergen yet." in self.client.get("/map/?site=Bergen").content.decode()
        fragment = self.client.get("/map/", HTTP_HX_REQUEST="true").content.decode()
        assert fragment.startswith('<div id="live"') and "<header" not in fragment

    def test_the_wall_screen_has_no_header_and_rotates_sites(self):
        other = Site.objects.create(name="Bergen", order=2)
        self.client.force_login(self.bob)
        with override_settings(MAP_WALL_SECONDS=45):
            page = self.client.get(f"/map/?site={self.site.pk}&wall=1").content.decode()
        assert 'class="bar"' not in page and 'id="wall"' in page and 'data-every="45"' in page
        assert f'data-next="?site={other.pk}&amp;metric=health&amp;wall=1&amp;every=45"' in page
        assert '<meta http-equiv="refresh" content="45;' in page  # without JS too
        one_site = self.client.get(f"/map/?site={other.pk}&wall=1&every=10").content.decode()
        assert 'data-every="10"' in one_site

    def test_only_logged_in_users_see_the_map(self):
        assert self.client.get("/map/").status_code == 302
        self.client.force_login(self.bob)
        page = self.client.get("/map/").content.decode()
        assert "Place rigs from a CSV" not in page  # usr: no sys links
        self.client.force_login(self.alice)
        assert "Place rigs from a CSV" in self.client.get("/map/").content.decode()

    def test_the_map_is_read_in_a_handful_of_queries_whatever_the_number_of_rigs(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from farm.rackmap import site_map

        big = Rack.objects.create(site=self.site, name="B", rows=10, columns=10)
        rigs = Rig.objects.bulk_create([Rig(name=f"m{i}", host=f"10.1.0.{i}") for i in range(100)])
        Placement.objects.bulk_create([Placement(rig=r, site=self.site, rack=big, row=i // 10 + 1, column=i % 10 + 1)
                                       for i, r in enumerate(rigs)])
        site_map(self.site, "temp", timezone.now())  # the map rows, which the poller's batches write
        for metric in ("health", "power"):
            with CaptureQueriesContext(connection) as queries:
                m = site_map(self.site, metric, timezone.now())
            assert m.rigs == 104 and len(queries) <= 3, [q["sql"][:80] for q in queries]

    def test_the_figures_own_power_comes_first_said_estimated_and_a_curtailed_rig_says_so(self):
        from rigs.models import Snapshot

        Snapshot.objects.filter(rig=self.cold).update(error="", last_ok_at=timezone.now(), brief={
            "figures": {"power_w": 1500, "power_estimated": True, "curtailed": True},
            "health": {"state": "ok", "reasons": []}})
        self.client.force_login(self.bob)
        page = self.client.get("/map/?metric=power").content.decode()
        assert "cold · ok · curtailed · 1,500 W (estimated)" in page
        assert "3,250 W" in page  # rig-a: no power_w in its figures, SUMMARY's Power

    def test_a_stale_rig_says_for_how_long_it_has_not_answered(self):
        long_ago = timezone.now() - timedelta(minutes=10)
        self.snapshot(rig=self.loose, sections={"SUMMARY": [{"MHS av": 1}]}, polled_at=long_ago, last_ok_at=long_ago)
        self.client.force_login(self.bob)
        page = self.client.get("/map/").content.decode()
        assert re.search(r"on-the-floor · problem · stale: no answer for 10m 0\ds", page), page[-3000:]


class EmptyFarmTests(BaseTestCase):
    def test_no_site_yet_says_what_to_do(self):
        self.client.force_login(self.alice)
        page = self.client.get("/map/").content.decode()
        assert "No site yet." in page and "place rigs from a CSV file" in page
        assert "1 enabled rig is in no site" in page
        assert self.client.get("/map/?wall=1").status_code == 200
        assert self.client.get("/map/", HTTP_HX_REQUEST="true").status_code == 200
