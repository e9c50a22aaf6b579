"""A rig that answers JSON nested far deeper than any firmware does (issue 23 item 3): a clear rig error
("reply nested too deeply") on every path that reads a rig, never a RecursionError; a skipped address
in a scan; one log line in the poller when it starts.

The hostile device is a tiny asyncio server on loopback answering in the framing of the question: HTTP
for the web drivers, a 4-byte length for Whatsminer API v3, a NUL-ended reply for the cgminer API."""

import asyncio
import base64
import io
import logging

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client, override_settings

from minerpanel.models import ApiToken
from rigs import drivers
from rigs.drivers import fastjson, http
from rigs.drivers.cgminer.protocol import load_json, parse_reply
from rigs.drivers.errors import RigError
from rigs.models import Rig, Snapshot
from rigs.polling import poller
from rigs.simulators.cgminer import SimFarm, SimRig

from .conftest import free_port

FAST = {"RIG_TIMEOUT": 2.0, "RIG_CONNECT_TIMEOUT": 1.0}
LIMIT = fastjson.MAX_DEPTH
TOO_DEEP = "reply nested too deeply"


def nested(depth, inner=b"1"):
    """A cgminer-shaped reply whose whole document nests ``depth`` levels (three are the reply's own)."""
    value = b"[" * (depth - 3) + inner + b"]" * (depth - 3)
    return b'{"STATUS":[{"STATUS":"S","Code":11,"Msg":"Summary","When":1}],"SUMMARY":[{"Elapsed":5,"Deep":' + \
        value + b"}],\"id\":1}"


class DeepDevice:
    """Answers every question with ``body``, framed as the question was."""

    def __init__(self, body):
        self.body, self.asked = body, 0

    async def handle(self, reader, writer):
        try:
            data = await asyncio.wait_for(reader.read(65536), 5)
            self.asked += 1
            if data.startswith((b"GET ", b"POST ")):
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(self.body) + self.body)
            elif len(data) >= 4 and int.from_bytes(data[:4], "little") == len(data) - 4:
                writer.write(len(self.body).to_bytes(4, "little") + self.body)
            else:
                writer.write(self.body + b"\0")
            await writer.drain()
        except (TimeoutError, OSError):
            pass
        finally:
            writer.close()


def serve(bg, body, host="127.0.0.1", port=0):
    device = DeepDevice(body)
    server = bg.run(asyncio.start_server(device.handle, host, port))
    device.port = server.sockets[0].getsockname()[1]
    return device


# ---------------------------------------------------------------- the bound itself


@pytest.mark.parametrize("depth", [4, 8, LIMIT])
def test_replies_up_to_the_limit_parse_as_before(depth):
    replies = parse_reply(nested(depth), "summary")
    assert replies["summary"].sections["SUMMARY"][0]["Elapsed"] == 5
    assert not fastjson.too_deep(nested(depth))


@pytest.mark.parametrize("depth", [LIMIT + 1, 1000, 1025, 100_000])
def test_every_parsing_entry_point_refuses_a_reply_nested_deeper(depth):
    raw = nested(depth)
    assert fastjson.too_deep(raw) and fastjson.loads(raw) is None
    for parse in (lambda: parse_reply(raw, "summary"),  # orjson, then the standard library
                  lambda: parse_reply(raw.replace(b"}]", b"}],", 1), "summary"),  # repaired (a trailing comma)
                  lambda: parse_reply(b"," + raw[1:], "summary"),  # Avalon's lost brace
                  lambda: load_json(raw.decode()),
                  lambda: http.json_body(raw)):
        with pytest.raises(RigError, match=TOO_DEEP):
            parse()


