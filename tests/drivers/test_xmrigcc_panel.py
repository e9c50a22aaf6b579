"""The XMRigCC server through the panel (the simulated server of conftest.py's `fleet`): the rig page's
stop and start, config and log pages with secrets kept out, the API with a control token, one-shot
commands, and EXECUTE's permission that no tier has."""

import asyncio
import io
import json
import logging

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client, override_settings

from rigs.models import AuditEntry, Rig, Snapshot
from rigs.polling import poller
from tests.drivers.test_xmrigcc import POOL_PASS, basic

# ---------------------------------------------------------------- through the panel


@pytest.fixture
def panel(fleet, db):
    rig = Rig.objects.create(name="cc", kind="xmrigcc-server", host="127.0.0.1", port=fleet.rig.port,
                             username="admin", token="s3cret")
    alice = User.objects.create_user("alice", "", "pw")
    alice.groups.add(Group.objects.get_or_create(name="sys")[0])
    c = Client()
    c.force_login(alice)
    fleet.panel_rig, fleet.alice, fleet.client = rig, alice, c
    fleet.repoll = lambda: asyncio.run(poller.poll_once())
    fleet.repoll()
    return fleet


def status_of(f, client_id):
    rows = Snapshot.objects.get(rig=f.panel_rig).sections["CLIENTS"]
    return next(r["Status"] for r in rows if r["Client"] == client_id)


@pytest.mark.django_db(transaction=True)
@override_settings(RIG_TIMEOUT=2.0, RIG_CONNECT_TIMEOUT=1.0)
def test_stop_then_start_a_client_from_the_rig_page(panel, caplog):
    caplog.set_level(logging.DEBUG)
    url = f"/rigs/{panel.panel_rig.pk}/"
    page = panel.client.get(url).content.decode()
    assert "office&amp;pc" in page and 'value="ccstop"' in page and POOL_PASS not in page
    assert 'value="ccexecute"' not in page  # no tier has EXECUTE by default
    r = panel.client.post(url + "command/", {"command": "ccstop", "client": "office&pc"}, follow=True)
    assert "STOP stored for office&amp;pc" in r.content.decode()
    assert panel.server.commands["office&pc"]["command"] == "STOP"
    panel.tick()  # the miner gets STOP in the reply to its report and pauses
    panel.tick()  # and says so in the next one
    panel.repoll()
    assert status_of(panel, "office&pc") == "PAUSED" and status_of(panel, "farm-a-01") == "RUNNING"
    panel.tick()
    panel.repoll()
    assert status_of(panel, "office&pc") == "PAUSED"  # sticky
    r = panel.client.post(url + "command/", {"command": "ccrestart", "client": "office&pc", "confirm": "yes"},
                          follow=True)
    assert "replaces the standing STOP" in r.content.decode()
    panel.client.post(url + "command/", {"command": "ccstop", "client": "office&pc"})
    panel.client.post(url + "command/", {"command": "ccstart", "client": "office&pc"})
    panel.tick()
    panel.tick()
    panel.repoll()
    assert status_of(panel, "office&pc") == "RUNNING"
    log = [(e.command, e.params, e.outcome) for e in AuditEntry.objects.order_by("id")]
    assert log[0] == ("ccstop", {"client": "office&pc"}, "S") and len(log) == 4
    r = panel.client.post(url + "command/", {"command": "ccstop", "client": "nobody"}, follow=True)
    assert "the server lists no such client" in r.content.decode()
    assert POOL_PASS not in caplog.text and "s3cret" not in caplog.text


@pytest.mark.django_db(transaction=True)
@override_settings(RIG_TIMEOUT=2.0, RIG_CONNECT_TIMEOUT=1.0)
def test_execute_needs_a_permission_no_tier_has(panel):
    url = f"/rigs/{panel.panel_rig.pk}/command/"
    script = {"command": "ccexecute", "client": "gpu-box", "script": "uptime", "confirm": "yes"}
    root = User.objects.create_superuser("root", "", "pw")
    for user in (panel.alice, root):
        panel.client.force_login(user)
        r = panel.client.post(url, script, follow=True)
        assert "needs the permission" in r.content.decode()
    assert panel.server.commands.get("gpu-box", {}).get("command") != "EXECUTE"
    assert [e.outcome for e in AuditEntry.objects.all()] == ["refused", "refused"]
    panel.alice.user_permissions.add(Permission.objects.get(codename="execute_scripts"))
    panel.client.force_login(User.objects.get(pk=panel.alice.pk))
    assert 'value="ccexecute"' in panel.client.get(f"/rigs/{panel.panel_rig.pk}/").content.decode()
    panel.client.post(url, script)
    panel.tick()
    assert "###START EXECUTE###" in "\n".join(panel.miners["gpu-box"].pending_log)
    assert AuditEntry.objects.first().params == {"client": "gpu-box", "script": "uptime"}


