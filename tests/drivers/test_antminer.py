"""The Antminer stock-firmware driver against its simulator: GH/s mapped to MH/s, one device per
present hashboard, join refusal, writes through the digest-auth web CGI read back, detection."""

import asyncio

import pytest
from django.test import override_settings

from rigs import drivers
from rigs.drivers import antminer
from rigs.drivers.errors import RigError
from rigs.models import AuditEntry, Rig, Snapshot
from rigs.polling import poller
from rigs.simulators.antminer import AntminerSim, serve
from tests.conftest import free_port
from tests.drivers.asic_helpers import FAST, LIMITS, Address, serving, sys_client


@pytest.fixture
def antminer_at(bg):
    start = serving(bg)
    return lambda sim: start(serve, sim, 2)


def test_poll_maps_gh_to_mhs_and_boards_from_stats(bg, antminer_at):
    sim = AntminerSim(password="pw")
    rpc, web = antminer_at(sim)
    rig = Address(rpc, "pw", web)
    sections, statuses = bg.run(antminer.poll(rig, **LIMITS))
    assert rig.joins is False  # S19-class bmminer refuses summary+stats: one request per command
    assert set(statuses) == {"version", "summary", "pools", "stats"}
    s = sections["SUMMARY"][0]
    assert s["MHS 5s"] == pytest.approx(s["GHS 5s"] * 1000, rel=1e-6)
    assert s["MHS av"] == pytest.approx(s["GHS av"] * 1000, rel=1e-6)
    flat = sections["STATS"][1]  # the firmware's own record stays visible, repaired from its `}{`
    assert flat["chain_rate4"] == "" and len(sections["DEVS"]) == 3  # the empty fourth slot is no board
    for dev, n in zip(sections["DEVS"], (1, 2, 3)):
        assert dev["MHS 5s"] == pytest.approx(float(flat[f"chain_rate{n}"]) * 1000)
        assert dev["Temperature"] == max(float(t) for t in flat[f"temp_pcb{n}"].split("-"))
        assert dev["Chip Temp"] == max(float(t) for t in flat[f"temp_chip{n}"].split("-"))
    assert s["Temperature"] == max(d["Temperature"] for d in sections["DEVS"])  # the hottest board
    assert s["Chip Temp"] == max(d["Chip Temp"] for d in sections["DEVS"])
    assert [f["RPM"] for f in sections["FANS"]] == [flat[f"fan{i}"] for i in (1, 2, 3, 4)]
    assert s["Nominal MHS"] == flat["total_rateideal"] * 1000
    assert sections["POOLS"][0]["Pool Stale%%"] == 0.0 and sections["VERSION"][0]["Type"] == "Antminer S19 Pro"


def test_a_socket_kept_open_after_a_newline_ends_the_reply(bg, antminer_at):
    sim = AntminerSim()
    sim.fault = "keepopen"
    rpc, web = antminer_at(sim)
    sections, _ = bg.run(antminer.poll(Address(rpc, "root", web), connect_timeout=1.0, timeout=2.0))
    assert sections["SUMMARY"][0]["MHS 5s"] > 0


def test_sleep_is_written_with_miner_mode_and_read_back(bg, antminer_at):
    sim = AntminerSim(password="pw")
    rpc, web = antminer_at(sim)
    rig = Address(rpc, "pw", web)
    assert bg.run(antminer.command(rig, "workmode", {"mode": "1"}, **LIMITS)) == ("S", "Work mode set to Sleep.")
    assert sim.writes[-1]["miner-mode"] == 1 and sim.sleeping
    sections, _ = bg.run(antminer.poll(rig, **LIMITS))
    assert sections["SUMMARY"][0]["MHS 5s"] == 0 and all(d["Status"] == "Dead" for d in sections["DEVS"])
    sim.apply = lambda data: None  # a 2025 S21 build: "OK!" and nothing changes (asic-rs #310)
    letter, message = bg.run(antminer.command(rig, "workmode", {"mode": "0"}, **LIMITS))
    assert letter == "W" and "still 1" in message


