"""The xmrig driver against the xmrig simulator: auth rules, sections, warming up, pause/resume."""

import asyncio
import threading

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client, override_settings

from rigs.drivers import xmrig
from rigs.drivers.errors import RigError
from rigs.models import AuditEntry, Rig, Snapshot
from rigs.polling import poller
from rigs.simulators.xmrig import XmrigSim, serve
from tests.conftest import Clock

pytestmark = pytest.mark.django_db(transaction=True)
FAST = {"RIG_TIMEOUT": 2.0, "RIG_CONNECT_TIMEOUT": 1.0}


@pytest.fixture
def xmrig_farm():
    loops = []

    def make(*sims):
        import random

        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, daemon=True).start()
        base = random.randint(12000, 32000)
        servers = asyncio.run_coroutine_threadsafe(serve(list(sims), "127.0.0.1", base), loop).result(5)
        loops.append((loop, servers))
        return base

    yield make
    for loop, servers in loops:
        for s in servers:
            loop.call_soon_threadsafe(s.close)
        loop.call_soon_threadsafe(loop.stop)


def rig_at(port, token=""):
    return Rig(name="x", kind="xmrig", host="127.0.0.1", port=port, token=token)


def test_the_auth_pipeline_in_xmrigs_order():
    sim = XmrigSim(token="t0k", restricted=True)
    assert sim.handle("OPTIONS", "/2/summary", {}, b"")[0] == 200
    assert sim.handle("GET", "/favicon.ico", {}, b"")[0] == 404
    assert sim.handle("PATCH", "/2/summary", {}, b"")[0] == 405
    assert sim.handle("GET", "/2/summary", {}, b"")[0] == 401
    assert sim.handle("GET", "/2/summary", {"authorization": "Bearer nope"}, b"")[0] == 403
    assert sim.handle("GET", "/2/summary", {"authorization": "Bearer t0k"}, b"")[0] == 200
    assert sim.handle("POST", "/json_rpc", {"authorization": "Bearer t0k", "content-type": "application/json"},
                      b'{"method":"pause"}')[0] == 403  # restricted
    open_sim = XmrigSim(token="t0k", restricted=False)
    assert open_sim.handle("POST", "/json_rpc", {"authorization": "Bearer t0k", "content-type": "text/plain"},
                           b"")[0] == 415
    assert open_sim.handle("GET", "/1/threads", {"authorization": "Bearer t0k"}, b"")[0] == 404
    assert XmrigSim(restricted=True).handle("GET", "/2/summary", {}, b"")[0] == 200  # anonymous read-only
    assert XmrigSim(restricted=False).handle("GET", "/2/summary", {}, b"")[0] == 401  # unrestricted, no token


def test_json_rpc_errors_are_http_200():
    sim = XmrigSim(token="t", restricted=False)
    h = {"authorization": "Bearer t", "content-type": "application/json"}
    assert sim.handle("POST", "/json_rpc", h, b"{bad")[1]["error"]["code"] == -32700
    assert sim.handle("POST", "/json_rpc", h, b'{"id":3}')[1]["error"]["code"] == -32600
    assert sim.handle("POST", "/json_rpc", h, b'{"method":"dance","id":4}') == (
        200, {"id": 4, "jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}})
    sim.handle("POST", "/json_rpc", h, b'{"method":"stop"}')
    sim.handle("POST", "/json_rpc", h, b'{"method":"resume"}')
    assert sim.summary()["paused"] is False and sim.hashrate() == [0.0, 0.0, 0.0]  # resume does not undo stop


def test_sections_and_warming_up():
    clock = Clock()
    young = XmrigSim(clock=clock, uptime=30)
    sections = xmrig.to_sections(young.summary(), young.backends())
    s = sections["SUMMARY"][0]
    assert s["MHS 10s"] > 0 and s["MHS 15m"] is None and s["Hashrate"] == "warming up"
    assert sections["VERSION"][0]["Miner"] == "xmrig 6.26.0"
    assert sections["POOLS"][0]["URL"] == "pool.example.org:3333" and sections["DEVS"][0]["Name"] == "CPU"
    old = XmrigSim(clock=clock, uptime=3600)
    assert xmrig.to_sections(old.summary(), old.backends())["SUMMARY"][0]["Hashrate"] == "ok"


def test_driver_reads_and_reports_auth_problems(xmrig_farm):
    base = xmrig_farm(XmrigSim(token="secret", restricted=False), XmrigSim(restricted=True))
    sections, statuses = asyncio.run(xmrig.poll(rig_at(base, "secret"), timeout=2))
    assert sections["SUMMARY"][0]["Accepted"] > 0 and statuses["summary"]["STATUS"] == "S"
    with pytest.raises(RigError, match="wants a token"):
        asyncio.run(xmrig.poll(rig_at(base), timeout=2))
    with pytest.raises(RigError, match="refused the token"):
        asyncio.run(xmrig.poll(rig_at(base, "wrong"), timeout=2))
    with pytest.raises(RigError, match="restricted must be false"):
        asyncio.run(xmrig.command(rig_at(base + 1), "pause", timeout=2))


@override_settings(**FAST)
def test_poller_and_pause_resume_from_the_panel(xmrig_farm):
    sim = XmrigSim(token="secret", restricted=False)
    base = xmrig_farm(sim)
    rig = Rig.objects.create(name="xm", kind="xmrig", host="127.0.0.1", port=base, token="secret")
    asyncio.run(poller.poll_once())
    snap = Snapshot.objects.get(rig=rig)
    assert snap.state() == "ok" and snap.sections["SUMMARY"][0]["MHS av"] > 0
    alice = User.objects.create_user("alice", password="x")
    alice.groups.add(Group.objects.get_or_create(name="sys")[0])
    c = Client()
    c.force_login(alice)
    page = c.get(f"/rigs/{rig.pk}/").content.decode()
    assert "Pause mining" in page and "Switch to" not in page
    c.post(f"/rigs/{rig.pk}/command/", {"command": "pause"})
    assert sim.paused is True
    assert Snapshot.objects.get(rig=rig).sections["SUMMARY"][0]["Hashrate"] == "paused"
    c.post(f"/rigs/{rig.pk}/command/", {"command": "resume"})
    assert sim.paused is False
    r = c.post(f"/rigs/{rig.pk}/command/", {"command": "switchpool", "pool": "0"}, follow=True)
    assert "not a command for xmrig rigs" in r.content.decode()
    assert list(AuditEntry.objects.order_by("id").values_list("command", "outcome")) == [
        ("pause", "S"), ("resume", "S"), ("switchpool", "invalid")]
    assert "secret" not in "".join(AuditEntry.objects.values_list("message", flat=True))
