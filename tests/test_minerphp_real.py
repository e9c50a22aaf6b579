"""Real miner.php configurations (tests/fixtures/real/minerphp/, see its SOURCES.md) import as miner.php reads them."""

import io
import tempfile
from pathlib import Path

from django.core.management import call_command

from custompages.models import CustomPage
from rigs.models import Rig
from tests.base import BaseTestCase

REAL = Path(__file__).parent / "fixtures" / "real" / "minerphp"


def run(path, *args):
    out = io.StringIO()
    call_command("importminerphp", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def run_text(text, *args):
    with tempfile.NamedTemporaryFile("w", suffix=".php") as fh:
        fh.write(text)
        fh.flush()
        return run(fh.name, *args)


class PublishedMyminerTests(BaseTestCase):
    def test_summary_and_kano_references_are_the_built_in_pages(self):
        kano = CustomPage.objects.get(slug="kano")
        before = [s.export() for s in kano.sections.all()]
        out = run(REAL / "oneoftheplebs-solo-usb-mining" / "myminer-summary-kano.php")
        self.assertIn("= page 'Summary': the panel's built-in page of that name, kept as it is (/pages/summary/)", out)
        self.assertIn("= page 'Kano': the panel's built-in page of that name, kept as it is (/pages/kano/)", out)
        self.assertEqual([s.export() for s in kano.sections.all()], before)
        self.assertTrue(Rig.objects.filter(name="R909", host="127.0.0.1", port=4028).exists())
        self.assertIn("READONLY=true", out)

    def test_a_deleted_built_in_page_is_created_again(self):
        CustomPage.objects.filter(slug="kano").delete()
        out = run(REAL / "oneoftheplebs-solo-usb-mining" / "myminer-summary-kano.php")
        self.assertIn("+ page 'Kano': the panel's built-in page of that name, created again at /pages/kano/", out)
        page = CustomPage.objects.get(slug="kano")
        self.assertEqual([s.section for s in page.sections.all()], ["DATE", "RIGS", "SUMMARY+COIN", "POOL"])

    def test_gekko_pages_are_skipped_with_a_warning(self):
        pages = CustomPage.objects.count()
        out = run(REAL / "oneoftheplebs-solo-usb-mining" / "myminer-gekko.php")
        self.assertEqual(CustomPage.objects.count(), pages)
        for name in ("Gekko", "GekkoChips"):
            self.assertIn(f"the page '{name}' is a built-in page of Kano's newer miner.php", out)
        self.assertTrue(Rig.objects.filter(name="R909").exists())

    def test_colours_only(self):
        out = run(REAL / "oneoftheplebs-solo-usb-mining" / "myminer-colours.php")
        self.assertIn("$colouroverride: not needed", out)

    def test_references_by_zero_user_pages_and_nothing(self):
        out = run_text("<?php\n$user_pages = array('Mine' => array(array('SUMMARY' => array('Elapsed', 'MHS av')), "
                       "array('SUMMARY' => array('MHS av'))), "
                       "'Spare' => array(array('POOL' => array('URL')), array()));\n"
                       "$customsummarypages = array('Kano' => 0, 'Mine' => 1, 'Nowhere' => 1, 'Off' => null);\n")
        self.assertIn("= page 'Kano': the panel's built-in page", out)
        self.assertIn("the page 'Mine' => 1: imported from $user_pages['Mine']", out)
        self.assertEqual(CustomPage.objects.get(name="Mine").sections.get().fields, "Elapsed\nMHS av")
        self.assertIn("the page 'Nowhere' names no page of $user_pages or of miner.php's built-in pages: skipped", out)
        self.assertIn("the page 'Off' is null (miner.php shows no such page)", out)
        self.assertIn("$user_pages 'Spare': not listed in $customsummarypages", out)
        self.assertFalse(CustomPage.objects.filter(name__in=["Nowhere", "Off", "Spare"]).exists())

    def test_user_pages_override_a_built_in_name(self):
        run_text("<?php\n$user_pages = array('Mobile' => array(array('POOL' => array('URL', 'Status')), array()));\n"
                 "$customsummarypages = array('Mobile' => 1);\n")
        self.assertEqual([s.fields for s in CustomPage.objects.get(slug="mobile").sections.all()], ["URL\nStatus"])


class MinerPhpVariantTests(BaseTestCase):
    def test_sgminer(self):
        out = run(REAL / "sgminer-dev-sgminer" / "miner.php")
        self.assertEqual(Rig.objects.filter(host="127.0.0.1").count(), 1)
        pools = CustomPage.objects.get(slug="pools").sections.get(section="POOL+STATS")
        self.assertEqual(pools.gen, "AvShr=round(POOL.Difficulty Accepted/max(POOL.Accepted,1)*100)/100")
        self.assertNotIn("nothing was imported", out)

    def test_bfgminer_keeps_procid(self):
        out = run(REAL / "luke-jr-bfgminer" / "miner.php")
        self.assertNotIn("'DEVS.ProcID'", out)  # bfgminer's procs sends it (tests/test_bfgminer_procs.py)
        self.assertIn("$per_proc: not needed (the panel reads bfgminer's `procs`", out)
        mobile = CustomPage.objects.get(slug="mobile").sections.get(section="DEVS+NOTIFY")
        self.assertIn("DEVS.ProcID=Proc", mobile.fields.splitlines())
        self.assertIn("'date_default_timezone_set' statement skipped", out)

    def test_kanos_cgminer_4_11(self):
        kano = [s.export() for s in CustomPage.objects.get(slug="kano").sections.all()]
        out = run(REAL / "wareck-cgminer-gekko" / "miner.php")
        for name in ("Kano", "Mobile", "Stats", "Pools"):
            self.assertIn(f"= page '{name}': the panel's built-in page of that name, kept as it is", out)
        self.assertEqual([s.export() for s in CustomPage.objects.get(slug="kano").sections.all()], kano)
        avalon = CustomPage.objects.get(name="Avalon")
        self.assertEqual([s.section for s in avalon.sections.all()], ["DATE", "COIN", "SUMMARY"])
        self.assertEqual(avalon.sections.get(section="SUMMARY").gen,
                         "THS av=MHS av / 1000000.0\nTHS 5m=MHS 5m / 1000000.0")
        self.assertIn("the section MM (Kano's Avalon table, drawn by its own PHP) has no equivalent: skipped", out)
        s9 = CustomPage.objects.get(name="S9").sections.get(section="STATS")
        self.assertEqual(s9.where, "ID !sub POOL")
        self.assertEqual(s9.gen, "")
        self.assertIn("fan3", s9.fields.splitlines())  # GEN.FanA=FanA||fan3 without the s9fmt() formulas
        self.assertIn("STATS is drawn by the PHP function s9fmt()", out)
        self.assertEqual([s.section for s in CustomPage.objects.get(name="Avalons").sections.all()], ["DATE", "COIN"])
        self.assertIn("$s9acn: a setting of the PHP functions", out)
        again = run(REAL / "wareck-cgminer-gekko" / "miner.php")
        self.assertNotIn("\n  + ", again)


class ImportedFormulaTests(BaseTestCase):
    def test_prefixed_formulas_in_plain_sections_compute_and_bad_ones_are_named(self):
        out = run_text("<?php\n$customsummarypages = array('Rej' => array(array("
                       "'POOL' => array('URL', 'GEN.RejPct=Rej%'), 'SUMMARY' => array('GEN.GHS av=GH/s av||MHS av')),"
                       " array(), array('POOL' => array('gen' => array("
                       "'RejPct' => 'POOL.Rejected/max(POOL.Accepted,1)',"
                       " 'Typo' => 'POOL.Rejectd*1')), 'SUMMARY' => array('gen' => array('GHS av' => "
                       "'SUMMARY.MHS av/1000')))));\n")
        self.assertIn("page 'Rej', POOL: gen 'Typo': no rig sends a field 'POOL.Rejectd'", out)
        self.assertNotIn("RejPct':", out)
        self.snapshot(sections={"SUMMARY": [{"MHS av": 5000.0}],
                                "POOLS": [{"POOL": 0, "URL": "stratum+tcp://p:3333", "Accepted": 200, "Rejected": 4}]})
        self.client.force_login(self.bob)
        page = self.client.get("/pages/rej/").content.decode()
        self.assertIn("<td>0.02</td>", page)  # Rej%: 4 / 200
        self.assertIn(">5.00</td>", page)  # GH/s av: 5000 MH/s / 1000, not the MHS av fallback


def test_a_field_in_double_quotes_is_read_as_miner_php_reads_it():
    from minerpanel.minerphp.pages import translate_formula

    # genfld() replaces every field name by its value, inside quotes too: "GHS av" is the field
    assert translate_formula('max("GHS av", 1)', {"GHS av"}) == 'max("GHS av", 1)'
    assert translate_formula('"x" == "x"', {"GHS av"}) == "'x' == 'x'"
