import io
import tempfile
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from custompages.models import CustomPage
from minerpanel.minerphp import php_reader
from minerpanel.tiers import tier
from rigs.models import Rig
from tests.base import BaseTestCase

FILES = Path(__file__).parent / "minerphp"


def run(name, *args):
    out = io.StringIO()
    call_command("importminerphp", str(FILES / name), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


class PHPFileTests(BaseTestCase):
    def test_the_subset_is_read_as_php_reads_it(self):
        text = ("\ufeff<?php\r\n$a = array('x', 5 => 'y', 'z', '7' => true, -2.5 => null);\r"
                "$b = ['k' => [1, [2]], \"q\\t\\\"\" => 'it\\'s' . 3];  # c ?> ignored <?php\n"
                "$c[] = 'one'; $c['two'][] = 2; /* $d = 1; */ $e = 0x1f + 1;")
        result = php_reader.read(text)
        self.assertEqual(result.values["a"], {0: "x", 5: "y", 6: "z", 7: True, -2: None})
        self.assertEqual(result.values["b"], {"k": {0: 1, 1: {0: 2}}, 'q\t"': "it's3"})
        self.assertEqual(result.values["c"], {0: "one", "two": {0: 2}})
        self.assertNotIn("d", result.values)
        self.assertEqual([(p[0], p[2]) for p in result.problems], [(4, "e")])  # arithmetic is not read

    def test_code_is_reported_with_its_line_and_never_run(self):
        result = php_reader.read("<?php\n$x = 1;\n$y = system('id');\n$z = \"a$x\";\n$w = `id`;\n")
        self.assertEqual(result.values, {"x": 1})
        self.assertEqual([(p[0], p[2]) for p in result.problems], [(3, "y"), (4, "z"), (5, "w")])
        self.assertIn("system() is code", result.problems[0][1])

    def test_unclosed_things_are_problems_not_hangs(self):
        for text, line in (("<?php\n$a = array(1,\n", 2), ("<?php\n/* open", 2), ("<?php\n$a = 'open;\n", 2)):
            result = php_reader.read(text)
            self.assertTrue(result.problems, text)
            self.assertEqual(result.problems[0][0], line, text)

    def test_deep_nesting_is_bounded(self):
        result = php_reader.read("<?php $a = " + "array(" * 200 + ")" * 200 + ";")
        self.assertIn("nested deeper", result.problems[0][1])


class ImportTests(BaseTestCase):
    def test_home_setup_dry_run_writes_nothing_and_says_what_it_would_do(self):
        rigs, users = Rig.objects.count(), User.objects.count()
        out = run("home.php", "--dry-run")
        self.assertEqual((Rig.objects.count(), User.objects.count()), (rigs, users))
        self.assertFalse(CustomPage.objects.get(slug="mobile").public)
        self.assertIn("+ rig 'Garage' at 192.168.1.20:4028", out)
        self.assertIn("+ sys user 'admin'", out)
        self.assertIn("+ usr user 'kid'", out)
        self.assertIn("~ page 'Mobile': public (def)", out)
        for line in ("CHECK_LAST_SHARE=false", "DATETIME_FORMAT_CELLS='H:i:s j-M-Y'", "HIDE_FIELDS=POOL.User",
                     "PANEL_TITLE='Home mining'", "REFRESH_DEFAULT=30", "RIG_CONNECT_TIMEOUT=3", "RIG_TIMEOUT=10"):
            self.assertIn(f"\n  {line}\n", out)
        self.assertIn("stored hashed", out)

    def test_home_setup_is_carried_over(self):
        run("home.php")
        garage = Rig.objects.get(name="Garage")
        self.assertEqual((garage.host, garage.port, garage.kind), ("192.168.1.20", 4028, "cgminer"))
        admin, kid = User.objects.get(username="admin"), User.objects.get(username="kid")
        self.assertEqual((tier(admin), tier(kid)), ("sys", "usr"))
        self.assertTrue(admin.check_password("ChangeMe-2014"))
        self.assertNotIn("ChangeMe", admin.password)
        self.assertTrue(CustomPage.objects.get(slug="mobile").public)
        self.assertTrue(self.client.login(username="kid", password="lookonly"))

    def test_farm_of_200_rigs_with_users_twice_creates_nothing_twice(self):
        before = Rig.objects.count()
        out = run("farm.php")
        self.assertEqual(Rig.objects.count(), before + 200)
        self.assertEqual(Rig.objects.get(host="10.1.0.11").name, "10.1.0.11:4028")  # no name, no port: $rigport
        self.assertEqual(Rig.objects.get(host="10.1.1.10").name, "row10-100")
        self.assertEqual(sorted(tier(u) for u in User.objects.filter(username__in=["boss", "tech", "watch1", "watch2",
                                                                                     "watch3"])),
                         ["sys", "sys", "usr", "usr", "usr"])
        self.assertTrue(CustomPage.objects.get(slug="pools").public)
        for line in ("FORCE_RIG_TOTALS=true", "NOTIFY=false", "POOL_INPUTS=true", "READONLY=true",
                     "REFRESH_CHANGEABLE=false", "RIG_TOTALS=false"):
            self.assertIn(f"\n  {line}\n", out)
        self.assertIn("$placebuttons: not needed", out)
        again = run("farm.php")
        self.assertEqual(Rig.objects.count(), before + 200)
        self.assertEqual(User.objects.filter(username="boss").count(), 1)
        self.assertNotIn("\n  + ", again)
        self.assertIn("= rig 10.1.0.11: exists already as '10.1.0.11:4028'", again)

    def test_the_manuals_pages(self):
        out = run("manual.php")
        self.assertIn("~ page 'Mobile': replaced", out)  # the built-in Mobile is miner.php's own, not the manual's
        self.assertIn("~ page 'Pools': replaced", out)
        self.assertIn("read as 'AvShr' => '...' (the manual's form)", out)
        section = CustomPage.objects.get(slug="pools").sections.get(section="POOL+STATS")
        self.assertEqual(section.gen, "AvShr=POOL.Difficulty Accepted/max(POOL.Accepted,1)")
        self.assertEqual(section.having, "STATS.Bytes Recv > 0")
        self.assertEqual(section.group.splitlines(), ["POOL.URL", "POOL.Has Stratum", "POOL.Stratum Active",
                                                      "POOL.Has GBT"])
        self.assertIn("STATS.Bytes Recv=sum", section.calc.splitlines())
        self.assertEqual(section.fields.splitlines()[-1], "GEN.AvShr=AvShr")
        self.assertEqual(section.definition()["having"], [["STATS.Bytes Recv", ">", "0"]])

    def test_a_replaced_summary_page(self):
        out = run("summary.php")
        page = CustomPage.objects.get(slug="summary")
        self.assertTrue(page.public)
        self.assertEqual([s.section for s in page.sections.all()], ["DATE", "SUMMARY", "DEVS", "POOL"])
        summary, devs, pool = page.sections.all()[1:]
        self.assertEqual(summary.gen, "Eff=round(Accepted/max(Elapsed,1)*60, 2)")
        self.assertIn("GEN.Eff||SUMMARY.Utility=Eff", summary.fields.splitlines())  # the gen exists: both kept
        self.assertEqual(devs.where, "Temperature > 0\nStatus eq Alive")
        self.assertEqual(pool.bgen, "Rate=Accepted * 100 / max(Accepted + Rejected, 1)")
        self.assertEqual(pool.gen, "")  # both gens are PHP beyond our grammar: reported, not guessed
        self.assertNotIn("GEN.Share=Share", pool.fields)
        self.assertIn("'Share' = 'Accepted > 0 ? 1 : 0' not carried over", out)
        self.assertIn("intval() has no equivalent", out)
        self.assertIn("replaced miner.php's default page", out)
        self.assertIn("names the page 'Nowhere', which does not exist", out)
        self.assertEqual(Rig.objects.get(name="local6").host, "::1")
        self.assertEqual(Rig.objects.get(name="miner-a.lan:4030").port, 4030)
        self.assertIn("$mcastexpect: used with $mcast only", out)
        self.client.login(username="ops", password="s3cret")
        self.assertEqual(self.client.get("/pages/summary/").status_code, 200)

    def test_a_broken_file_imports_nothing_and_names_the_lines(self):
        rigs = Rig.objects.count()
        with self.assertRaises(CommandError) as ctx:
            run("broken.php")
        message = str(ctx.exception)
        for expected in ("line 5: expected ',' or ')'", "line 6: a double-quoted string with a variable",
                         "line 7: a call to strtolower() is code", "line 8: a 'if' statement assigns $rigs"):
            self.assertIn(expected, message)
        self.assertEqual(Rig.objects.count(), rigs)
        self.assertFalse(User.objects.filter(username="admin").exists())

    def test_all_or_nothing(self):
        with self.assertRaisesRegex(CommandError, "unknown section 'NOSUCHSECTION'"):
            run("allornothing.php")
        self.assertFalse(Rig.objects.filter(name="good-rig").exists())
        self.assertFalse(CustomPage.objects.filter(name="Bad").exists())

    def test_a_miner_php_edited_in_place(self):
        out = run("minerphp-top.php")
        stats = CustomPage.objects.get(slug="stats")
        self.assertEqual([s.section for s in stats.sections.all()], ["DATE", "RIGS", "SUMMARY", "COIN", "STATS"])
        self.assertEqual(stats.sections.get(section="COIN").fields, "*")
        shares = CustomPage.objects.get(slug="pool-shares").sections.get()
        self.assertEqual(shares.gen, "AvShr=round(Difficulty Accepted/max(Accepted,1)*100)/100")
        self.assertIn("'if' statement skipped", out)
        self.assertIn("function skipped", out)
        self.assertIn("$here skipped", out)
        self.assertTrue(Rig.objects.filter(host="127.0.0.1", port=4028).exists())

    def test_an_existing_rig_name_at_another_address_stops_the_import(self):
        Rig.objects.create(name="Garage", host="10.0.0.99", port=4028)
        with self.assertRaisesRegex(CommandError, "rig '192.168.1.20:4028:Garage': name"):
            run("home.php")
        self.assertFalse(Rig.objects.filter(name="Attic").exists())

    def test_not_php(self):
        with tempfile.NamedTemporaryFile("w", suffix=".php") as fh:
            fh.write("<html><body>" + "x" * 100000 + "</body></html>")
            fh.flush()
            with self.assertRaisesRegex(CommandError, "no '<\\?php' in the file"):
                call_command("importminerphp", fh.name, stdout=io.StringIO(), stderr=io.StringIO())


class ManualVerbatimTests(BaseTestCase):
    def test_the_manuals_listing_with_its_typos_is_reported_not_guessed(self):
        # the manual prints "'Found Blocks=Blks', Accepted'" and "max(POOL.Accepted,1))" without their quotes
        text = ("<?php\n$mobilepage = array( 'DATE' => null, 'RIGS' => null, 'SUMMARY' => array('Elapsed', "
                "'MHS av', 'Found Blocks=Blks', Accepted', 'Rejected=Rej', 'Utility'));\n"
                "$customsummarypages = array('Mobile' => array($mobilepage, array()));\n")
        with tempfile.NamedTemporaryFile("w", suffix=".php") as fh:
            fh.write(text)
            fh.flush()
            with self.assertRaises(CommandError) as ctx:
                call_command("importminerphp", fh.name, "--dry-run", stdout=io.StringIO(), stderr=io.StringIO())
        self.assertIn("line 3: a string opened here with ' is never closed (or a quote is missing before it)",
                      str(ctx.exception))

    def test_an_unclosed_bracket_stops_the_reading_with_its_line(self):
        result = php_reader.read("<?php\n$title = 'x';\n$helper = array(1, foo(2);\n$rigs = array('10.0.0.1');\n")
        self.assertEqual(result.values, {"title": "x"})  # $rigs comes after: never guessed
        self.assertIn((3, "this statement never ends (a bracket not closed?): nothing after it can be read", None),
                      result.problems)

    def test_a_file_too_large_is_refused(self):
        result = php_reader.read("<?php $a = 1;" + " " * php_reader.MAX_SIZE)
        self.assertIn("larger than 2 MB", result.problems[0][1])
        self.assertEqual(result.values, {})


class RigEntryTests(BaseTestCase):
    def test_rig_entries(self):
        from minerpanel.minerphp.plan import split_rig

        self.assertEqual(split_rig("10.0.0.5", 4029), ("10.0.0.5", 4029, ""))
        self.assertEqual(split_rig("10.0.0.5:", 4028), ("10.0.0.5", 4028, ""))
        self.assertEqual(split_rig("rig.lan:4030:Shed: left", 4028), ("rig.lan", 4030, "Shed: left"))
        self.assertEqual(split_rig("[fe80::1]:4031:v6", 4028), ("fe80::1", 4031, "v6"))
        self.assertEqual(split_rig("[::1]", 4028), ("::1", 4028, ""))
        for bad, why in (("::1:4028", "in brackets"), ("[::1:4028", "closing"), ("h:99999", "1 to 65535"),
                         ("h:port", "not a number"), (":4028", "no host"), ("[nonsense]:1", "IPv6")):
            with self.assertRaisesRegex(ValueError, why):
                split_rig(bad, 4028)