@pytest.mark.django_db(transaction=True)
@override_settings(RIG_TIMEOUT=2.0, RIG_CONNECT_TIMEOUT=1.0)
def test_config_page_hides_secrets_and_keeps_them_on_save(panel):
    panel.bg.call(lambda: panel.server.handle(
        "POST", "/admin/setClientConfig?clientId=farm-a-01",
        {"authorization": basic("admin", "s3cret"), "content-length": "1"},
        json.dumps(panel.miners["farm-a-01"].config()).encode()))
    base = f"/rigs/{panel.panel_rig.pk}/client/config/"
    page = panel.client.get(base, {"client": "farm-a-01"}).content.decode()
    assert POOL_PASS not in page and "fake-miner-http-token" not in page and "•••" in page
    assert "lowpower" in page  # the templates list
    text = page.split('spellcheck="false">')[1].split("</textarea>")[0]
    import html
    edited = json.loads(html.unescape(text))
    edited["cpu"]["enabled"] = False
    r = panel.client.post(base + "save/", {"client": "farm-a-01", "config": json.dumps(edited)}, follow=True)
    assert "saved on the server" in r.content.decode()
    stored = json.load(open(panel.server.config_path("farm-a-01")))
    assert stored["cpu"]["enabled"] is False and stored["pools"][0]["pass"] == POOL_PASS
    r = panel.client.post(base + "save/", {"client": "farm-a-01", "config": '{"cpu": '})
    assert r.status_code == 400 and "not valid JSON" in r.content.decode()
    assert json.load(open(panel.server.config_path("farm-a-01")))["cpu"]["enabled"] is False
    assert [e.outcome for e in AuditEntry.objects.order_by("id")] == ["S", "invalid"]
    assert all(POOL_PASS not in json.dumps(e.params) + e.message for e in AuditEntry.objects.all())
    assert panel.client.get(base, {"client": "ghost"}).status_code == 404


@pytest.mark.django_db(transaction=True)
@override_settings(RIG_TIMEOUT=2.0, RIG_CONNECT_TIMEOUT=1.0)
def test_log_page_shows_the_miners_lines_escaped(panel):
    panel.bg.call(lambda: panel.miners["farm-a-02"].pending_log.append("<script>alert(1)</script> pool ok"))
    panel.tick()
    page = panel.client.get(f"/rigs/{panel.panel_rig.pk}/client/log/", {"client": "farm-a-02"}).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; pool ok" in page and "<script>alert(1)" not in page
    bob = User.objects.create_user("bob", "", "pw")
    panel.client.force_login(bob)
    assert panel.client.get(f"/rigs/{panel.panel_rig.pk}/client/log/", {"client": "farm-a-02"}).status_code == 403


@pytest.mark.django_db(transaction=True)
@override_settings(RIG_TIMEOUT=2.0, RIG_CONNECT_TIMEOUT=1.0)
def test_the_api_reads_clients_and_controls_them_with_a_control_token(panel):
    from minerpanel.models import ApiToken

    _, read = ApiToken.issue(panel.alice, "read")
    _, ctl = ApiToken.issue(panel.alice, "ctl", can_control=True)
    c = Client()
    data = c.get("/api/rigs/cc/summary+clients/", HTTP_AUTHORIZATION=f"Bearer {read}").json()
    assert data["summary"][0]["SUMMARY"][0]["Clients"] == 4
    assert POOL_PASS not in json.dumps(data)
    fresh = c.get("/api/rigs/cc/clients/?fresh=1", HTTP_AUTHORIZATION=f"Bearer {read}").json()
    assert len(fresh["CLIENTS"]) == 4 and POOL_PASS not in json.dumps(fresh)
    r = c.post("/api/rigs/cc/ccstop/", {"client": "farm-a-02"}, HTTP_AUTHORIZATION=f"Bearer {read}")
    assert r.status_code == 403
    r = c.post("/api/rigs/cc/ccstop/", {"client": "farm-a-02"}, HTTP_AUTHORIZATION=f"Bearer {ctl}")
    assert r.status_code == 200 and r.json()["status"] == "S"
    assert panel.server.commands["farm-a-02"]["command"] == "STOP"


