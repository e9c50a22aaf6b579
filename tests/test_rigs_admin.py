from rigs.models import Rig

from .base import BaseTestCase


class RigAdminTestCase(BaseTestCase):
    url = "/admin/rigs/rig/add/"

    def post(self, **fields):
        data = {"name": "new", "host": "10.0.0.9", "port": "4028", "kind": "cgminer",
                "description": "", "enabled": "on", "order": "0"}
        data.update(fields)
        self.client.force_login(self.root)
        return self.client.post(self.url, data)

    def test_it_adds_a_rig(self):
        r = self.post()
        self.assertEqual(r.status_code, 302)
        self.assertTrue(Rig.objects.filter(name="new", host="10.0.0.9").exists())

    def test_it_rejects_a_bad_host(self):
        r = self.post(host="not a host!")
        self.assertContains(r, "is neither an IP address nor a host name")
        self.assertFalse(Rig.objects.filter(name="new").exists())

    def test_it_rejects_a_port_out_of_range(self):
        r = self.post(port="70000")
        self.assertContains(r, "less than or equal to 65535")
        r = self.post(port="0")
        self.assertContains(r, "greater than or equal to 1")

    def test_it_rejects_a_duplicate_address(self):
        r = self.post(host="10.0.0.5", port="4028")
        self.assertContains(r, "Another rig already uses 10.0.0.5:4028")
        self.assertEqual(Rig.objects.count(), 1)

    def test_it_accepts_host_names_and_ipv6(self):
        self.assertEqual(self.post(name="a", host="rig-7.farm.example").status_code, 302)
        self.assertEqual(self.post(name="b", host="fd00::7").status_code, 302)

    def test_usr_cannot_edit_rigs(self):
        self.client.force_login(self.bob)
        r = self.client.get(self.url)
        self.assertNotEqual(r.status_code, 200)

    def test_the_token_is_never_shown_and_kept_when_left_blank(self):
        rig = Rig.objects.create(name="cc", kind="xmrigcc-server", host="10.0.0.7", port=3344, username="admin",
                                 token="cc-secret-pass")
        self.client.force_login(self.root)
        url = f"/admin/rigs/rig/{rig.pk}/change/"
        self.assertNotContains(self.client.get(url), "cc-secret-pass")
        data = {"name": "cc", "host": "10.0.0.7", "port": "3344", "kind": "xmrigcc-server", "username": "admin",
                "token": "", "description": "renamed", "enabled": "on", "order": "0"}
        self.assertEqual(self.client.post(url, data).status_code, 302)
        rig.refresh_from_db()
        self.assertEqual((rig.description, rig.token), ("renamed", "cc-secret-pass"))

    def test_an_xmrigcc_server_needs_its_admin_credentials(self):
        r = self.post(kind="xmrigcc-server", port="3344")
        self.assertContains(r, "admin user and password")

    def test_a_ckpool_needs_its_directories(self):
        r = self.post(kind="ckpool", path="", logdir="")
        self.assertContains(r, "socket directory and its logs directory")
        self.assertEqual(self.post(kind="ckpool", path="/tmp/ckpool", logdir="/srv/ckpool/logs").status_code, 302)
