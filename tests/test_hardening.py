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


# ---------------------------------------------------------------- control and the audit

import json  # noqa: E402

import pytest  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from rigs import control  # noqa: E402
from rigs.control import commands, params, running  # noqa: E402
from rigs.models import Rig  # noqa: E402
from rigs.simulators.cgminer import SimRig  # noqa: E402


def sys_user(name="alice"):
    user = User.objects.create_user(name, password="x")
    user.groups.add(Group.objects.get_or_create(name="sys")[0])
    return user


class AnonymousFloodTestCase(BaseTestCase):
    def test_anonymous_refusals_are_one_counted_row_per_source_and_minute(self):
        AuditEntry.objects.create(username="alice", command="switchpool", outcome="S", message="real")
        statuses = [self.client.get(f"/rigs/{self.rig.pk}/command/?command=flood{i}").status_code for i in range(40)]
        self.assertEqual(statuses[:30], [405] * 30)
        self.assertEqual(statuses[30:], [429] * 10)  # rate-limited past ANONYMOUS_LIMIT a minute
        rows = AuditEntry.objects.filter(username="(anonymous)")
        self.assertEqual(rows.count(), 1)
        self.assertEqual((rows.get().count, rows.get().address, rows.get().command), (40, "127.0.0.1", "flood0"))
        self.client.force_login(self.alice)
        page = self.client.get("/audit/")
        self.assertContains(page, "real")
        self.assertContains(page, "×40")

    def test_logged_in_refusals_stay_one_row_each(self):
        self.client.force_login(self.bob)
        for _ in range(3):
            self.client.post(f"/rigs/{self.rig.pk}/command/", {"command": "switchpool", "pool": "1"})
        self.assertEqual(AuditEntry.objects.filter(username="bob", outcome="refused").count(), 3)


def test_a_numeric_zero_is_a_value():
    sections = {"POOLS": [{"POOL": 0}, {"POOL": 1}], "DEVS": [{"ASC": 0, "ID": 0}]}
    assert params.clean(commands.COMMANDS["switchpool"], {"pool": 0}, sections) == {"pool": 0}
    assert params.clean(commands.COMMANDS["ascenable"], {"device": 0}, sections) == {"device": 0}
    assert params.clean(commands.COMMANDS["failover-only"], {"enabled": False}, sections) == {"enabled": False}
    with pytest.raises(params.Invalid, match="required"):
        params.clean(commands.COMMANDS["switchpool"], {"pool": None}, sections)


@pytest.mark.django_db(transaction=True)
@override_settings(RIG_TIMEOUT=1.0, RIG_CONNECT_TIMEOUT=1.0)
def test_api_control_with_nan_infinity_and_pool_zero(farm):
    import asyncio

    from minerpanel.models import ApiToken
    from rigs.polling import poller

    sim = SimRig(flavour="cgminer", devices=1, pools=2)
    for p in sim.pools:
        p["dead"] = False
    sim.pools[0]["priority"], sim.pools[1]["priority"] = 1, 0
    f = farm(sim)
    Rig.objects.create(name="rig-a", host="127.0.0.1", port=f.port(0))
    asyncio.run(poller.poll_once())
    _, text = ApiToken.issue(sys_user(), "ops", can_control=True)
    c = Client()
    for body in ('{"pool": NaN}', '{"pool": 1e999}', '{"pool": Infinity}', '[' * 100_000):
        r = c.post("/api/rigs/rig-a/switchpool/", body, content_type="application/json",
                   HTTP_AUTHORIZATION=f"Bearer {text}")
        assert r.status_code == 400 and "JSON object" in r.json()["error"]
    assert list(AuditEntry.objects.values_list("outcome", flat=True)) == ["invalid"] * 4
    r = c.post("/api/rigs/rig-a/switchpool/", json.dumps({"pool": 0}), content_type="application/json",
               HTTP_AUTHORIZATION=f"Bearer {text}")
    assert r.status_code == 200 and r.json()["status"] == "S"
    assert sim.pools[0]["priority"] == 0


