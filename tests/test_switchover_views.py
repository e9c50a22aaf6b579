"""The admin pages for moving over: import a myminer.php, discover rigs."""

from django.core.files.uploadedfile import SimpleUploadedFile

from rigs.models import AuditEntry, Rig
from rigs.simulators.cgminer import SimRig
from tests.base import BaseTestCase
from tests.conftest import FarmThread
from tests.test_importminerphp import FILES


def upload(name, content=None):
    return SimpleUploadedFile(name, content if content is not None else (FILES / name).read_bytes())


class ImportPageTests(BaseTestCase):
    url = "/admin/import-minerphp/"

    def test_only_sys_users(self):
        self.assertEqual(self.client.get(self.url).status_code, 302)
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(self.url).status_code, 403)
        self.client.force_login(self.alice)
        self.assertContains(self.client.get(self.url), "Show the plan")
        self.assertContains(self.client.get("/admin/"), self.url)

    def test_upload_shows_the_plan_and_confirm_imports(self):
        self.client.force_login(self.alice)
        response = self.client.post(self.url, {"file": upload("home.php")})
        self.assertContains(response, "+ rig &#x27;Garage&#x27; at 192.168.1.20:4028")
        self.assertContains(response, "PANEL_TITLE=&#x27;Home mining&#x27;")
        self.assertFalse(Rig.objects.filter(name="Garage").exists())
        text = (FILES / "home.php").read_text()
        self.assertContains(response, '<textarea name="text" hidden aria-hidden="true">&lt;?php')
        response = self.client.post(self.url, {"confirm": "1", "name": "home.php", "text": text})
        self.assertContains(response, "Imported home.php")
        self.assertTrue(Rig.objects.filter(name="Garage").exists())
        entry = AuditEntry.objects.get(command="importminerphp")
        self.assertEqual((entry.username, entry.params), ("alice", {"file": "home.php"}))
        self.assertIn("+ rig 'Garage'", entry.message)
        self.assertEqual(self.client.post(self.url, {"confirm": "1"}).status_code, 400)  # nothing to confirm
        self.client.force_login(self.bob)
        self.assertEqual(self.client.post(self.url, {"confirm": "1", "name": "x", "text": text}).status_code, 403)

    def test_a_broken_file_is_explained_and_nothing_is_written(self):
        self.client.force_login(self.alice)
        response = self.client.post(self.url, {"file": upload("broken.php")})
        self.assertContains(response, "line 6: a double-quoted string with a variable", status_code=400)
        self.assertNotContains(response, "Import broken.php", status_code=400)

    def test_what_the_file_says_is_escaped(self):
        self.client.force_login(self.alice)
        evil = b"<?php $rigs = array('10.9.9.9:4028:<script>alert(1)</script>');"
        response = self.client.post(self.url, {"file": upload("evil.php", evil)})
        self.assertNotContains(response, "<script>alert(1)")
        self.assertContains(response, "&lt;script&gt;alert(1)")


class DiscoverPageTests(BaseTestCase):
    url = "/admin/discover/"

    def test_only_sys_users(self):
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(self.url).status_code, 403)
        self.client.force_login(self.alice)
        self.assertContains(self.client.get(self.url), "Discover")

    def test_scan_tick_add(self):
        farm = FarmThread([SimRig(index=0, flavour="bfgminer")])
        self.addCleanup(farm.close)
        self.client.force_login(self.alice)
        response = self.client.post(self.url, {"action": "run", "how": "scan", "cidr": "127.0.0.1/32",
                                               "port": farm.port(0), "timeout": 1, "code": "FTW"})
        self.assertContains(response, "bfgminer 5.5.0")
        self.assertContains(response, 'name="rig" value="0"')
        response = self.client.post(self.url, {"action": "add", "rig": ["0"]})
        self.assertContains(response, f"+ rig &#x27;127.0.0.1:{farm.port(0)}&#x27;")
        rig = Rig.objects.get(port=farm.port(0))
        self.assertTrue(rig.discovered)
        self.assertEqual(AuditEntry.objects.get(command="discover-register").params,
                         {"rigs": [f"127.0.0.1:{farm.port(0)}"]})
        again = self.client.post(self.url, {"action": "run", "how": "scan", "cidr": "127.0.0.1/32",
                                            "port": farm.port(0), "timeout": 1})
        self.assertNotContains(again, 'name="rig"')  # already a rig: nothing to tick
        self.assertContains(again, f"127.0.0.1:{farm.port(0)}</td>")

    def test_public_ranges_are_refused_where_the_user_is(self):
        self.client.force_login(self.alice)
        response = self.client.post(self.url, {"action": "run", "how": "scan", "cidr": "9.9.9.0/29",
                                               "port": 4028, "timeout": 1})
        self.assertContains(response, "not a private range", status_code=400)
