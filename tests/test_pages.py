import time

from django.test import override_settings

from rigs.models import AuditEntry, Rig, Snapshot
from rigs.readings.brief import make_brief
from rigs.web import ready

from .base import BaseTestCase

SUMMARY = "/?all=1"  # with one rig, / opens its page (as miner.php); ?all=1 shows the summary anyway

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def summary(mhs=1000.0, **extra):
    rec = {"Elapsed": 3725, "MHS av": mhs, "MHS 5s": mhs, "Accepted": 100, "Rejected": 5, "Hardware Errors": 1,
           "Utility": 10.0, "Work Utility": 12.0, "Best Share": 1000, "Found Blocks": 0,
           "Difficulty Accepted": 100.0, "Difficulty Rejected": 5.0, "Difficulty Stale": 0.0,
           "Pool Rejected%": 4.7619, "Pool Stale%": 0.0}
    rec.update(extra)
    return rec


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
        r = self.client.get("/overview/")
        # (5 + 95) / (100 + 5 + 300 + 95) = 20 %, not 4.76 + 24.05
        self.assertContains(r, "rejected difficulty / all difficulty\">20.00%</td>")
        self.assertContains(r, "3.00 GH/s")  # 1000 + 2000 MH/s
        self.assertContains(r, "Σ 2 rigs")

    def test_rates_in_the_unit_that_suits_them(self):
        self.snapshot(sections={"SUMMARY": [{"GHS av": 13500.0, "GHS 5s": "13400.50"}]})
        r = self.client.get("/overview/")
        self.assertContains(r, "13.50 TH/s")
        self.assertContains(r, "13.40 TH/s")

    def test_late_share_marks_the_whole_row(self):
        when = int(time.time())
        dev = {"ASC": 0, "Name": "BTB", "ID": 0, "Enabled": "Y", "Status": "Alive", "MHS av": 1000.0,
               "Last Share Difficulty": 1.0, "Last Share Time": when - 60}  # expected every 4.3 s
        ok = dict(dev, ASC=1, ID=1, **{"Last Share Time": when - 2})
        self.snapshot(sections={"DEVS": [dev, ok]}, statuses={"devs": {"STATUS": "S", "When": when}})
        r = self.client.get("/overview/").content.decode()
        self.assertIn('class="lst-err"', r)
        self.assertIn("(very late)", r)
        self.assertEqual(r.count("lst-err"), 1)
        r = self.client.get(SUMMARY).content.decode()  # the Summary page: its 'Late Share' field
        self.assertEqual(r.count('<tr class="lst-err">'), 1)
        self.assertIn("<td>⚠ very late</td>", r)

    def test_unreachable_rig_is_dimmed_with_reason_and_old_numbers(self):
        self.snapshot(sections={"SUMMARY": [summary(mhs=1234.0)]}, error="no reply within 5 s")
        r = self.client.get(SUMMARY)
        self.assertContains(r, '<td class="h-err" data-label="State">✖ problem</td>')
        self.assertContains(r, '<td class="reasons" data-label="Reasons">unreachable: no reply within 5 s</td>')
        self.assertContains(r, 'class="dim"')
        self.assertContains(r, "1.23 GH/s")

    def test_active_pool_is_marked(self):
        pools = [{"POOL": 0, "URL": "a", "Status": "Dead", "Priority": 0},
                 {"POOL": 1, "URL": "b", "Status": "Alive", "Priority": 1},
                 {"POOL": 2, "URL": "c", "Status": "Alive", "Priority": 2, "Stratum Active": True}]
        self.snapshot(sections={"POOLS": pools})
        r = self.client.get(SUMMARY).content.decode()
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
        for url in (SUMMARY, f"/rigs/{self.rig.pk}/"):
            r = self.client.get(url).content.decode()
            self.assertNotIn("<script>alert", r)
            self.assertNotIn("<img src=x", r)
            self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", r)

    def test_wrong_types_never_crash(self):
        self.snapshot(sections={"SUMMARY": [{"MHS av": "abc", "Elapsed": [1], "Accepted": {"x": 1}}],
                                "DEVS": [{"ASC": 0, "Temperature": "hot", "MHS av": None, "Last Share Time": "x"},
                                         "junk"],
                                "POOLS": ["junk", {"POOL": "x", "Priority": "high", "Status": None}]})
        self.assertEqual(self.client.get(SUMMARY).status_code, 200)
        self.assertEqual(self.client.get(f"/rigs/{self.rig.pk}/").status_code, 200)

    def test_htmx_gets_the_fragment(self):
        r = self.client.get(SUMMARY, HTTP_HX_REQUEST="true")
        self.assertContains(r, 'id="live"')
        self.assertNotContains(r, "<html")

    def test_constant_number_of_queries(self):
        for i in range(3):
            self.snapshot(rig=Rig.objects.create(name=f"x{i}", host=f"10.1.0.{i}"), sections={"SUMMARY": [summary()]})
        self.client.get("/overview/")
        ready.write(Rig.objects.values_list("id", flat=True))  # a poller's batch: the Summary page's tables built
        # session, user, rigs turned stale or added unseen (one query), the four tables' heads, groups, the
        # rig bar, alerts firing, custom page links, the filter bar's sites, racks and tags (one query):
        # whatever the farm's size. The tables were drawn by the view before (rigs/web/drawn.py): no row read
        with self.assertNumQueries(9):
            self.client.get("/overview/")
        # and the Summary page, never drawn: the page, its sections, the page's tables and the Rigs table
        # (one query), marked viewed, a page of each of its four tables, and the same as above
        with self.assertNumQueries(15):
            self.client.get(SUMMARY)
        with self.assertNumQueries(10):  # drawn, marked viewed just now
            self.client.get(SUMMARY)
        for i in range(30):
            self.snapshot(rig=Rig.objects.create(name=f"y{i}", host=f"10.2.0.{i}"), sections={"SUMMARY": [summary()]})
        self.client.get("/overview/")  # the rigs saved one by one are written by the next read, in one go
        with self.assertNumQueries(14):  # its tables were written again since: a page of each read, drawn
            self.client.get(SUMMARY)
        with self.assertNumQueries(9):  # then no more queries with more rigs
            self.client.get("/overview/")
        with self.assertNumQueries(10):
            self.client.get(SUMMARY)

    def test_refresh_choice(self):
        r = self.client.post("/refresh/", {"refresh": "30", "next": "/"})
        self.assertRedirects(r, "/", fetch_redirect_response=False)
        self.assertContains(self.client.get(SUMMARY), 'data-refresh="30"')
        self.assertEqual(self.client.post("/refresh/", {"refresh": "7"}).status_code, 400)
        self.assertEqual(self.client.get("/refresh/").status_code, 405)
        self.client.post("/refresh/", {"refresh": "0"})
        self.assertNotContains(self.client.get(SUMMARY), "ws-connect")

    @override_settings(REFRESH_CHANGEABLE=False, REFRESH_DEFAULT=30)
    def test_site_may_fix_the_refresh(self):
        r = self.client.get(SUMMARY)
        self.assertContains(r, 'data-refresh="30"')
        self.assertNotContains(r, 'name="refresh"')
        self.assertEqual(self.client.post("/refresh/", {"refresh": "5"}).status_code, 400)

    def test_readonly_rig_is_marked(self):
        self.rig.readonly = True
        self.rig.save()
        self.snapshot()
        self.assertContains(self.client.get(SUMMARY), '<td class="reasons" data-label="Reasons">read-only</td>',
                            html=False)

    @override_settings(READONLY=True)
    def test_global_readonly_is_shown(self):
        self.assertContains(self.client.get(SUMMARY), "Read-only mode")


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
        self.assertIn('<td class="err">1</td>', notify_html)  # a counter that is not 0
        self.assertIn('<td>2</td></tr></tfoot>', notify_html)  # summed; a total is not an error (miner.php)
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
        page = self.client.get("/overview/").content.decode()
        assert "5.00 TH/s" in page  # the pool's own row
        assert "Σ 1 rig<" in page and "Σ 2 devices" in page
        assert "1 pool not added" in page
        totals = page.split('<tfoot><tr class="tot">')[1:]
        assert all("5.00 TH/s" not in t.split("</tfoot>")[0] for t in totals)
        assert all("100.00 MH/s" in t.split("</tfoot>")[0] for t in totals[:1])
        page = self.client.get(SUMMARY).content.decode()  # the Summary page's Σ rows leave the pool out too
        totals = page.split('<tfoot><tr class="tot">')[1:]
        assert "5.00 TH/s" in page and len(totals) == 2
        assert all("5.00 TH/s" not in t.split("</tfoot>")[0] for t in totals)
        assert all("100.00 MH/s" in t.split("</tfoot>")[0] for t in totals)


    def test_a_pools_figures_are_not_added_to_its_miners_on_the_mobile_page(self):
        """Issue 27: the Mobile page's Σ of DiffA added ckpool's difficulty to its miners'."""
        self.snapshot(sections={"SUMMARY": [{"MHS av": 100.0, "Difficulty Accepted": 1234.0, "Found Blocks": 1}],
                                "POOLS": [{"POOL": 0, "URL": "stratum+tcp://pool:3333", "Status": "Alive",
                                           "Difficulty Accepted": 1234.0, "Priority": 0}]})
        pool = Rig.objects.create(name="pool", kind="ckpool", host="localhost", path="/tmp/ck", logdir="/tmp/ck/logs")
        self.snapshot(rig=pool, sections={"SUMMARY": [{"MHS av": 5e6, "Difficulty Accepted": 987654321.0,
                                                        "Found Blocks": 7}],
                                          "POOLS": [{"POOL": 0, "URL": "ckpool", "Status": "Alive",
                                                     "Difficulty Accepted": 987654321.0, "Priority": 0}]})
        self.client.force_login(self.bob)
        page = self.client.get("/pages/mobile/").content.decode()
        assert "987,654,321" in page  # the pool's own rows
        totals = [t.split("</tfoot>")[0] for t in page.split('<tfoot><tr class="tot">')[1:]]
        assert len(totals) == 2  # SUMMARY and POOL
        assert all("987,654,321" not in t and "988,8" not in t and "1,234" in t for t in totals), totals