@pytest.mark.django_db(transaction=True)
def test_the_audit_row_is_written_before_the_command_is_sent(monkeypatch):
    rig = Rig.objects.create(name="rig-a", host="127.0.0.1", port=1)
    async def crash(rig, name, cleaned):
        raise RuntimeError("the panel dies mid-command")
    monkeypatch.setattr(running, "_send", crash)
    with pytest.raises(RuntimeError):
        control.run([rig], "restart", {}, sys_user(), "127.0.0.1")
    entry = AuditEntry.objects.get()
    assert (entry.command, entry.outcome, entry.rig_name) == ("restart", "sent", "rig-a")


# ---------------------------------------------------------------- headers


class SecurityHeadersTestCase(BaseTestCase):
    def test_a_content_security_policy_without_inline_script(self):
        self.client.force_login(self.bob)
        r = self.client.get("/")
        csp = r["Content-Security-Policy"]
        self.assertIn("script-src 'self'", csp)
        self.assertNotIn("unsafe-inline", csp)
        self.assertNotIn("unsafe-eval", csp)
        body = r.content.decode()
        self.assertNotIn("onchange=", body)
        self.assertNotIn("<script>", body)

    def test_https_setting_turns_on_secure_cookies_hsts_and_the_proxy_header(self):
        import importlib
        import os
        from unittest import mock

        import minerpanel.settings as settings_module

        try:
            with mock.patch.dict(os.environ, {"HTTPS": "true"}):
                secure = importlib.reload(settings_module)
                self.assertTrue(secure.SESSION_COOKIE_SECURE and secure.CSRF_COOKIE_SECURE)
                self.assertEqual(secure.SECURE_PROXY_SSL_HEADER, ("HTTP_X_FORWARDED_PROTO", "https"))
                self.assertGreater(secure.SECURE_HSTS_SECONDS, 0)
            with self.settings(SESSION_COOKIE_SECURE=True, SECURE_PROXY_SSL_HEADER=secure.SECURE_PROXY_SSL_HEADER,
                               SECURE_HSTS_SECONDS=secure.SECURE_HSTS_SECONDS):
                r = self.client.post("/login/", {"username": "bob", "password": "bob-password"},
                                     HTTP_X_FORWARDED_PROTO="https")
                self.assertTrue(r.cookies["sessionid"]["secure"])
                self.assertIn("max-age=", r["Strict-Transport-Security"])
        finally:
            importlib.reload(settings_module)


# ---------------------------------------------------------------- secrets at rest


class SecretsAtRestTestCase(BaseTestCase):
    def raw_token(self, rig):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT token FROM rigs_rig WHERE id = %s", [rig.pk])
            return cursor.fetchone()[0]

    def test_tokens_are_encrypted_in_the_database(self):
        from rigs.polling.poller import load_targets

        rig = Rig.objects.create(name="cc", kind="xmrigcc-server", host="127.0.0.1", port=3344, username="admin",
                                 token="cc-password-123")
        stored = self.raw_token(rig)
        self.assertTrue(stored.startswith("fernet:"))
        self.assertNotIn("cc-password-123", stored)
        self.assertEqual(Rig.objects.get(pk=rig.pk).token, "cc-password-123")
        from unittest import mock

        # it would close the test's transaction (PostgreSQL)
        with mock.patch("rigs.polling.poller.close_old_connections"):
            self.assertEqual([t.token for t in load_targets() if t.id == rig.pk], ["cc-password-123"])

    def test_a_plain_value_from_before_is_read_then_encrypted_by_the_migration(self):
        import importlib

        from django.apps import apps
        from django.db import connection

        rig = Rig.objects.create(name="x", kind="xmrig", host="127.0.0.1", port=8080)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE rigs_rig SET token = 'plain-token' WHERE id = %s", [rig.pk])
        self.assertEqual(Rig.objects.get(pk=rig.pk).token, "plain-token")
        migration = importlib.import_module("rigs.migrations.0011_secrets")
        migration.encrypt_stored(apps, type("Editor", (), {"connection": connection})())
        self.assertTrue(self.raw_token(rig).startswith("fernet:"))
        self.assertEqual(Rig.objects.get(pk=rig.pk).token, "plain-token")

    def test_another_secret_key_reads_as_empty_not_a_crash(self):
        rig = Rig.objects.create(name="x", kind="xmrig", host="127.0.0.1", port=8080, token="t0k3n")
        with self.settings(SECRET_KEY="another-key-" * 4):
            self.assertEqual(Rig.objects.get(pk=rig.pk).token, "")

    def test_the_admin_never_shows_the_token(self):
        rig = Rig.objects.create(name="x", kind="xmrig", host="127.0.0.1", port=8080, token="t0k3n-visible?")
        self.client.force_login(self.root)
        r = self.client.get(f"/admin/rigs/rig/{rig.pk}/change/")
        self.assertNotContains(r, "t0k3n-visible?")
        self.assertNotContains(r, self.raw_token(rig))
        self.assertContains(r, 'placeholder="••• (set)"')


