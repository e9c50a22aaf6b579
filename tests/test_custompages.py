import json
import tempfile

from django.core.management import call_command
from django.core.management.base import CommandError

from custompages.models import CustomPage, PageSection
from minerpanel.devkit.bench import snapshot_of
from rigs.models import Rig
from rigs.simulators.cgminer import HTML_PAYLOAD, SimRig

from .base import BaseTestCase


class CustomPageTestCase(BaseTestCase):
    def setUp(self):
        super().setUp()
        for i, flavour in enumerate(["cgminer", "bfgminer", "sgminer"]):
            rig = self.rig if i == 0 else Rig.objects.create(name=f"rig-{i}", host=f"10.0.0.{10 + i}")
            sections, statuses = snapshot_of(SimRig(index=i, flavour=flavour, devices=2, pools=2))
            self.snapshot(rig=rig, sections=sections, statuses=statuses)

    def test_builtin_pages_render_for_simulated_rigs(self):
        self.client.force_login(self.bob)
        r = self.client.get("/pages/mobile/")
        self.assertContains(r, "Date:")
        self.assertContains(r, 'id="custom-3"')  # DEVS+NOTIFY
        self.assertContains(r, "Not Well")
        r = self.client.get("/pages/manual-pools/")
        self.assertContains(r, "Pools over all rigs")
        body = r.content.decode()
        table = body[body.index("Pools over all rigs"):]
        self.assertIn("AvShr", table)
        # the manual's formula reads POOL.Accepted, which grouping removed: blank cell with the reason
        self.assertIn("field &#x27;POOL.Accepted&#x27; is missing", table)
        # miner.php's own Pools page sums POOL.Accepted, so its AvShr has figures
        body = self.client.get("/pages/pools/").content.decode()
        self.assertNotIn("is missing", body)
        self.assertRegex(body[body.index('id="custom-3"'):],
                         r"<td(?: class=\"n\")?>[\d,]+\.\d\d</td>")  # n: hidden at narrow widths

    def test_def_visitors_see_only_public_pages_and_land_on_the_first(self):
        r = self.client.get("/pages/mobile/")
        self.assertRedirects(r, "/login/?next=/pages/mobile/")
        self.assertRedirects(self.client.get("/"), "/login/?next=/")
        CustomPage.objects.filter(slug="pools").update(public=True)
        self.assertRedirects(self.client.get("/"), "/pages/pools/")
        r = self.client.get("/pages/pools/")
        self.assertContains(r, "AvShr")
        self.assertNotContains(r, 'href="/pages/mobile/"')  # links only to public pages
        self.assertNotContains(r, "10.0.0.5")

    def test_page_with_join_group_calc_gen(self):
        page = CustomPage.objects.create(name="Mine", slug="mine")
        PageSection.objects.create(page=page, section="SUMMARY+POOL", fields="POOL.URL=Pool\nPOOL.Accepted\nGEN.Per",
                                   group="POOL.URL", calc="POOL.Accepted=sum\nSUMMARY.Elapsed=max",
                                   gen="Per=POOL.Accepted/max(SUMMARY.Elapsed,1)", totals="POOL.Accepted")
        self.client.force_login(self.bob)
        r = self.client.get("/pages/mine/")
        self.assertContains(r, "<th scope=\"col\">Pool</th>", html=False)
        self.assertContains(r, 'class="tot"')
        body = r.content.decode()
        per = body[body.index("<tbody>", body.index('id="custom-0"')):]
        cell = per.split("</tr>")[0].split("<td>")[-1].split("</td>")[0]
        # a GEN value without a format of its own prints as PHP prints a float: 14 significant digits
        self.assertRegex(cell, r"^\d+(\.\d+)?$")
        self.assertLessEqual(len(cell.replace(".", "").lstrip("0")), 14)

    def test_hostile_values_are_escaped(self):
        rig = Rig.objects.create(name="evil", host="10.9.9.9")
        sections, statuses = snapshot_of(SimRig(fault="html", pools=1, devices=1))
        self.snapshot(rig=rig, sections=sections, statuses=statuses)
        self.client.force_login(self.bob)
        body = self.client.get("/pages/mobile/").content.decode()
        self.assertNotIn(HTML_PAYLOAD, body)
        self.assertIn("&lt;script&gt;", body)