class HealthOnPagesTest(BaseTestCase):
    """Every rig that has a problem says so and why: Rigs table, rig page, rig bar, header."""

    def setUp(self):
        super().setUp()
        self.sick = Rig.objects.create(name="sick", host="10.0.0.6", port=4028)
        self.snapshot(sections={"SUMMARY": [summary()], "DEVS": [{"GPU": 0, "Enabled": "Y", "Status": "Alive"}]})
        self.snapshot(rig=self.sick, sections={"SUMMARY": [summary()],
                                               "DEVS": [{"GPU": 1, "Enabled": "Y", "Status": "Sick"}],
                                               "POOLS": [{"POOL": 0, "URL": "a", "Status": "Dead", "Priority": 0}]})
        self.client.force_login(self.bob)

    def test_the_rigs_table_the_header_and_the_rig_bar(self):
        page = self.client.get("/overview/").content.decode()
        assert '<td class="h-err" data-label="State">✖ problem</td>' in page
        assert '<td class="reasons" data-label="Reasons">GPU 1 Sick · no alive pool · pool 0 Dead</td>' in page
        assert '<td class="h-ok" data-label="State">ok</td>' in page
        assert '1 rig needs attention</a>' in page
        assert f'href="/rigs/{self.sick.pk}/" class="h-err">✖ sick</a>' in page

    def test_problems_only(self):
        page = self.client.get("/overview/?problems=1").content.decode()
        rigs_table = page.split('id="rigs"')[1].split("</section>")[0]
        assert "sick" in rigs_table and "rig-a" not in rigs_table
        assert "<strong>Problems only</strong>" in page and 'ws-connect="/ws/live/summary/?problems=1"' in page
        # the totals still count every current rig
        assert "Σ 2 rigs" in page

    def test_the_rig_page_lists_the_reasons(self):
        page = self.client.get(f"/rigs/{self.sick.pk}/").content.decode()
        assert '<span class="badge h-err">✖ problem</span>' in page
        assert '<li class="warn">GPU 1 Sick</li>' in page and '<li class="err">no alive pool</li>' in page
        assert "1 rig needs attention" in page  # the header on every page

    def test_a_hung_rig_says_it_once(self):
        self.sick.snapshot.delete()
        self.snapshot(rig=self.sick, sections={}, error="no reply within 5 s", last_ok_at=None)
        page = self.client.get(f"/rigs/{self.sick.pk}/").content.decode()
        assert page.count("no reply within 5 s") == 1
        assert "never ago" not in page and "⚠ ⚠" not in page and "no answer yet" in page


