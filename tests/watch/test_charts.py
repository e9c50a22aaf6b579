"""Chart data endpoints and the pages that draw them."""

import time

from rigs.models import Rig
from tests.base import BaseTestCase
from watch.models import FarmPoint, Point


class ChartTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        now = int(time.time()) // 60 * 60
        Point.objects.bulk_create([Point(rig=self.rig, res=1, t=now - 60 * m, hs=1e12, hs_now=1.1e12, temp=60.0,
                                         acc=10, rej=0, pool=0, devs=[["GPU 0", 1e12, 60.0, "Alive"]])
                                   for m in range(120)])
        FarmPoint.objects.create(res=1, t=now - 60, algorithm="SHA-256d", hs=1e12, rigs=1, healthy=1)

    def test_a_rigs_series_is_sized_to_the_width(self):
        self.client.force_login(self.bob)
        data = self.client.get(f"/history/rigs/{self.rig.pk}.json?range=24h&width=30&devices=1").json()
        assert len(data["t"]) <= 30 and data["step"] == 2880 and data["hs"][-1] == 1e12
        assert list(data["devices"]) == ["GPU 0"] and len(data["devices"]["GPU 0"]["t"]) <= 30
        assert self.client.get(f"/history/rigs/{self.rig.pk}.json?range=2w").status_code == 404
        assert self.client.get("/history/rigs/999.json").status_code == 404
        assert self.client.get("/history/farm.json?range=1h&width=100").json()["hs"]["SHA-256d"] == [1e12]

    def test_visitors_see_no_history(self):
        assert self.client.get(f"/history/rigs/{self.rig.pk}.json").status_code == 302
        assert self.client.get("/history/farm.json").status_code == 302

    def test_the_rig_page_and_the_overview_carry_charts_without_inline_script(self):
        self.client.force_login(self.bob)
        self.snapshot(sections={"SUMMARY": [{"MHS av": 1}]})
        page = self.client.get(f"/rigs/{self.rig.pk}/").content.decode()
        assert f'data-source="/history/rigs/{self.rig.pk}.json"' in page and "uPlot.iife.min.js" in page
        overview = self.client.get("/overview/").content.decode()
        assert 'data-source="/history/farm.json"' in overview and 'data-farm="1"' in overview
        for html in (page, overview):
            assert "<script>" not in html and " onclick=" not in html

    def test_the_summary_page_has_the_farm_charts_for_logged_in_users_only(self):
        from custompages.models import CustomPage

        CustomPage.objects.filter(slug="summary").update(public=True)
        assert 'data-source="/history/farm.json"' not in self.client.get("/pages/summary/").content.decode()
        self.client.force_login(self.bob)
        assert 'data-source="/history/farm.json"' in self.client.get("/pages/summary/").content.decode()
        other = CustomPage.objects.exclude(slug="summary").first().slug
        assert 'data-source="/history/farm.json"' not in self.client.get(f"/pages/{other}/").content.decode()

    def test_the_chart_pages(self):
        self.client.force_login(self.bob)
        other = Rig.objects.create(name="<i>b</i>", host="10.0.0.6", port=4028)
        assert "&lt;i&gt;b&lt;/i&gt; history" in self.client.get(f"/charts/{other.pk}/").content.decode()
        assert "The farm over time" in self.client.get("/charts/").content.decode()

    def test_sparklines_for_the_rigs_asked(self):
        self.client.force_login(self.bob)
        data = self.client.get(f"/history/sparklines.json?rigs={self.rig.pk},999,x").json()
        assert list(data) == [str(self.rig.pk)] and 10 <= len(data[str(self.rig.pk)]) <= 36
        assert self.client.get("/history/sparklines.json?rigs=").json() == {}
