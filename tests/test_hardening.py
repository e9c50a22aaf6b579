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


def import_file(data):
    import json
    import tempfile
    from io import StringIO

    from django.core.management import call_command

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        fh.write(data if isinstance(data, str) else json.dumps(data))
    out = StringIO()
    call_command("importpages", fh.name, stdout=out)
    return out.getvalue()


class PageImportTestCase(BaseTestCase):
    def refused(self, data, *expected):
        from django.core.management.base import CommandError

        from custompages.models import CustomPage

        before = list(CustomPage.objects.values_list("slug", flat=True))
        with self.assertRaises(CommandError) as caught:
            import_file(data)
        for text in expected:
            self.assertIn(text, str(caught.exception))
        self.assertEqual(list(CustomPage.objects.values_list("slug", flat=True)), before)
        return str(caught.exception)

    def test_a_bad_slug_is_refused_and_every_page_still_answers(self):
        self.refused([{"name": "x", "slug": "bad slug/<x>", "public": True, "sections": []}], "page 1", "slug:")
        for user in (None, self.bob):
            if user:
                self.client.force_login(user)
            self.assertIn(self.client.get("/").status_code, (200, 302))
            self.assertEqual(self.client.get("/login/").status_code, 200)

    def test_a_bad_slug_already_stored_breaks_no_page(self):
        from custompages.models import CustomPage

        CustomPage.objects.create(name="x", slug="bad slug/<x>", public=True)
        CustomPage.objects.create(name="ok", slug="ok", public=True)
        self.assertRedirects(self.client.get("/"), "/pages/ok/")
        self.assertEqual(self.client.get("/login/").status_code, 200)
        self.client.force_login(self.bob)
        r = self.client.get("/?all=1")
        self.assertContains(r, 'href="/pages/ok/"')
        self.assertNotContains(r, "bad slug")

    def test_wrong_types_are_named_not_tracebacks(self):
        self.refused("5", "must hold a page")
        self.refused([5], "page 1: a page is an object, not a whole number")
        self.refused([{"name": "a", "slug": "a", "order": "abc"}], "order must be a whole number, not text")
        self.refused([{"name": "a", "slug": "a", "sections": "SUMMARY"}], "sections must be a list, not text")
        self.refused([{"name": "a", "slug": "a", "sections": [{"section": "SUMMARY", "fields": ["Elapsed"]}]}],
                     "fields must be text, one entry per line, not a list")
        self.refused([{"name": "a", "slug": "a", "sections": [{"section": "SUMMARY", "id": 3}]}], "unknown key 'id'")

    def test_duplicates_and_long_names_are_refused(self):
        self.refused([{"name": "a", "slug": "a"}, {"name": "b", "slug": "a"}], "'a' is in the file twice")
        self.refused([{"name": "n" * 65, "slug": "a"}], "name: Ensure this value has at most 64 characters")

    def test_bounds_on_sections_and_fields(self):
        self.refused([{"name": "a", "slug": "a", "sections": [{"section": "SUMMARY"}] * 31}], "31 sections, at most 30")
        msg = self.refused([{"name": "a", "slug": "a", "sections": [{"section": "SUMMARY", "fields": "Elapsed\n" * 5000}]}],
                           "fields: at most 20,000 characters")
        self.assertLess(len(msg), 2000)
        self.refused([{"name": "a", "slug": "a", "sections": [{"section": "SUMMARY", "fields": "A\n" * 300}]}],
                     "fields: at most 200 lines (this has 300)")

    def test_a_good_file_imports(self):
        from custompages.models import CustomPage

        out = import_file([{"name": "A", "slug": "a", "public": True, "sections": [{"section": "SUMMARY", "fields": "Elapsed"}]}])
        self.assertIn("imported A (1 sections)", out)
        self.assertEqual(CustomPage.objects.get(slug="a").sections.get().fields, "Elapsed")


def admin_add_page(client, user, slug, **section):
    """POST the admin's add form of a page with one SUMMARY section."""
    client.force_login(user)
    return client.post("/admin/custompages/custompage/add/", {
        "name": slug, "slug": slug, "order": 0,
        "sections-TOTAL_FORMS": 1, "sections-INITIAL_FORMS": 0, "sections-MIN_NUM_FORMS": 0,
        "sections-MAX_NUM_FORMS": 30, "sections-0-order": 0, "sections-0-section": "SUMMARY",
        **{f"sections-0-{k}": v for k, v in section.items()}}, follow=True)


