import time

from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import override_settings

from minerpanel.models import FailedLogin
from minerpanel.tiers import tier
from rigs.models import Rig

from .base import BaseTestCase

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def summary(mhs=1000.0, **extra):
    rec = {"Elapsed": 3725, "MHS av": mhs, "MHS 5s": mhs, "Accepted": 100, "Rejected": 5, "Hardware Errors": 1,
           "Utility": 10.0, "Work Utility": 12.0, "Best Share": 1000, "Found Blocks": 0,
           "Difficulty Accepted": 100.0, "Difficulty Rejected": 5.0, "Difficulty Stale": 0.0,
           "Pool Rejected%": 4.7619, "Pool Stale%": 0.0}
    rec.update(extra)
    return rec


class TiersTestCase(BaseTestCase):
    def test_tiers(self):
        from django.contrib.auth.models import AnonymousUser

        self.assertEqual(tier(self.alice), "sys")
        self.assertEqual(tier(self.root), "sys")
        self.assertEqual(tier(self.bob), "usr")
        self.assertEqual(tier(AnonymousUser()), "def")

    def test_anonymous_gets_the_login_page(self):
        for url in ("/", f"/rigs/{self.rig.pk}/"):
            r = self.client.get(url)
            self.assertRedirects(r, f"/login/?next={url}")

    def test_usr_sees_pages_without_addresses(self):
        self.snapshot(sections={"SUMMARY": [summary()]})
        self.client.force_login(self.bob)
        for url in ("/", f"/rigs/{self.rig.pk}/"):
            r = self.client.get(url)
            self.assertContains(r, "rig-a")
            self.assertNotContains(r, "10.0.0.5")

    def test_sys_sees_addresses(self):
        self.client.force_login(self.alice)
        self.assertContains(self.client.get("/"), "10.0.0.5:4028")

    def test_createuser_command(self):
        call_command("createuser", "carol", "--tier", "usr", "--password", "carol-pass-1")
        call_command("createuser", "dave", "--tier", "sys", "--generate")
        self.assertEqual(tier(User.objects.get(username="carol")), "usr")
        dave = User.objects.get(username="dave")
        self.assertEqual(tier(dave), "sys")
        self.assertTrue(dave.has_perm("rigs.change_rig"))
        self.assertTrue(self.client.login(username="carol", password="carol-pass-1"))