class PageAdminTestCase(BaseTestCase):
    def post(self, **section):
        data = {"name": "New", "slug": "new", "order": "0",
                "sections-TOTAL_FORMS": "1", "sections-INITIAL_FORMS": "0",
                "sections-MIN_NUM_FORMS": "0", "sections-MAX_NUM_FORMS": "1000",
                "sections-0-order": "0", "sections-0-section": "POOL"}
        data.update({f"sections-0-{k}": v for k, v in section.items()})
        self.client.force_login(self.root)
        return self.client.post("/admin/custompages/custompage/add/", data)

    def test_a_good_page_saves(self):
        r = self.post(section="SUMMARY+POOL", gen="Rate=POOL.Difficulty Accepted/max(POOL.Accepted,1)")
        self.assertEqual(r.status_code, 302)
        self.assertEqual(CustomPage.objects.get(slug="new").sections.count(), 1)

    def test_errors_name_the_field_and_nothing_is_saved(self):
        cases = [
            ({"section": "NOPE"}, "Select a valid choice"),  # a select lists the sections and joins
            ({"section": "POOL+NOTIFY"}, "Select a valid choice"),
            ({"where": "POOL.Stauts eq Alive"}, "did you mean &#x27;Status&#x27;?"),
            ({"fields": "URL\nPOOL.Acepted"},
             "no rig sends a field &#x27;Acepted&#x27;: did you mean &#x27;Accepted&#x27;?"),
            ({"where": "POOL.URL like x"}, "is not &#x27;FIELD RESTRICTION VALUE&#x27;"),
            ({"calc": "Accepted=median"}, "unknown function &#x27;median&#x27;"),
            ({"gen": "Rate=POOL.Difficulty Accepted +* 2"}, "unexpected &#x27;*&#x27; at position 27"),
            ({"fields": "URL="}, "empty new name"),
            ({"formats": "Accepted=php"}, "unknown format &#x27;php&#x27; for &#x27;Accepted&#x27;"),
            ({"formats": "Accepted"}, "is not &#x27;NAME=format&#x27;"),
        ]
        for section, message in cases:
            r = self.post(**section)
            self.assertEqual(r.status_code, 200, section)
            self.assertContains(r, message)
            self.assertFalse(CustomPage.objects.filter(slug="new").exists())

    def test_every_error_of_a_save_is_shown_at_once(self):
        r = self.post(calc="Accepted=median", gen="Rate=POOL.Accepted +* 2", where="POOL.URL like x",
                      fields="URL\nPOOL.Acepted", formats="Accepted=php")
        self.assertEqual(r.status_code, 200)
        for message in ("unknown function &#x27;median&#x27;", "unexpected &#x27;*&#x27;",
                        "is not &#x27;FIELD RESTRICTION VALUE&#x27;", "did you mean &#x27;Accepted&#x27;?",
                        "unknown format &#x27;php&#x27;"):
            self.assertContains(r, message)
        errors = r.context["inline_admin_formsets"][0].formset.forms[0].errors
        self.assertEqual(set(errors), {"calc", "gen", "where", "fields", "formats"})
        self.assertFalse(CustomPage.objects.filter(slug="new").exists())

    def test_two_formulas_wrong_in_one_box_are_both_named(self):
        r = self.post(gen="A=POOL.Accepted +* 2\nB=max(, 1)")
        errors = r.context["inline_admin_formsets"][0].formset.forms[0].errors["gen"]
        self.assertEqual(len(errors), 2, errors)
        self.assertIn("gen 'A'", errors[0])
        self.assertIn("gen 'B'", errors[1])

    def test_the_readmes_example_works_and_the_page_has_a_preview_and_view_on_site(self):
        Rig.objects.filter(pk=self.rig.pk).update(name="rig-a")
        self.snapshot(sections={"POOLS": [{"POOL": 0, "URL": "stratum+tcp://alive:3333", "Status": "Alive"},
                                          {"POOL": 1, "URL": "stratum+tcp://dead:3333", "Status": "Dead"}]})
        r = self.post(fields="POOL.URL=Pool\nPOOL.Status", where="POOL.Status eq Alive")
        self.assertEqual(r.status_code, 302)
        page = CustomPage.objects.get(slug="new")
        body = self.client.get("/pages/new/").content.decode()
        assert "stratum+tcp://alive:3333" in body and "stratum+tcp://dead:3333" not in body
        change = self.client.get(f"/admin/custompages/custompage/{page.pk}/change/").content.decode()
        assert "stratum+tcp://alive:3333" in change  # the preview
        assert 'href="/admin/r/' in change  # View on site
        assert '<select name="sections-0-section"' in change

    def test_export_action(self):
        self.client.force_login(self.root)
        pools = CustomPage.objects.get(slug="pools")
        r = self.client.post("/admin/custompages/custompage/",
                             {"action": "export_json", "_selected_action": [pools.pk]})
        data = json.loads(r.content)
        self.assertEqual(data[0]["slug"], "pools")
        self.assertEqual(data[0]["sections"][3]["section"], "POOL+STATS")