class PageBoundsTestCase(BaseTestCase):
    def test_an_oversized_section_shows_its_error_in_its_place(self):
        """250,000 lines saved before the bounds: the view stays small and the other sections show."""
        from custompages.models import CustomPage, PageSection

        self.snapshot(sections={"SUMMARY": [{"Elapsed": 5}]})
        page = CustomPage.objects.create(name="big", slug="big", public=True)
        PageSection.objects.create(page=page, order=0, section="SUMMARY", fields="Elapsed\n" * 250_000)
        PageSection.objects.create(page=page, order=1, section="SUMMARY", title="small one", fields="Elapsed")
        r = self.client.get("/pages/big/")
        self.assertContains(r, "fields: at most 20,000 characters")
        self.assertContains(r, "small one")
        self.assertLess(len(r.content), 50_000)

    def test_the_admin_refuses_an_oversized_field_list(self):
        r = admin_add_page(self.client, self.root, "big", fields="Elapsed\n" * 3000)
        self.assertContains(r, "at most 20,000 characters")
        from custompages.models import CustomPage

        self.assertFalse(CustomPage.objects.filter(slug="big").exists())

    def test_rows_rendered_per_table_are_bounded(self):
        from custompages import render
        from custompages.models import CustomPage, PageSection

        self.snapshot(sections={"DEVS": [{"ASC": i, "ID": i, "MHS av": 1.0} for i in range(render.MAX_ROWS + 5)]})
        page = CustomPage.objects.create(name="devs", slug="devs", public=True)
        PageSection.objects.create(page=page, section="DEVS", fields="ID")
        from django.conf import settings

        table = render.page_context(None, page)["blocks"][0]["table"]  # a view: a page of rows
        self.assertEqual(len(table.rows), settings.TABLE_ROWS)
        table = render.page_context(None, page, whole=True)["blocks"][0]["table"]  # the API: at most MAX_ROWS
        self.assertEqual(len(table.rows), render.MAX_ROWS)
        self.assertEqual(table.pager.total, render.MAX_ROWS + 5)


# ---------------------------------------------------------------- control and the audit

import json  # noqa: E402

import pytest  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from rigs import commands, control  # noqa: E402
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
    assert commands.clean(commands.COMMANDS["switchpool"], {"pool": 0}, sections) == {"pool": 0}
    assert commands.clean(commands.COMMANDS["ascenable"], {"device": 0}, sections) == {"device": 0}
    assert commands.clean(commands.COMMANDS["failover-only"], {"enabled": False}, sections) == {"enabled": False}
    with pytest.raises(commands.Invalid, match="required"):
        commands.clean(commands.COMMANDS["switchpool"], {"pool": None}, sections)


@pytest.mark.django_db(transaction=True)
@override_settings(RIG_TIMEOUT=1.0, RIG_CONNECT_TIMEOUT=1.0)
def test_api_control_with_nan_infinity_and_pool_zero(farm):
    from minerpanel.models import ApiToken
    from rigs import poller
    import asyncio

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
    monkeypatch.setattr(control, "_send", crash)
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
        from rigs.poller import load_targets

        rig = Rig.objects.create(name="cc", kind="xmrigcc-server", host="127.0.0.1", port=3344, username="admin",
                                 token="cc-password-123")
        stored = self.raw_token(rig)
        self.assertTrue(stored.startswith("fernet:"))
        self.assertNotIn("cc-password-123", stored)
        self.assertEqual(Rig.objects.get(pk=rig.pk).token, "cc-password-123")
        from unittest import mock

        with mock.patch("rigs.poller.close_old_connections"):  # it would close the test's transaction (PostgreSQL)
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


# ---------------------------------------------------------------- formulas checked at save


class FormulaAtSaveTestCase(BaseTestCase):
    def section(self, gen):
        from custompages.models import CustomPage, PageSection

        page, _ = CustomPage.objects.get_or_create(name="f", slug="f")
        return PageSection(page=page, section="SUMMARY", fields="Accepted\nGEN.x", gen=f"x={gen}")

    def test_formulas_that_can_never_compute_are_refused(self):
        from django.core.exceptions import ValidationError

        for gen, reason in (("1/0", "division by zero"), ("'a'*10**9", "'a' is not a number"),
                            ("Accepted/(Accepted-Accepted)", "division by zero")):
            with self.assertRaises(ValidationError) as caught:
                self.section(gen).full_clean()
            self.assertIn(f"can never be computed ({reason})", str(caught.exception))
        self.section("Accepted/max(Rejected,1)").full_clean()  # computes for real rows

    def test_a_misspelt_field_saves_with_a_warning(self):
        from custompages.models import section_warnings

        section = self.section("Acceptd+1")
        section.full_clean()
        section.save()
        self.assertEqual(section_warnings(section),
                         ["SUMMARY: gen 'x': no rig sends a field 'Acceptd': check its spelling "
                          "(a field name with spaces is written as is or in double quotes)"])
        self.assertEqual(section_warnings(self.section("Accepted+1")), [])
        out = import_file([{"name": "g", "slug": "g", "sections": [{"section": "SUMMARY", "gen": "x=Acceptd+1"}]}])
        self.assertIn("warning: SUMMARY: gen 'x': no rig sends a field 'Acceptd'", out)

    def test_the_admin_shows_the_warning(self):
        r = admin_add_page(self.client, self.root, "g", fields="GEN.x", gen="x=Acceptd+1")
        self.assertContains(r, "no rig sends a field &#x27;Acceptd&#x27;")


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
        r = self.client.post("/bulk/run/", {"command": "save", "target": "selected", "rigs": ["²", "9" * 30]}, follow=True)
        self.assertContains(r, "No rig matches")
        r = self.client.post("/tokens/", {"revoke": "²"}, follow=True)
        self.assertContains(r, "nothing was revoked")
        self.client.post("/tokens/", {"name": "a\x00b\x1bc"})
        self.assertEqual(Token.objects.get(user=self.alice).name, "abc")