class HonestTotalsTest(BaseTestCase):
    def test_totals_per_algorithm_without_stopped_rigs(self):
        from datetime import timedelta

        from django.utils import timezone

        xmr = Rig.objects.create(name="xmr", kind="xmrig", host="10.0.0.7", port=8080)
        down = Rig.objects.create(name="down", host="10.0.0.8", port=4028)
        bm = Rig.objects.create(name="bm", host="10.0.0.9", port=4028)
        self.snapshot(sections={"SUMMARY": [summary(mhs=1e6)]})  # 1 TH/s
        self.snapshot(rig=bm, sections={"SUMMARY": [{"GHS av": 2000.0, "GHS 5s": "2,000.00", "Accepted": 3}]})
        self.snapshot(rig=xmr, sections={"SUMMARY": [{"MHS av": 0.00185, "Algorithm": "rx/0", "Accepted": 7}]})
        old = timezone.now() - timedelta(hours=1)
        self.snapshot(rig=down, sections={"SUMMARY": [summary(mhs=170e6)]}, error="connection refused",
                      last_ok_at=old)
        snap = Snapshot.objects.get(rig=xmr)
        snap.brief = make_brief(snap.sections, {}, "xmrig")  # as the poller stores an xmrig's
        snap.save()
        self.client.force_login(self.bob)
        page = self.client.get("/overview/").content.decode()
        foot = page.split('id="summary"')[1].split("</tfoot>")[0].split("<tfoot>")[1]
        assert "Σ 2 rigs · SHA-256d" in foot and "3.00 TH/s" in foot  # the cgminer and the bmminer rig
        assert "Σ 1 rig · RandomX" in foot and "1.85 kH/s" in foot
        assert "170" not in foot
        assert "1 rig not counted (unreachable or stale; last known 170.00 TH/s SHA-256d)" in page


