"""The findings of issue 14 (an attack on the running panel): one test each, failing before the fix."""

from minerpanel.models import ApiToken, FailedLogin
from rigs.models import AuditEntry

from .base import BaseTestCase


class AdminLoginThrottleTestCase(BaseTestCase):
    def test_admin_login_is_throttled_and_the_lockout_audited(self):
        for _ in range(5):
            self.client.post("/admin/login/", {"username": "alice", "password": "wrong"})
        self.assertEqual(FailedLogin.objects.filter(username="alice").count(), 5)
        r = self.client.post("/admin/login/", {"username": "alice", "password": "alice-password"})
        self.assertContains(r, "Too many failed logins", status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)
        locked = AuditEntry.objects.get(command="login", outcome="locked")
        self.assertEqual((locked.username, locked.address), ("alice", "127.0.0.1"))
        self.assertIn("/admin/login/", locked.message)

    def test_a_lock_from_one_form_holds_in_the_other(self):
        for _ in range(5):
            self.client.post("/login/", {"username": "alice", "password": "wrong"})
        r = self.client.post("/admin/login/", {"username": "alice", "password": "alice-password"})
        self.assertEqual(r.status_code, 429)
        # and no form logs in around the lock: the backend itself refuses
        self.assertFalse(self.client.login(username="alice", password="alice-password"))
        self.assertEqual(AuditEntry.objects.filter(outcome="locked").count(), 1)

    def test_admin_login_still_works(self):
        r = self.client.post("/admin/login/", {"username": "alice", "password": "alice-password", "next": "/admin/"})
        self.assertRedirects(r, "/admin/")


class TokenRevokeTestCase(BaseTestCase):
    def test_revoking_someone_elses_token_says_so(self):
        token, _ = ApiToken.issue(self.alice, "alice's")
        self.client.force_login(self.bob)
        r = self.client.post("/tokens/", {"revoke": token.pk}, follow=True)
        self.assertContains(r, "nothing was revoked")
        self.assertNotContains(r, "Token revoked.")
        self.assertTrue(ApiToken.objects.filter(pk=token.pk).exists())
