"""Who sees what: the tiers on the pages, createuser, and the login throttle."""

from django.contrib.auth.models import User
from django.core.management import call_command

from minerpanel.models import FailedLogin
from minerpanel.tiers import tier

from .base import BaseTestCase
from .test_pages import SUMMARY, summary


class TiersTestCase(BaseTestCase):
    def test_tiers(self):
        from django.contrib.auth.models import AnonymousUser

        self.assertEqual(tier(self.alice), "sys")
        self.assertEqual(tier(self.root), "sys")
        self.assertEqual(tier(self.bob), "usr")
        self.assertEqual(tier(AnonymousUser()), "def")

    def test_anonymous_gets_the_login_page(self):
        for url in (SUMMARY, f"/rigs/{self.rig.pk}/"):
            r = self.client.get(url)
            self.assertRedirects(r, f"/login/?next={url}")

    def test_usr_sees_pages_without_addresses(self):
        self.snapshot(sections={"SUMMARY": [summary()]})
        self.client.force_login(self.bob)
        for url in (SUMMARY, f"/rigs/{self.rig.pk}/"):
            r = self.client.get(url)
            self.assertContains(r, "rig-a")
            self.assertNotContains(r, "10.0.0.5")

    def test_sys_sees_addresses(self):
        self.client.force_login(self.alice)
        self.assertContains(self.client.get(SUMMARY), "10.0.0.5:4028")

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
        self.assertRedirects(r, "/", fetch_redirect_response=False)