class ErrorPagesTest(BaseTestCase):
    def test_403_and_404_in_the_panels_layout_and_a_refusal_is_one_log_line(self):
        import logging

        from minerpanel.logs import RefusalsWithoutTraceback

        self.client.force_login(self.bob)
        r = self.client.get("/rigs/999999/")
        assert r.status_code == 404 and b'class="brand"' in r.content and b"/rigs/999999/" in r.content
        r = self.client.get("/audit/")
        assert r.status_code == 403 and b'class="brand"' in r.content and b"sys users" in r.content
        try:
            raise PermissionError("x")
        except PermissionError:
            import sys

            record = logging.LogRecord("django.request", logging.WARNING, "", 0, "Forbidden", (), sys.exc_info())
        record.status_code = 403
        assert RefusalsWithoutTraceback().filter(record) and record.exc_info is None
        record.status_code, record.exc_info = 500, (PermissionError, PermissionError("x"), None)
        assert RefusalsWithoutTraceback().filter(record) and record.exc_info is not None

    def test_the_500_page_renders_without_a_request(self):
        from django.template.loader import render_to_string

        html = render_to_string("500.html")
        assert "Something went wrong" in html and 'class="brand"' in html


class RefusedCommandFormTest(BaseTestCase):
    def test_a_refused_form_comes_back_with_its_values_and_the_error_beside_it(self):
        self.snapshot(sections={"POOLS": [{"POOL": 0, "URL": "stratum+tcp://a:3333", "Status": "Alive",
                                           "Priority": 0}]})
        self.client.force_login(self.alice)
        r = self.client.post(f"/rigs/{self.rig.pk}/command/", {"command": "addpool", "url": "not a url <b>",
                                                                 "user": "worker.7", "password": "secret-pw"})
        assert r.status_code == 400
        body = r.content.decode()
        form = body[body.index('id="cmd-addpool"'):].split("</details>")[0]
        assert form.startswith('id="cmd-addpool" open') and "✖ Not sent:" in form
        assert 'value="worker.7"' in form and 'value="not a url &lt;b&gt;"' in form
        assert "secret-pw" not in body  # a password is typed again, never sent back
        assert AuditEntry.objects.filter(command="addpool", outcome="invalid").count() == 1

    def test_a_dangerous_command_without_confirmation_says_so_beside_its_form(self):
        self.snapshot(sections={"POOLS": []})
        self.client.force_login(self.alice)
        r = self.client.post(f"/rigs/{self.rig.pk}/command/", {"command": "restart"})
        assert r.status_code == 400
        form = r.content.decode().split('id="cmd-restart"')[1].split("</details>")[0]
        assert "tick &#x27;I am sure&#x27;" in form


class RigFiguresLineTest(BaseTestCase):
    def test_the_rig_page_says_its_normalised_figures(self):
        self.snapshot(sections={"SUMMARY": [{"GHS av": 13500.0, "GHS 5s": "14,000.50", "Accepted": 3937,
                                             "Rejected": 100}],
                                "STATS": [{"temp1": 61, "temp2_2": 67}]})
        self.client.force_login(self.bob)
        page = self.client.get(f"/rigs/{self.rig.pk}/").content.decode()
        assert ('<p class="figures">13.50 TH/s average · 14.00 TH/s now · SHA-256d · hottest 67°C · '
                '3,937 accepted · 100 rejected</p>') in page
