"""The settings miner.php users expect, and its page behaviours: one rig, Prev/Next, many rigs."""

import datetime
import time

from django.core.cache import cache
from django.test import override_settings

from rigs.discovery import register, search
from rigs.drivers import cgminer
from rigs.models import Rig
from rigs.web import tables
from rigs.web.display import clock
from tests.base import BaseTestCase

LATE = {"ASC": 0, "Name": "BTB", "ID": 0, "Enabled": "Y", "Status": "Alive", "MHS av": 1000.0,
        "Last Share Difficulty": 1.0}


class PageBehaviourTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.client.force_login(self.bob)

    def test_with_exactly_one_rig_the_default_page_is_that_rig(self):
        self.assertRedirects(self.client.get("/"), f"/rigs/{self.rig.pk}/")
        self.assertContains(self.client.get("/?all=1"), "rig-a")  # the summary is still there
        self.assertEqual(self.client.get("/", HTTP_HX_REQUEST="true").status_code, 200)  # live refresh
        Rig.objects.create(name="rig-b", host="10.0.0.6")
        self.assertEqual(self.client.get("/").status_code, 200)

    def test_prev_and_next_go_round(self):
        b = Rig.objects.create(name="rig-b", host="10.0.0.6")
        c = Rig.objects.create(name="rig-c", host="10.0.0.7")
        page = self.client.get(f"/rigs/{b.pk}/").content.decode()
        self.assertIn(f'href="/rigs/{self.rig.pk}/" rel="prev"', page)
        self.assertIn(f'href="/rigs/{c.pk}/" rel="next"', page)
        page = self.client.get(f"/rigs/{self.rig.pk}/").content.decode()
        self.assertIn(f'href="/rigs/{c.pk}/" rel="prev"', page)  # before the first: the last
        alone = Rig.objects.exclude(pk=self.rig.pk)
        alone.delete()
        self.assertNotContains(self.client.get(f"/rigs/{self.rig.pk}/"), 'rel="next"')

    def test_prev_and_next_follow_the_panel_order_past_disabled_rigs(self):
        # the panel's order: Rig.order, then the name; rig-a (order 0) first
        z = Rig.objects.create(name="rig-z", host="10.0.0.6", order=0)
        b = Rig.objects.create(name="rig-b", host="10.0.0.7", order=5)
        Rig.objects.create(name="rig-c", host="10.0.0.8", order=5, enabled=False)
        d = Rig.objects.create(name="rig-d", host="10.0.0.9", order=5)
        e = Rig.objects.create(name="rig-e", host="10.0.0.10", order=9)

        def around(rig):
            page = self.client.get(f"/rigs/{rig.pk}/").content.decode()
            prev = int(page.split('" rel="prev"')[0].rsplit("/rigs/", 1)[1].strip("/"))
            nxt = int(page.split('" rel="next"')[0].rsplit("/rigs/", 1)[1].strip("/"))
            return prev, nxt

        self.assertEqual(around(z), (self.rig.pk, b.pk))  # a later order after the last name of order 0
        self.assertEqual(around(b), (z.pk, d.pk))          # rig-c is disabled
        self.assertEqual(around(d), (b.pk, e.pk))
        self.assertEqual(around(e), (d.pk, self.rig.pk))   # after the last: the first
        self.assertEqual(around(self.rig), (e.pk, z.pk))

    def test_past_60_rigs_the_bar_becomes_a_filter_box(self):
        Rig.objects.bulk_create([Rig(name=f"farm-{i:03d}", host=f"10.2.{i // 200}.{i % 200 + 1}") for i in range(64)])
        page = self.client.get(f"/rigs/{self.rig.pk}/").content.decode()
        self.assertIn('action="/rigs/find/"', page)
        self.assertIn('<option value="farm-063">', page)
        self.assertNotIn('<nav class="rigbar"', page)
        overview = self.client.get("/overview/").content.decode()
        self.assertIn('list="rig-names"', overview)
        exact = Rig.objects.get(name="farm-007")
        self.assertRedirects(self.client.get("/rigs/find/", {"q": "farm-007"}), f"/rigs/{exact.pk}/")
        listed = self.client.get("/rigs/find/", {"q": "farm-01"})
        self.assertContains(listed, "farm-019")
        self.assertNotContains(listed, "farm-020")
        self.assertContains(self.client.get("/rigs/find/", {"q": "<b>x"}), "&lt;b&gt;x", status_code=404)

    def test_a_handful_of_rigs_keep_their_buttons(self):
        Rig.objects.create(name="rig-b", host="10.0.0.6")
        page = self.client.get("/overview/").content.decode()
        self.assertIn('<nav class="rigbar"', page)
        self.assertNotIn("rig-names", page)