class ImportExportTestCase(BaseTestCase):
    def test_round_trip(self, capsys=None):
        from io import StringIO

        out = StringIO()
        call_command("exportpages", "mobile", stdout=out)
        data = json.loads(out.getvalue())
        data[0].update(slug="mobile-copy", name="Mobile copy")
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump(data, fh)
        call_command("importpages", fh.name, stdout=StringIO())
        copy = CustomPage.objects.get(slug="mobile-copy")
        self.assertEqual([s.section for s in copy.sections.all()], ["DATE", "RIGS", "SUMMARY", "DEVS+NOTIFY", "POOL"])

    def test_a_bad_import_changes_nothing(self):
        bad = [{"name": "A", "slug": "a", "sections": [{"section": "SUMMARY"}]},
               {"name": "B", "slug": "b", "sections": [{"section": "POOL", "calc": "URL=median"}]}]
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump(bad, fh)
        with self.assertRaisesMessage(CommandError, "unknown function 'median'"):
            call_command("importpages", fh.name)
        self.assertFalse(CustomPage.objects.filter(slug__in=["a", "b"]).exists())


class NormalisedFiguresOnPagesTest(BaseTestCase):
    """bmminer, xmrig and cgminer rigs in one column; totals that add up; raw values in the API."""

    def setUp(self):
        super().setUp()
        from rigs.drivers import xmrig
        from rigs.models import Snapshot
        from rigs.readings.brief import make_brief
        from rigs.simulators.xmrig import XmrigSim

        sections, statuses = snapshot_of(SimRig(flavour="cgminer", devices=2, pools=2))
        self.snapshot(sections=sections, statuses=statuses)
        self.bm = Rig.objects.create(name="bm", host="10.0.0.20")
        sections, statuses = snapshot_of(SimRig(index=1, flavour="bmminer", devices=2, pools=2))
        self.snapshot(rig=self.bm, sections=sections, statuses=statuses)
        self.bm_hs = self.bm.snapshot.brief["figures"]["hashrate_hs"]
        xmr = Rig.objects.create(name="xmr", host="10.0.0.21", kind="xmrig")
        sim = XmrigSim()
        sections = xmrig.to_sections(sim.summary(), sim.backends())
        Snapshot.objects.create(rig=xmr, sections=sections, statuses={}, brief=make_brief(sections, {}, "xmrig"),
                                polled_at=self.bm.snapshot.polled_at, last_ok_at=self.bm.snapshot.last_ok_at)
        self.page = CustomPage.objects.create(name="Rates", slug="rates")
        PageSection.objects.create(page=self.page, section="SUMMARY",
                                   fields="Hashrate av\nMHS av\nHash Algorithm\nState", totals="Hashrate av\nMHS av")
        self.client.force_login(self.bob)

    def test_every_rig_in_one_column_and_no_sum_across_algorithms(self):
        body = self.client.get("/pages/rates/").content.decode()
        table = body[body.index('id="custom-0"'):]
        assert "SHA-256d" in table and "RandomX" in table
        assert table.count("TH/s") >= 2  # the bmminer rig has a rate (from GHS av)
        foot = table.split("<tfoot>")[1].split("</tfoot>")[0]
        assert "TH/s" not in foot and "several algorithms" in foot

    def test_raw_values_in_the_api(self):
        from minerpanel.models import ApiToken

        _, text = ApiToken.issue(self.bob, "script")
        data = self.client.get("/api/pages/rates/?raw=1", HTTP_AUTHORIZATION=f"Bearer {text}").json()
        rows = {r["Rig"]: r for r in data["tables"][0]["rows"]}
        assert rows["bm"]["Hashrate av"] == self.bm_hs and rows["bm"]["MHS av"] == self.bm_hs / 1e6
        assert rows["xmr"]["Hash Algorithm"] == "RandomX" and rows["rig-a"]["State"] == "ok"
        formatted = self.client.get("/api/pages/rates/", HTTP_AUTHORIZATION=f"Bearer {text}").json()
        assert formatted["tables"][0]["rows"][1]["Hashrate av"].endswith("TH/s")

    def test_the_api_gives_health_and_figures(self):
        from minerpanel.models import ApiToken

        _, text = ApiToken.issue(self.bob, "script")
        rigs = {r["name"]: r for r in self.client.get("/api/rigs/", HTTP_AUTHORIZATION=f"Bearer {text}").json()["rigs"]}
        assert rigs["bm"]["figures"]["hashrate_hs"] == self.bm_hs and rigs["bm"]["health"] == "ok"
        assert rigs["xmr"]["figures"]["algorithm"] == "RandomX"
        assert rigs["xmr"]["reasons"] == []