@pytest.mark.django_db(transaction=True)
@override_settings(RIG_TIMEOUT=2.0, RIG_CONNECT_TIMEOUT=1.0)
def test_one_shot_commands_reach_the_miner_once(panel):
    import os

    url = f"/rigs/{panel.panel_rig.pk}/command/"
    panel.client.post(url, {"command": "ccpublishconfig", "client": "farm-a-02"})
    assert not os.path.exists(panel.server.config_path("farm-a-02"))
    panel.tick()  # delivered: the miner uploads its config
    assert json.load(open(panel.server.config_path("farm-a-02")))["cc-client"]["worker-id"] == "farm-a-02"
    assert "farm-a-02" not in panel.server.commands  # erased after delivery: the next reply is START
    panel.client.post(url, {"command": "ccrestart", "client": "gpu-box", "confirm": "yes"})
    panel.tick()
    assert panel.miners["gpu-box"].down_until > panel.clock.t  # restarting: silent a few seconds
    panel.client.post(url, {"command": "ccremove", "client": "office&pc", "confirm": "yes"})
    assert "office&pc" not in panel.server.status
    assert "office&pc" not in [r["Client"] for r in Snapshot.objects.get(rig=panel.panel_rig).sections["CLIENTS"]]


@pytest.mark.django_db(transaction=True)
@override_settings(RIG_TIMEOUT=2.0, RIG_CONNECT_TIMEOUT=1.0)
def test_execute_is_refused_to_a_sys_account_and_through_any_group(panel):
    """Issue 23: `createuser --tier sys` gave the sys group every rigs permission, EXECUTE's too."""
    from django.core.management import call_command

    call_command("createuser", "carol", "--tier", "sys", "--password", "carol-pw", stdout=io.StringIO())
    carol = User.objects.get(username="carol")
    assert not Group.objects.get(name="sys").permissions.filter(codename="execute_scripts").exists()
    assert Group.objects.get(name="sys").permissions.filter(codename="change_rig").exists()  # the rest stays
    url = f"/rigs/{panel.panel_rig.pk}/command/"
    script = {"command": "ccexecute", "client": "gpu-box", "script": "uptime", "confirm": "yes"}
    panel.client.force_login(carol)
    assert 'value="ccexecute"' not in panel.client.get(f"/rigs/{panel.panel_rig.pk}/").content.decode()
    r = panel.client.post(url, script, follow=True)
    assert r.status_code == 200 and "needs the permission" in r.content.decode()
    # a group holding it (given in the admin, or by an older join_tier) grants nothing
    Group.objects.get(name="sys").permissions.add(Permission.objects.get(codename="execute_scripts"))
    r = panel.client.post(url, script, follow=True)
    assert "needs the permission" in r.content.decode()
    assert panel.server.commands.get("gpu-box", {}).get("command") != "EXECUTE"
    assert [(e.username, e.outcome) for e in AuditEntry.objects.order_by("id")] == [("carol", "refused")] * 2
    carol.user_permissions.add(Permission.objects.get(codename="execute_scripts"))
    panel.client.post(url, script)
    assert panel.server.commands["gpu-box"]["command"] == "EXECUTE"
    assert AuditEntry.objects.first().outcome == "S"


@pytest.mark.django_db
def test_a_superuser_grants_execute_to_an_account_on_its_admin_page():
    from django.contrib.auth.models import User as Account

    root = Account.objects.create_superuser("root", "", "pw")
    dave = Account.objects.create_user("dave", "", "pw")
    perm = Permission.objects.get(codename="execute_scripts")
    c = Client()
    c.force_login(root)
    page = c.get(f"/admin/auth/user/{dave.pk}/change/").content.decode()
    assert f'<option value="{perm.pk}"' in page and "Can run shell scripts on XMRigCC miners" in page
    form = {"username": "dave", "is_active": "on", "user_permissions": [perm.pk],
            "date_joined_0": "2025-01-01", "date_joined_1": "00:00:00", "initial-date_joined_0": "2025-01-01",
            "initial-date_joined_1": "00:00:00"}
    r = c.post(f"/admin/auth/user/{dave.pk}/change/", form)
    assert r.status_code == 302, r.content.decode()[:3000]
    assert list(dave.user_permissions.all()) == [perm]
