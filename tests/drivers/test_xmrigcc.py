"""The XMRigCC server driver against the XMRigCC simulator: auth, odd status codes,
sticky and one-shot commands, offline clients, config and log pages, EXECUTE's
permission, and secrets kept out of everything the panel shows or writes."""

import asyncio
import base64
import io
import json
import logging
import random
import types

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client, override_settings

from rigs.drivers import xmrigcc
from rigs.drivers.errors import RigError
from rigs.models import AuditEntry, Rig, Snapshot
from rigs.polling import poller
from rigs.simulators.xmrigcc import Server, demo_fleet, serve, write_demo_configs
from tests.conftest import Clock

POOL_PASS = "x-fake-pool-pass"
FAST = {"timeout": 2.0, "connect_timeout": 1.0}


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def fleet(bg, tmp_path):
    """A simulated XMRigCC server on loopback with four miners that have reported once."""
    clock = Clock()
    server = Server(str(tmp_path / "cc"), user="admin", password="s3cret", clock=clock)
    write_demo_configs(server)
    for _ in range(20):
        port = random.randint(12000, 32000)
        try:
            bg.run(serve(server, "127.0.0.1", port))
            break
        except OSError:
            continue
    miners = demo_fleet(server, clock=clock)
    f = types.SimpleNamespace(server=server, miners={m.client_id: m for m in miners}, clock=clock, bg=bg,
                              rig=types.SimpleNamespace(host="127.0.0.1", port=port, username="admin", token="s3cret"))
    f.tick = lambda: bg.call(lambda: [m.tick() for m in miners])
    f.tick()
    return f


# ---------------------------------------------------------------- the simulator is the real server


def test_admin_basic_auth_rules():
    s = Server("/tmp/unused-cc", user="admin", password="pw")
    assert s.handle("GET", "/admin/getClientStatusList", {}, b"")[0] == 401
    assert s.handle("GET", "/admin/getClientStatusList", {"authorization": basic("admin", "no")}, b"")[0] == 401
    assert s.handle("GET", "/admin/getClientStatusList", {"authorization": basic("admin", "pw")}, b"")[0] == 200
    assert s.handle("GET", "/admin/getClientStatusList", {"authorization": "Bearer pw"}, b"")[0] == 401
    unset = Server("/tmp/unused-cc", user="admin", password="")
    status, body, ctype = unset.handle("GET", "/admin/getClientStatusList", {}, b"")
    assert status == 403 and b"Please configure admin user and pass" in body and ctype == "text/html"


def test_client_bearer_auth_rules():
    open_ = Server("/tmp/unused-cc", user="a", password="b", token="")
    assert open_.handle("GET", "/client/getConfig?clientId=x", {}, b"")[0] != 401  # no token configured: open
    s = Server("/tmp/unused-cc", user="a", password="b", token="tok")
    assert s.handle("GET", "/client/getConfig?clientId=x", {}, b"")[0] == 401
    assert s.handle("GET", "/client/getConfig?clientId=x", {"authorization": "Bearer nope"}, b"")[0] == 403
    assert s.handle("GET", "/client/getConfig?clientId=x", {"authorization": basic("a", "b")}, b"")[0] == 403


def test_the_odd_status_codes(tmp_path):
    s = Server(str(tmp_path), user="a", password="b")
    auth = {"authorization": basic("a", "b")}
    post = {**auth, "content-length": "0"}
    assert s.handle("GET", "/admin/nothing", auth, b"")[0] == 400
    assert s.handle("GET", "/admin/nothing?clientId=x", auth, b"")[0] == 404
    assert s.handle("POST", "/admin/nothing", post, b"")[0] == 404
    assert s.handle("POST", "/admin/nothing?clientId=x", post, b"")[0] == 400
    assert s.handle("POST", "/admin/removeClientStatus?clientId=x", auth, b"")[0] == 400  # no Content-Length
    assert s.handle("GET", "/admin/getClientConfig?clientId=x", auth, b"")[0] == 500  # no config, no default
    assert s.handle("GET", "/admin/getClientLog?clientId=x", auth, b"") == (200, b"", "")
    assert s.handle("POST", "/admin/setClientConfig?clientId=default_miner", post, b"{}")[0] == 400
    assert s.handle("POST", "/admin/setClientConfig?clientId=a/b:c", post, b'{"x": 1}')[0] == 200
    assert (tmp_path / "a_b_c_config.json").read_text() == '{\n    "x": 1\n}'  # pretty on write
    assert s.handle("GET", "/admin/getClientConfig?clientId=a/b:c", auth, b"")[1] == b'{"x":1}'  # compact on read
    s.handle("POST", "/admin/setClientCommand?clientId=m", post, b'{"control_command": {"command": "DANCE"}}')
    assert s.commands["m"]["command"] == "START"  # unknown names store START


def test_start_and_stop_are_sticky_the_others_one_shot(tmp_path):
    s = Server(str(tmp_path), user="a", password="b")
    s.commands["m"] = {"command": "STOP", "payload": ""}
    assert [s.report("m", {})["control_command"]["command"] for _ in range(3)] == ["STOP"] * 3
    s.commands["m"] = {"command": "RESTART", "payload": ""}
    assert [s.report("m", {})["control_command"]["command"] for _ in range(3)] == ["RESTART", "START", "START"]


def test_server_overrides_what_miners_say(tmp_path):
    clock = Clock()
    s = Server(str(tmp_path), user="a", password="b", clock=clock)
    s.report("m", {"current_algo_name": "randomx", "external_ip": "6.6.6.6", "log": "one\ntwo\n"}, peer="10.1.1.1")
    st = s.status["m"]
    assert st["current_algo_name"] == "rx" and st["external_ip"] == "10.1.1.1" and st["log"] == ""
    assert st["last_status_update"] == int(clock.t) and s.logs["m"] == ["one", "two"]