def test_the_shapes_a_count_alone_would_misjudge():
    deep = b"[" * 100_000  # never closed: the parsers recursed before finding the end
    assert fastjson.too_deep(deep) and fastjson.too_deep(b'{"a":' * 70 + b"1")
    ladder = b"".join(b"[[]," for _ in range(LIMIT + 1)) + b"1" + b"]" * (LIMIT + 1)  # a closed list at each level
    assert fastjson.too_deep(ladder)
    # brackets inside strings are text, escaped quotes included; siblings are not depth
    assert not fastjson.too_deep(b'{"Pool":"' + b"[" * 5000 + b'\\"{{{' + b'"}')
    assert not fastjson.too_deep(b'["\\\\",' + b"[" * 10 + b"]" * 10 + b"]")
    assert fastjson.too_deep(b'["\\\\",' + b"[" * LIMIT + b"]" * LIMIT + b"]")
    assert not fastjson.too_deep(b"[" + b",".join([b"[[[1]]]"] * 5000) + b"]")
    assert not fastjson.too_deep(b'{"a":[1,2')  # broken, not deep: the parser's own message says so


def test_real_replies_are_far_from_the_limit():
    from rigs.simulators.cgminer import FLAVOURS

    for flavour in FLAVOURS:
        raw = SimRig(flavour=flavour, devices=16, pools=4).handle(b'{"command":"summary+devs+pools+stats"}')
        assert not fastjson.too_deep(raw)


# ---------------------------------------------------------------- every driver, through a hostile device


@pytest.mark.parametrize("kind", ["cgminer", "antminer", "vnish", "braiins", "whatsminer", "avalon", "luxos",
                                  "xmrig", "xmrigcc-server"])
@pytest.mark.parametrize("depth", [LIMIT + 1, 100_000])
def test_every_driver_says_the_reply_is_nested_too_deeply(bg, kind, depth):
    device = serve(bg, nested(depth))
    rig = Rig(name="deep", kind=kind, host="127.0.0.1", port=device.port, web_port=device.port, token="t",
              username="admin")
    with pytest.raises(RigError, match=TOO_DEEP):
        asyncio.run(drivers.driver(kind).poll(rig, timeout=2.0, connect_timeout=1.0))
    assert device.asked


@pytest.mark.parametrize("depth", [LIMIT + 1, 100_000])
def test_whatsminer_v3_and_its_encrypted_v2_replies(bg, depth):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    from rigs.drivers import whatsminer_crypto, whatsminer_v3

    device = serve(bg, nested(depth))
    with pytest.raises(RigError, match=TOO_DEEP):
        asyncio.run(whatsminer_v3.call("127.0.0.1", device.port, {"cmd": "get.device.info"}, timeout=2.0))
    key = b"k" * 32
    data = nested(depth) + b"\0" * (-len(nested(depth)) % 16)
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    with pytest.raises(RigError, match=TOO_DEEP):
        whatsminer_crypto.decrypt(key, base64.b64encode(enc.update(data) + enc.finalize()).decode())


# ---------------------------------------------------------------- the pages, the API, discovery, the poller


@pytest.fixture
def sys_user(db):
    alice = User.objects.create_user("alice", password="x", is_staff=True)
    alice.groups.add(Group.objects.get_or_create(name="sys")[0])
    return alice


@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
@pytest.mark.parametrize("depth", [LIMIT + 1, 100_000])
def test_the_api_check_now_and_the_rig_page_answer_a_rig_error(bg, sys_user, depth):
    device = serve(bg, nested(depth))
    rig = Rig.objects.create(name="deep", host="127.0.0.1", port=device.port)
    _, text = ApiToken.issue(sys_user, "script")
    c = Client()
    r = c.get("/api/rigs/deep/summary/?fresh=1", HTTP_AUTHORIZATION=f"Bearer {text}")
    assert r.status_code == 502 and TOO_DEEP in r.json()["error"]
    c.force_login(sys_user)
    r = c.post(f"/rigs/{rig.pk}/access/")  # "Check now"
    assert r.status_code == 302
    rig.refresh_from_db()
    assert TOO_DEEP in rig.access_msg
    page = c.get(f"/rigs/{rig.pk}/")
    assert page.status_code == 200 and TOO_DEEP in page.content.decode()


@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
def test_a_legit_reply_still_reads_through_the_api(bg, sys_user):
    device = serve(bg, nested(LIMIT))
    Rig.objects.create(name="deep", host="127.0.0.1", port=device.port)
    _, text = ApiToken.issue(sys_user, "script")
    r = Client().get("/api/rigs/deep/summary/?fresh=1", HTTP_AUTHORIZATION=f"Bearer {text}")
    assert r.status_code == 200 and r.json()["SUMMARY"][0]["Elapsed"] == 5


