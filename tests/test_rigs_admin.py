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


class SecretFollowsNoMoveTestCase(BaseTestCase):
    """Issue 23: a sys user changed a rig's address, left the password blank ("keeps it") and the
    panel sent the stored secret to the new address. Every kind with a secret, every setting that
    says where it goes."""

    KINDS = {"xmrigcc-server": 3344, "xmrig": 8080, "antminer": 4028, "vnish": 4028, "braiins": 4028,
             "whatsminer": 4028}
    MOVES = {"host": "10.66.6.6", "port": "4444", "web_port": "8081"}

    def edit(self, rig, **fields):
        data = {"name": rig.name, "host": rig.host, "port": str(rig.port), "web_port": str(rig.web_port or ""),
                "kind": rig.kind, "username": rig.username, "token": "", "description": "", "enabled": "on",
                "order": "0"}
        data.update(fields)
        self.client.force_login(self.alice)  # a sys user: the account of the attack
        return self.client.post(f"/admin/rigs/rig/{rig.pk}/change/", data)

    def secret_rig(self, kind):
        return Rig.objects.create(name=f"r-{kind}", kind=kind, host="10.0.0.7", port=self.KINDS[kind], web_port=80,
                                  username="admin", token="stored-secret")

    def setUp(self):
        super().setUp()
        from minerpanel.tiers import join_tier

        join_tier(self.alice, "sys")  # the admin permissions a sys account has

    def test_moving_a_rig_with_a_secret_asks_for_it_again(self):
        for kind in self.KINDS:
            rig = self.secret_rig(kind)
            for field, value in self.MOVES.items():
                with self.subTest(kind=kind, field=field):
                    r = self.edit(rig, **{field: value})
                    self.assertEqual(r.status_code, 200)
                    self.assertContains(r, "Enter the token or password again: the ")
                    self.assertContains(r, "stored one is never sent to a new place")
                    self.assertNotContains(r, "stored-secret")
                    stored = Rig.objects.get(pk=rig.pk)
                    self.assertEqual((stored.host, stored.port, stored.web_port, stored.token),
                                     ("10.0.0.7", self.KINDS[kind], 80, "stored-secret"))
            rig.delete()

    def test_changing_the_kind_asks_for_it_again(self):
        rig = self.secret_rig("xmrigcc-server")
        r = self.edit(rig, kind="xmrig")
        self.assertContains(r, "the kind changed")
        self.assertEqual(Rig.objects.get(pk=rig.pk).kind, "xmrigcc-server")

    def test_entered_again_or_removed_it_saves(self):
        rig = self.secret_rig("antminer")
        self.assertEqual(self.edit(rig, host="10.0.0.8", token="new-secret").status_code, 302)
        rig.refresh_from_db()
        self.assertEqual((rig.host, rig.token), ("10.0.0.8", "new-secret"))
        self.assertEqual(self.edit(rig, port="4029", clear_token="on").status_code, 302)
        rig.refresh_from_db()
        self.assertEqual((rig.port, rig.token), (4029, ""))
        self.assertEqual(self.edit(rig, port="4030").status_code, 302)  # no secret: nothing to ask for

    def test_other_changes_keep_it(self):
        rig = self.secret_rig("braiins")
        self.assertEqual(self.edit(rig, description="rack 4", username="root", enabled="").status_code, 302)
        rig.refresh_from_db()
        self.assertEqual((rig.description, rig.username, rig.token), ("rack 4", "root", "stored-secret"))