def test_an_xmrigcc_config_with_nan_or_deep_nesting_is_refused_clearly():
    from rigs.drivers.xmrigcc import parse_config

    for text, reason in (('{"a": NaN}', "NaN is not a number"), ("[" * 100_000, "nested too deeply")):
        with pytest.raises(ValueError, match=reason):
            parse_config(text)


class SharedPageBuildTestCase(BaseTestCase):
    def test_a_page_is_computed_once_per_poll_and_edit(self):
        from unittest import mock

        from django.utils import timezone

        from custompages import engine
        from custompages.models import CustomPage, PageSection
        from rigs.models import Snapshot

        snap = self.snapshot(sections={"SUMMARY": [{"Elapsed": 5}]})
        page = CustomPage.objects.create(name="p", slug="p", public=True)
        section = PageSection.objects.create(page=page, section="SUMMARY", fields="Elapsed")
        with mock.patch.object(engine, "build_page", wraps=engine.build_page) as build:
            self.assertContains(self.client.get("/pages/p/"), "<td>5s</td>")
            self.assertContains(self.client.get("/pages/p/"), "<td>5s</td>")
            self.assertEqual(build.call_count, 1)
            Snapshot.objects.filter(pk=snap.pk).update(sections={"SUMMARY": [{"Elapsed": 7}]}, polled_at=timezone.now())
            self.assertContains(self.client.get("/pages/p/"), "<td>7s</td>")  # a new poll: computed again
            section.fields = "Elapsed=Up"
            section.save()
            self.assertContains(self.client.get("/pages/p/"), "<th scope=\"col\">Up</th>")  # an edit: again
            self.assertEqual(build.call_count, 3)

    def test_the_overview_is_built_once_per_change_for_every_tier(self):
        from unittest import mock

        from rigs import pages

        self.snapshot(sections={"SUMMARY": [{"Elapsed": 5}]})
        with mock.patch.object(pages, "overview_tables", wraps=pages.overview_tables) as build:
            self.client.force_login(self.bob)
            self.client.get("/overview/")
            self.client.get("/overview/", HTTP_HX_REQUEST="true")
            self.assertEqual(build.call_count, 1)
            self.client.force_login(self.alice)  # sys sees addresses: in the Rigs table each view builds
            self.assertContains(self.client.get("/overview/"), "10.0.0.5:4028")
            self.assertEqual(build.call_count, 1)
            self.rig.description = "moved to rack 2"  # an edit in the admin
            self.rig.save()
            self.assertContains(self.client.get("/overview/"), "moved to rack 2")
            self.assertEqual(build.call_count, 2)

    def test_what_was_viewed_is_built_again_after_a_poll_before_anyone_asks(self):
        from unittest import mock

        from django.utils import timezone

        from custompages import engine
        from custompages.models import CustomPage, PageSection
        from rigs import pages
        from rigs.models import Snapshot

        snap = self.snapshot(sections={"SUMMARY": [{"Elapsed": 5}]})
        page = CustomPage.objects.create(name="p", slug="p", public=True)
        PageSection.objects.create(page=page, section="SUMMARY", fields="Elapsed")
        self.client.force_login(self.bob)
        self.client.get("/overview/")
        self.client.get("/pages/p/")
        Snapshot.objects.filter(pk=snap.pk).update(sections={"SUMMARY": [{"Elapsed": 7}]}, polled_at=timezone.now())
        pages.warm_and_prebuild([self.rig.pk])  # what serve does after the poller stored a batch
        with mock.patch.object(pages, "overview_tables") as overview, mock.patch.object(engine, "build_page") as build:
            self.client.get("/overview/")
            self.assertContains(self.client.get("/pages/p/"), "<td>7s</td>")
        self.assertEqual((overview.call_count, build.call_count), (0, 0))