def test_led_pools_and_reboot_through_the_cgi(bg, antminer_at):
    sim = AntminerSim(password="pw")
    rpc, web = antminer_at(sim)
    rig = Address(rpc, "pw", web)
    assert bg.run(antminer.command(rig, "identify", {"on": True}, **LIMITS))[0] == "S" and sim.led is True
    assert bg.run(antminer.command(rig, "identify", {"on": False}, **LIMITS))[0] == "S" and sim.led is False
    values = {"url1": "stratum+tcp://a.example.org:3333", "user1": "me.1", "password1": "p1",
              "url2": "stratum+tcp://b.example.org:3333", "user2": "me.2"}
    assert bg.run(antminer.command(rig, "setpools", values, **LIMITS))[0] == "S"
    assert sim.conf["pools"] == [{"url": "stratum+tcp://a.example.org:3333", "user": "me.1", "pass": "p1"},
                                 {"url": "stratum+tcp://b.example.org:3333", "user": "me.2", "pass": "x"},
                                 {"url": "", "user": "", "pass": ""}]
    sim.started -= 1000
    assert bg.run(antminer.command(rig, "reboot", {}, **LIMITS))[0] == "S" and sim.elapsed < 5


def test_a_wrong_web_password_is_explained_and_not_shown(bg, antminer_at):
    sim = AntminerSim(password="right")
    rpc, web = antminer_at(sim)
    with pytest.raises(RigError, match="refused user 'root'") as err:
        bg.run(antminer.command(Address(rpc, "wrong-secret", web), "reboot", {}, **LIMITS))
    assert "wrong-secret" not in err.value.message and sim.writes == []
    ok, message, *_ = bg.run(antminer.check_access(Address(rpc, "wrong-secret", web), **LIMITS))
    assert ok is False
    assert bg.run(antminer.check_access(Address(rpc, "right", web), **LIMITS))[0] is True
    with pytest.raises(RigError, match="HTTP|connect|refused"):
        bg.run(antminer.command(Address(rpc, "right", free_port()), "reboot", {}, **LIMITS))


def test_detect_tells_an_antminer_from_a_cgminer(bg, antminer_at):
    rpc, _ = antminer_at(AntminerSim())
    assert bg.run(drivers.detect("127.0.0.1", rpc, **LIMITS)) == (
        "antminer", "Antminer S19 Pro (stock firmware, bmminer)")


@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
def test_the_panel_polls_and_sends_pools_with_audit_and_no_password_in_clear(bg, antminer_at, builtin_pages):
    sim = AntminerSim(password="webpw")
    rpc, web = antminer_at(sim)
    rig = Rig.objects.create(name="s19", kind="antminer", host="127.0.0.1", port=rpc, web_port=web, token="webpw")
    asyncio.run(poller.poll_once())
    snap = Snapshot.objects.get(rig=rig)
    assert snap.state() == "ok" and snap.sections["SUMMARY"][0]["MHS 5s"] > 100_000_000
    c = sys_client()
    page = c.get(f"/rigs/{rig.pk}/").content.decode()
    assert "Set pools" in page and "Work mode" in page and "web interface" in page
    rate = snap.sections["SUMMARY"][0]["MHS 5s"] / 1e6
    assert f"{rate:,.2f} TH/s" in c.get("/?all=1").content.decode()  # the summary page, in the unit that suits it
    mobile = c.get("/pages/mobile/").content.decode()  # a built-in custom page reads MHS av
    assert f"{snap.sections['SUMMARY'][0]['MHS av'] / 1e6:,.2f} TH/s" in mobile
    c.post(f"/rigs/{rig.pk}/command/", {"command": "setpools", "url1": "stratum+tcp://new.example.org:3333",
                                        "user1": "w.1", "password1": "poolsecret", "confirm": "yes"})
    assert sim.conf["pools"][0]["pass"] == "poolsecret"
    c.post(f"/rigs/{rig.pk}/command/", {"command": "workmode", "mode": "1"})
    assert sim.sleeping
    entries = list(AuditEntry.objects.order_by("id").values_list("command", "outcome", "params"))
    assert [(e[0], e[1]) for e in entries] == [("setpools", "S"), ("workmode", "S")]
    assert "poolsecret" not in str(entries) and "webpw" not in str(list(AuditEntry.objects.values()))
    assert "webpw" not in c.get(f"/rigs/{rig.pk}/").content.decode()
