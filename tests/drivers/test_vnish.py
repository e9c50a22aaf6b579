"""The VNish driver against its simulator: Antminer reads, the REST token (raw, and "Bearer" for
system/*), settings written then read back, the locate toggle, presets checked first, detection."""

import pytest

from rigs import drivers
from rigs.drivers import vnish
from rigs.drivers.errors import RigError
from rigs.simulators.antminer import serve
from rigs.simulators.vnish import VnishSim
from tests.drivers.asic_helpers import LIMITS, Address, serving


@pytest.fixture
def vnish_at(bg):
    start = serving(bg)
    return lambda sim: start(serve, sim, 2)


def test_reads_are_the_antminers(bg, vnish_at):
    rpc, web = vnish_at(VnishSim())
    sections, _ = bg.run(vnish.poll(Address(rpc, "admin", web), **LIMITS))
    s = sections["SUMMARY"][0]
    assert s["MHS 5s"] == pytest.approx(s["GHS 5s"] * 1000) and len(sections["DEVS"]) == 3
    assert "vnish" in sections["VERSION"][0]["Type"]


def test_writes_through_the_rest_api(bg, vnish_at):
    sim = VnishSim(password="pw")
    rpc, web = vnish_at(sim)
    rig = Address(rpc, "pw", web)
    assert bg.run(vnish.command(rig, "preset", {"preset": "3000"}, **LIMITS)) == ("S", "Preset set.")
    assert sim.preset == "3000"
    letter, message = bg.run(vnish.command(rig, "preset", {"preset": "9999"}, **LIMITS))
    assert letter == "E" and "3250" in message and sim.preset == "3000"
    values = {"url1": "stratum+tcp://v.example.org:3333", "user1": "v.1", "password1": "vp"}
    assert bg.run(vnish.command(rig, "setpools", values, **LIMITS))[0] == "S"
    assert sim.conf["pools"][0] == {"url": "stratum+tcp://v.example.org:3333", "user": "v.1", "pass": "vp"}
    for on in (True, True, False):  # find-miner toggles: asked twice to blink, it blinks
        assert bg.run(vnish.command(rig, "identify", {"on": on}, **LIMITS))[0] == "S" and sim.find_miner is on
    assert bg.run(vnish.command(rig, "pause", {}, **LIMITS))[0] == "S" and sim.sleeping
    sections, _ = bg.run(vnish.poll(rig, **LIMITS))
    assert sections["SUMMARY"][0]["MHS 5s"] == 0
    sim.started -= 500
    assert bg.run(vnish.command(rig, "reboot", {}, **LIMITS))[0] == "S" and sim.elapsed < 5  # "Bearer" for system/*


def test_a_settings_write_vnish_ignores_is_reported(bg, vnish_at):
    sim = VnishSim(password="pw")
    rpc, web = vnish_at(sim)
    sim.apply = lambda data: None
    values = {"url1": "stratum+tcp://v.example.org:3333", "user1": "v.1"}
    assert bg.run(vnish.command(Address(rpc, "pw", web), "setpools", values, **LIMITS))[0] == "W"


def test_wrong_password_then_lockout(bg, vnish_at):
    sim = VnishSim(password="right")
    rpc, web = vnish_at(sim)
    for _ in range(5):
        with pytest.raises(RigError, match="refused the web password"):
            bg.run(vnish.command(Address(rpc, "wrong", web), "restart", {}, **LIMITS))
    with pytest.raises(RigError, match="too many tries"):
        bg.run(vnish.command(Address(rpc, "right", web), "restart", {}, **LIMITS))


def test_detect_names_vnish_before_antminer(bg, vnish_at):
    rpc, _ = vnish_at(VnishSim())
    kind, text = bg.run(drivers.detect("127.0.0.1", rpc, **LIMITS))
    assert (kind, text) == ("vnish", "VNish on Antminer S19 Pro (Vnish 1.2.6)")
