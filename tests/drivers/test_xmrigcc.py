"""The XMRigCC server driver against the XMRigCC simulator: auth, odd status codes, sticky and one-shot
commands, offline clients, curtailment, and what something else on the port gives. Through the panel:
test_xmrigcc_panel.py."""

import asyncio
import base64
import json
import types

import pytest

from rigs.drivers import xmrigcc
from rigs.drivers.errors import RigError
from rigs.simulators.xmrigcc import Server
from tests.conftest import Clock

POOL_PASS = "x-fake-pool-pass"
FAST = {"timeout": 2.0, "connect_timeout": 1.0}


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


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