class SettingsTests(BaseTestCase):
    def test_panel_title(self):
        self.client.force_login(self.bob)
        with override_settings(PANEL_TITLE="Farm <b>"):
            page = self.client.get("/?all=1").content.decode()
        self.assertIn("<title>Summary · Farm &lt;b&gt;</title>", page)
        self.assertIn('class="brand" href="/">Farm &lt;b&gt;</a>', page)
        self.assertIn(" · MinerPanel</title>", self.client.get(f"/rigs/{self.rig.pk}/").content.decode())

    def late_pages(self):
        when = int(time.time())
        dev = dict(LATE, **{"Last Share Time": when - 60})
        self.rig.snapshot.delete() if hasattr(self.rig, "snapshot") else None
        self.snapshot(sections={"DEVS": [dev, dict(dev, ASC=1, ID=1)]},
                      statuses={"devs": {"STATUS": "S", "When": when}})
        self.client.force_login(self.bob)
        return self.client.get("/overview/").content.decode(), self.client.get(f"/rigs/{self.rig.pk}/").content.decode()

    def test_check_last_share_off_on_the_summary_page_and_in_health(self):
        from rigs.readings.brief import health_limits, make_brief

        with override_settings(CHECK_LAST_SHARE=False):
            self.late_pages()
            snap = self.rig.snapshot
            snap.brief = make_brief(snap.sections, snap.statuses, limits=health_limits())  # as the poller would
            snap.save()
            page = self.client.get("/?all=1").content.decode()
        self.assertNotIn("late", page.split("<main>")[1])
        self.assertNotIn("lst-", page)

    def test_check_last_share_off(self):
        with override_settings(CHECK_LAST_SHARE=False):
            page, rig_page = self.late_pages()
        self.assertNotIn("late)", page)
        self.assertNotIn("lst-", page)
        self.assertNotIn("lst-", rig_page)

    def test_check_last_share_on(self):
        page, rig_page = self.late_pages()
        self.assertIn("(very late)", page)
        self.assertIn("lst-err", rig_page)

    def test_notify_off_is_not_asked(self):
        self.assertIn("notify", cgminer.poll_commands())
        with override_settings(NOTIFY=False):
            self.assertNotIn("notify", cgminer.poll_commands())
            self.assertIn("devs", cgminer.poll_commands())

    def test_pool_inputs_off_hides_the_add_pool_and_priority_forms(self):
        self.snapshot(sections={"POOLS": [{"POOL": 0, "URL": "stratum+tcp://a:1", "Status": "Alive"}],
                                "DEVS": [dict(LATE)]})
        self.client.force_login(self.alice)
        self.assertContains(self.client.get(f"/rigs/{self.rig.pk}/"), 'value="addpool"')
        with override_settings(POOL_INPUTS=False):
            page = self.client.get(f"/rigs/{self.rig.pk}/").content.decode()
        self.assertNotIn('value="addpool"', page)
        self.assertNotIn('value="poolpriority"', page)
        self.assertIn('value="switchpool"', page)  # the per-pool buttons stay

    def test_date_format_of_cells(self):
        epoch = datetime.datetime(2026, 12, 2, 3, 4, 5, tzinfo=datetime.UTC).timestamp()
        self.assertEqual(clock(epoch, datetime.UTC, with_date=True), "03:04:05 02-Dec")
        with override_settings(DATETIME_FORMAT_CELLS="H:i:s j-M-Y"):
            self.assertEqual(clock(epoch, datetime.UTC, with_date=True), "03:04:05 2-Dec-2026")
            self.assertEqual(clock(epoch, datetime.UTC), "03:04:05")  # times without a date stay

    def test_rig_totals(self):
        one = [{"POOL": 0, "Accepted": 5}]
        two = one + [{"POOL": 1, "Accepted": 7}]
        self.assertEqual(tables.section_table("POOLS", two, 0, None).totals.cells[1][0], "12")
        self.assertIsNone(tables.section_table("POOLS", one, 0, None).totals)
        with override_settings(FORCE_RIG_TOTALS=True):
            self.assertEqual(tables.section_table("POOLS", one, 0, None).totals.cells[1][0], "5")
        with override_settings(RIG_TOTALS=False, FORCE_RIG_TOTALS=True):
            self.assertIsNone(tables.section_table("POOLS", two, 0, None).totals)


class ScheduledDiscoveryTests(BaseTestCase):
    def tearDown(self):
        cache.delete(register.LAST_KEY)
        super().tearDown()

    @override_settings(DISCOVERY="mcast", MCAST_EXPECT=3)
    def test_a_round_registers_new_rigs_and_warns_below_mcastexpect(self):
        answers = [search.Found("127.0.0.1", 4030, "sim00", "CGMiner 4.11.1, API 3.7"),
                   search.Found("10.0.0.5", 4028, "rig-a", "CGMiner 4.11.1, API 3.7")]

        register.record_round(answers, 3)  # what scheduled_round() does with search.mcast()'s answers
        self.assertTrue(Rig.objects.get(name="sim00").discovered)
        self.assertEqual(Rig.objects.filter(host="10.0.0.5").count(), 1)
        self.assertEqual(register.last_round()["warning"], "Found 2 rigs but expected at least 3")
        self.client.force_login(self.alice)
        self.assertContains(self.client.get("/?all=1"), "Multicast discovery: Found 2 rigs but expected at least 3.")
        self.client.force_login(self.bob)
        self.assertNotContains(self.client.get("/?all=1"), "Multicast discovery")