def test_var_is_0700_and_the_database_0600(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    var = tmp_path / "var"
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "MINERPANEL_VAR": str(var), "DJANGO_SETTINGS_MODULE": "minerpanel.settings"}
    env.pop("SQLITE_PATH", None)
    env.pop("DATABASE_URL", None)  # the file permissions of the default SQLite setup
    subprocess.run([sys.executable, str(root / "manage.py"), "migrate", "-v", "0"], env=env, check=True)
    assert var.stat().st_mode & 0o777 == 0o700
    for name in ("minerpanel.sqlite3", "secret_key"):
        assert (var / name).stat().st_mode & 0o777 == 0o600, name
    import sqlite3  # a new database has the pages a snapshot fits in, and the WAL journal
    from contextlib import closing

    with closing(sqlite3.connect(var / "minerpanel.sqlite3")) as db:
        assert db.execute("PRAGMA page_size").fetchone() == (32768,)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


class SimulateRegisterTestCase(BaseTestCase):
    def test_a_name_clash_with_the_demo_rigs_registers_under_another_name(self):
        from rigs.management.commands.simulate_rigs import register

        Rig.objects.create(name="sim00", host="127.0.0.1", port=40280, simulated=True)
        opts = {"register": True}
        self.assertEqual(register(opts, name="sim00", host="127.0.0.1", port=4028),
                         "(registered as sim00-2: sim00 was taken)")
        self.assertEqual(register(opts, name="sim01", host="127.0.0.1", port=4029), "(registered)")
        self.assertEqual(register(opts, name="sim00", host="127.0.0.1", port=4028),  # again: the same rig
                         "(registered as sim00-2: sim00 was taken)")
        self.assertEqual(sorted(Rig.objects.filter(host="127.0.0.1").values_list("name", "port")),
                         [("sim00", 40280), ("sim00-2", 4028), ("sim01", 4029)])
        self.assertIn("not registered", register(opts, name="bad", host="not a host!", port=4030))


class IncomingValuesTestCase(BaseTestCase):
    def test_odd_ids_answer_clearly_never_500(self):
        from minerpanel.models import ApiToken as Token

        _, text = Token.issue(self.bob, "read")
        auth = {"HTTP_AUTHORIZATION": f"Bearer {text}"}
        for key in ("²", "１", "99999999999999999999999", "-1"):
            self.assertEqual(self.client.get(f"/api/rigs/{key}/summary/", **auth).status_code, 404, key)
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get("/rigs/99999999999999999999999/").status_code, 404)
        r = self.client.post("/bulk/run/", {"command": "save", "target": "selected", "rigs": ["²", "9" * 30]},
                             follow=True)
        self.assertContains(r, "No rig matches")
        r = self.client.post("/tokens/", {"revoke": "²"}, follow=True)
        self.assertContains(r, "nothing was revoked")
        self.client.post("/tokens/", {"name": "a\x00b\x1bc"})
        self.assertEqual(Token.objects.get(user=self.alice).name, "abc")


def test_an_xmrigcc_config_with_nan_or_deep_nesting_is_refused_clearly():
    from rigs.drivers.xmrigcc import parse_config

    for text, reason in (('{"a": NaN}', "NaN is not a number"), ("[" * 100_000, "nested too deeply"),
                         ('{"a": %s}' % ("9" * 400), "too long a number")):
        with pytest.raises(ValueError, match=reason):
            parse_config(text)