class LoginThrottleTestCase(BaseTestCase):
    def test_five_failures_lock_the_name(self):
        for _ in range(5):
            r = self.client.post("/login/", {"username": "bob", "password": "wrong"})
            self.assertEqual(r.status_code, 200)
        self.assertEqual(FailedLogin.objects.filter(username="bob").count(), 5)
        r = self.client.post("/login/", {"username": "bob", "password": "bob-password"})
        self.assertEqual(r.status_code, 429)
        self.assertContains(r, "Too many failed logins", status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_a_good_login_works(self):
        r = self.client.post("/login/", {"username": "bob", "password": "bob-password"})
        self.assertRedirects(r, "/")


class SummaryPageTestCase(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.client.force_login(self.bob)

    def test_totals_recompute_percentages(self):
        b = Rig.objects.create(name="rig-b", host="10.0.0.6")
        self.snapshot(sections={"SUMMARY": [summary(mhs=1000.0)]})
        self.snapshot(rig=b, sections={"SUMMARY": [summary(mhs=2000.0, **{"Difficulty Accepted": 300.0,
                                                                              "Difficulty Rejected": 95.0,
                                                                              "Pool Rejected%": 24.05})]})
        r = self.client.get("/")
        # (5 + 95) / (100 + 5 + 300 + 95) = 20 %, not 4.76 + 24.05
        self.assertContains(r, "rejected difficulty / all difficulty\">20.00%</td>")
        self.assertContains(r, "3.00 GH/s")  # 1000 + 2000 MH/s
        self.assertContains(r, "Σ 2 rigs")

    def test_rates_in_the_unit_that_suits_them(self):
        self.snapshot(sections={"SUMMARY": [{"GHS av": 13500.0, "GHS 5s": "13400.50"}]})
        r = self.client.get("/")
        self.assertContains(r, "13.50 TH/s")
        self.assertContains(r, "13.40 TH/s")

    def test_late_share_marks_the_whole_row(self):
        when = int(time.time())
        dev = {"ASC": 0, "Name": "BTB", "ID": 0, "Enabled": "Y", "Status": "Alive", "MHS av": 1000.0,
               "Last Share Difficulty": 1.0, "Last Share Time": when - 60}  # expected every 4.3 s
        ok = dict(dev, ASC=1, ID=1, **{"Last Share Time": when - 2})
        self.snapshot(sections={"DEVS": [dev, ok]}, statuses={"devs": {"STATUS": "S", "When": when}})
        r = self.client.get("/").content.decode()
        self.assertIn('class="lst-err"', r)
        self.assertIn("(very late)", r)
        self.assertEqual(r.count("lst-err"), 1)

    def test_unreachable_rig_is_dimmed_with_reason_and_old_numbers(self):
        self.snapshot(sections={"SUMMARY": [summary(mhs=1234.0)]}, error="no reply within 5 s")
        r = self.client.get("/")
        self.assertContains(r, "⚠ unreachable: no reply within 5 s")
        self.assertContains(r, 'class="dim"')
        self.assertContains(r, "1.23 GH/s")

    def test_active_pool_is_marked(self):
        pools = [{"POOL": 0, "URL": "a", "Status": "Dead", "Priority": 0},
                 {"POOL": 1, "URL": "b", "Status": "Alive", "Priority": 1},
                 {"POOL": 2, "URL": "c", "Status": "Alive", "Priority": 2, "Stratum Active": True}]
        self.snapshot(sections={"POOLS": pools})
        r = self.client.get("/").content.decode()
        self.assertEqual(r.count("▶ in use"), 1)
        row = r[r.index("▶ in use") - 400: r.index("▶ in use") + 200]
        self.assertIn("<td>b</td>", row)

    def test_everything_from_a_rig_is_escaped(self):
        self.rig.description = HOSTILE
        self.rig.save()
        self.snapshot(sections={
            "POOLS": [{"POOL": 0, "URL": HOSTILE, "User": HOSTILE, "Status": HOSTILE}],
            "DEVS": [{"ASC": 0, "Name": HOSTILE, "ID": 0, "Status": HOSTILE}],
            "VERSION": [{"Miner": HOSTILE + " x", "API": HOSTILE}],
        }, error=HOSTILE)
        for url in ("/", f"/rigs/{self.rig.pk}/"):
            r = self.client.get(url).content.decode()
            self.assertNotIn("<script>alert", r)
            self.assertNotIn("<img src=x", r)
            self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", r)

    def test_wrong_types_never_crash(self):
        self.snapshot(sections={"SUMMARY": [{"MHS av": "abc", "Elapsed": [1], "Accepted": {"x": 1}}],
                                "DEVS": [{"ASC": 0, "Temperature": "hot", "MHS av": None, "Last Share Time": "x"}, "junk"],
                                "POOLS": ["junk", {"POOL": "x", "Priority": "high", "Status": None}]})
        self.assertEqual(self.client.get("/").status_code, 200)
        self.assertEqual(self.client.get(f"/rigs/{self.rig.pk}/").status_code, 200)

    def test_htmx_gets_the_fragment(self):
        r = self.client.get("/", HTTP_HX_REQUEST="true")
        self.assertContains(r, 'id="live"')
        self.assertNotContains(r, "<html")

    def test_constant_number_of_queries(self):
        for i in range(3):
            self.snapshot(rig=Rig.objects.create(name=f"x{i}", host=f"10.1.0.{i}"), sections={"SUMMARY": [summary()]})
        self.client.get("/")
        with self.assertNumQueries(5):  # session, user, groups, data version (tables already built), page links
            self.client.get("/")
        for i in range(30):
            self.snapshot(rig=Rig.objects.create(name=f"y{i}", host=f"10.2.0.{i}"), sections={"SUMMARY": [summary()]})
        with self.assertNumQueries(6):  # the same, and rigs + snapshots since they changed
            self.client.get("/")

    def test_refresh_choice(self):
        r = self.client.post("/refresh/", {"refresh": "30", "next": "/"})
        self.assertRedirects(r, "/")
        self.assertContains(self.client.get("/"), 'data-refresh="30"')
        self.assertEqual(self.client.post("/refresh/", {"refresh": "7"}).status_code, 400)
        self.assertEqual(self.client.get("/refresh/").status_code, 405)
        self.client.post("/refresh/", {"refresh": "0"})
        self.assertNotContains(self.client.get("/"), "ws-connect")

    @override_settings(REFRESH_CHANGEABLE=False, REFRESH_DEFAULT=30)
    def test_site_may_fix_the_refresh(self):
        r = self.client.get("/")
        self.assertContains(r, 'data-refresh="30"')
        self.assertNotContains(r, 'name="refresh"')
        self.assertEqual(self.client.post("/refresh/", {"refresh": "5"}).status_code, 400)

    def test_readonly_rig_is_marked(self):
        self.rig.readonly = True
        self.rig.save()
        self.snapshot()
        self.assertContains(self.client.get("/"), "ok · read-only")

    @override_settings(READONLY=True)
    def test_global_readonly_is_shown(self):
        self.assertContains(self.client.get("/"), "Read-only mode")


class RigPageTestCase(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.client.force_login(self.bob)

    def test_every_section_with_totals(self):
        devs = [{"ASC": i, "Name": "BTB", "ID": i, "MHS av": 1000.0, "Accepted": 10, "Works": 3} for i in range(2)]
        notify = [{"NOTIFY": i, "Name": "BTB", "ID": i, "*Dev Throttle": 1} for i in range(2)]
        self.snapshot(sections={
            "SUMMARY": [summary()], "DEVS": devs, "NOTIFY": notify, "POOLS": [{"POOL": 0, "URL": "u"}],
            "CONFIG": [{"Strategy": "Failover"}], "COIN": [{"Hash Method": "sha256"}],
            "STATS": [{"STATS": 0, "ID": "POOL0"}], "DEVDETAILS": [{"DEVDETAILS": 0, "Driver": "x"}],
            "USBSTATS": [{"USBSTATS": 0, "Name": "BTB"}], "VERSION": [{"CGMiner": "4.11.1", "API": "3.7"}],
        }, statuses={"notify": {"STATUS": "E", "Msg": "No ASCs"}})
        r = self.client.get(f"/rigs/{self.rig.pk}/").content.decode()
        for section in ("section-summary", "section-devs", "section-pools", "section-notify", "section-config",
                        "section-coin", "section-stats", "section-devdetails", "section-usbstats", "section-version"):
            self.assertIn(f'id="{section}"', r)
        devs_html = r[r.index('id="section-devs"'):r.index('id="section-pools"')]
        self.assertIn("<tfoot>", devs_html)
        self.assertIn("2.00 GH/s", devs_html)  # MHS av summed
        notify_html = r[r.index('id="section-notify"'):]
        self.assertIn('<td class="err">2</td>', notify_html)
        self.assertIn("notify: No ASCs", r)

    def test_unknown_rig_is_404(self):
        self.assertEqual(self.client.get("/rigs/999/").status_code, 404)


class PoolTotalsTest(BaseTestCase):
    def test_a_pools_hashrate_is_not_added_to_the_farms(self):
        self.snapshot(sections={"SUMMARY": [{"MHS av": 100.0, "Accepted": 5}],
                                "DEVS": [{"ASC": 0, "Name": "BTB", "ID": 0, "MHS av": 60.0},
                                         {"ASC": 1, "Name": "BTB", "ID": 1, "MHS av": 40.0}]})
        pool = Rig.objects.create(name="pool", kind="ckpool", host="localhost", path="/tmp/ck", logdir="/tmp/ck/logs")
        self.snapshot(rig=pool, sections={"SUMMARY": [{"MHS av": 5e6, "Users": 2}],
                                          "DEVS": [{"Name": "alice.s19", "ID": 0, "MHS av": 5e6}]})
        self.client.force_login(self.bob)
        page = self.client.get("/").content.decode()
        assert "5.00 TH/s" in page  # the pool's own row
        assert "Σ 1 rigs" in page and "Σ 2 devices" in page
        totals = page.split('<tfoot><tr class="tot">')[1:]
        assert all("5.00 TH/s" not in t.split("</tfoot>")[0] for t in totals)
        assert all("100.00 MH/s" in t.split("</tfoot>")[0] for t in totals[:1])