def scan_range(bg, depth):
    """A simulated rig on 127.0.0.2 and the hostile device on 127.0.0.3, the same port: its `version`
    reply nests ``depth`` levels."""
    port = free_port()
    bg.run(SimFarm([SimRig(flavour="cgminer")], "127.0.0.2", port).start())
    inner = b"[" * (depth - 3) + b"]" * (depth - 3)
    serve(bg, b'{"STATUS":[{"STATUS":"S","Code":22,"Msg":"CGMiner versions"}],"VERSION":[{"CGMiner":'
              + inner + b',"API":"3.7"}],"id":1}', "127.0.0.3", port)
    return port


@pytest.mark.django_db
@pytest.mark.parametrize("depth", [LIMIT + 1, 100_000])
def test_a_scan_skips_the_hostile_address_and_finds_the_others(bg, depth):
    port = scan_range(bg, depth)
    out = io.StringIO()
    call_command("discover", "--scan", "127.0.0.0/29", "--port", str(port), "--timeout", "2", stdout=out)
    lines = out.getvalue().splitlines()
    assert any(line.startswith("127.0.0.2 ") for line in lines)
    assert not any(line.startswith("127.0.0.3 ") for line in lines)


@pytest.mark.django_db
def test_the_admins_discover_page_lists_the_others(bg, sys_user):
    port = scan_range(bg, 100_000)
    c = Client()
    c.force_login(sys_user)
    r = c.post("/admin/discover/", {"action": "run", "how": "scan", "cidr": "127.0.0.0/29", "port": port,
                                    "timeout": 2, "code": "FTW"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "127.0.0.2" in html and "127.0.0.3" not in html


@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
def test_the_poller_logs_one_line_when_it_starts_not_a_traceback_a_round(bg, caplog):
    device = serve(bg, nested(100_000))
    rig = Rig.objects.create(name="deep", host="127.0.0.1", port=device.port)
    with caplog.at_level(logging.INFO, logger="rigs"):
        for _ in range(3):
            asyncio.run(poller.poll_once())
    snap = Snapshot.objects.get(rig=rig)
    assert snap.error_kind == "badreply" and TOO_DEEP in snap.error and snap.state() == "unreachable"
    mine = [r for r in caplog.records if str(rig.id) in r.getMessage()]
    assert len(mine) == 1 and TOO_DEEP in mine[0].getMessage() and mine[0].levelno == logging.WARNING
    assert not any(r.exc_info for r in caplog.records) and "Traceback" not in caplog.text
    assert device.asked >= 3


def test_ckpool_says_so_for_its_stats_its_files_and_a_user_file(bg, tmp_path):
    """ckpool's socket replies and the files it rewrites pass the same bound."""
    import types

    from rigs.drivers import ckpool, ckpool_files
    from rigs.simulators.ckpool import CkpoolSim

    sim = CkpoolSim(str(tmp_path / "s"), str(tmp_path / "logs"), interval=3600)
    bg.run(sim.start())
    rig = types.SimpleNamespace(path=sim.sockdir, logdir=sim.logdir)
    sim.stratifier_stats = lambda: "[" * 100_000 + "]" * 100_000
    (tmp_path / "logs" / "users" / "mallory").write_bytes(b'{"worker":' + b"[" * 100_000)
    sections, statuses = asyncio.run(ckpool.poll(rig, timeout=2.0, connect_timeout=1.0))
    assert TOO_DEEP in statuses["stats"]["Msg"] and sections["POOLSTATUS"][0]["Stratifier"] == "up"
    assert "user file mallory: reply nested too deeply" in statuses["files"]["Msg"]
    status = tmp_path / "logs" / "pool" / "pool.status"
    lines = status.read_bytes().splitlines()
    status.write_bytes(b"\n".join([lines[0], b'{"a":' * 70 + b"1" + b"}" * 70, *lines[2:]]))
    with pytest.raises(RigError, match=TOO_DEEP):
        ckpool_files.read_logs(sim.logdir)