# ---------------------------------------------------------------- the driver


def poll(f):
    return asyncio.run(xmrigcc.poll(f.rig, **FAST))


def test_every_client_is_a_row_and_the_pool_password_is_never_kept(fleet):
    sections, statuses = poll(fleet)
    rows = {r["Client"]: r for r in sections["CLIENTS"]}
    assert set(rows) == {"farm-a-01", "farm-a-02", "gpu-box", "office&pc"}
    assert all(r["Status"] == "RUNNING" for r in rows.values())
    assert rows["gpu-box"]["GPUs"] == "NVIDIA GeForce RTX 3070, NVIDIA GeForce RTX 3070"
    assert rows["farm-a-01"]["MHS 10s"] == pytest.approx(0.0024, rel=0.05)
    assert rows["farm-a-01"]["Algorithm"] == "rx" and rows["farm-a-01"]["Elapsed"] == 3600
    assert sections["SUMMARY"][0]["Clients"] == 4 and sections["SUMMARY"][0]["Running"] == 4
    assert [d["Name"] for d in sections["DEVS"]] == sorted(rows)
    assert POOL_PASS not in json.dumps(sections) and POOL_PASS not in json.dumps(statuses)


def test_clients_that_stop_reporting_go_offline(fleet):
    fleet.clock.t += 30
    fleet.bg.call(fleet.miners["gpu-box"].tick)
    fleet.clock.t += 45  # the others last reported 75 s ago, gpu-box 45 s ago
    rows = {r["Client"]: r["Status"] for r in poll(fleet)[0]["CLIENTS"]}
    assert rows == {"farm-a-01": "OFFLINE", "farm-a-02": "OFFLINE", "gpu-box": "RUNNING", "office&pc": "OFFLINE"}
    summary = poll(fleet)[0]["SUMMARY"][0]
    assert summary["Offline"] == 3 and summary["MHS 10s"] == pytest.approx(poll(fleet)[0]["CLIENTS"][2]["MHS 10s"])


def test_wrong_password_and_unconfigured_server_are_explained(fleet):
    fleet.rig.token = "wrong"
    with pytest.raises(RigError, match="refused the user or password"):
        poll(fleet)
    fleet.rig.token = "s3cret"
    fleet.server.password = ""
    with pytest.raises(RigError, match="no admin user and password configured"):
        poll(fleet)


def test_garbage_instead_of_a_list_is_an_error():
    with pytest.raises(RigError, match="client_status_list"):
        xmrigcc.to_sections({"client_status_list": "<b>hi</b>"})
    sections, _ = xmrigcc.to_sections({"current_server_time": 10, "client_status_list": [
        {"client_status": {"client_id": "<img src=x onerror=alert(1)>", "last_status_update": 5,
                           "hashrate_short": "fast", "shares_good": None, "gpu_info_list": "no"}}, "junk", 3]})
    assert sections["CLIENTS"][0]["MHS 10s"] == 0 and sections["CLIENTS"][0]["Client"].startswith("<img")


def test_redact_and_unredact():
    config = {"pools": [{"url": "u", "pass": "p1"}, {"url": "v", "pass": ""}], "http": {"access-token": "t"},
              "cc-client": {"access-token": None, "worker-id": "w"}}
    shown = xmrigcc.redact(config)
    assert shown["pools"][0]["pass"] == "•••" and shown["pools"][1]["pass"] == ""
    assert shown["http"]["access-token"] == "•••"
    assert shown["cc-client"] == config["cc-client"]
    edited = json.loads(json.dumps(shown))
    edited["pools"][0]["url"] = "new"
    edited["http"]["access-token"] = "changed"
    back = xmrigcc.unredact(edited, config)
    assert back["pools"][0] == {"url": "new", "pass": "p1"} and back["http"]["access-token"] == "changed"


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


@pytest.mark.parametrize("reply, message", [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\n<html>hi</html", "not JSON"),
    (b"SSH-2.0-OpenSSH_9.6\r\n", "not HTTP"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]", "client_status_list"),
    (b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", "HTTP 500"),
])
def test_something_else_on_the_port_is_a_clear_error(bg, reply, message):
    async def handle(reader, writer):
        await reader.read(65536)
        writer.write(reply)
        await writer.drain()
        writer.close()

    server = bg.run(asyncio.start_server(handle, "127.0.0.1", 0))
    port = server.sockets[0].getsockname()[1]
    rig = types.SimpleNamespace(host="127.0.0.1", port=port, username="a", token="b")
    with pytest.raises(RigError, match=message):
        asyncio.run(xmrigcc.poll(rig, **FAST))


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


def test_curtail_stores_stop_for_every_client_read_back_after_their_reports(fleet):
    """Sleep on an XMRigCC server: STOP for each client, taken at each miner's next report; resume: START."""
    letter, message = asyncio.run(xmrigcc.curtail(fleet.rig, "sleep", **FAST))
    assert letter == "S" and "4 client(s)" in message
    assert xmrigcc.curtailed(poll(fleet)[0]) is False  # stored, not yet taken: the miners have not reported
    fleet.tick()  # each takes STOP and pauses
    fleet.tick()  # ... and reports PAUSED
    sections = poll(fleet)[0]
    assert {r["Status"] for r in sections["CLIENTS"]} == {"PAUSED"} and xmrigcc.curtailed(sections) is True
    assert asyncio.run(xmrigcc.resume(fleet.rig, **FAST))[0] == "S"
    fleet.tick()
    fleet.tick()
    assert xmrigcc.curtailed(poll(fleet)[0]) is False
    with pytest.raises(RigError, match="sleep only"):
        asyncio.run(xmrigcc.curtail(fleet.rig, "power", "100", **FAST))
