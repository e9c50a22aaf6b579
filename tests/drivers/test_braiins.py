"""The Braiins OS driver against its simulator: MH/s reads with boards numbered from 1, temps and
tuner power, the REST write path (login token without "Bearer", re-login on 401), detection."""

import pytest

from rigs import drivers
from rigs.drivers import braiins
from rigs.drivers.errors import RigError
from rigs.simulators.braiins import BraiinsSim, serve
from tests.drivers.asic_helpers import LIMITS, Address, serving


@pytest.fixture
def braiins_at(bg):
    start = serving(bg)
    return lambda sim: start(serve, sim, 2)


def test_poll_maps_temps_and_tuner_power(bg, braiins_at):
    sim = BraiinsSim(password="pw")
    rpc, web = braiins_at(sim)
    sections, statuses = bg.run(braiins.poll(Address(rpc, "pw", web), **LIMITS))
    s = sections["SUMMARY"][0]
    assert [d["ID"] for d in sections["DEVS"]] == [1, 2, 3]
    for d, t in zip(sections["DEVS"], sections["TEMPS"]):
        assert (d["Temperature"], d["Chip Temp"]) == (t["Board"], t["Chip"])  # devs say 0.0: temps tell
    assert s["Power"] == sections["TUNERSTATUS"][0]["ApproximateMinerPowerConsumption"]
    assert s["Power Limit"] == 3500 and len(sections["TUNERCHAINS"]) == 3
    assert "TunerChainStatus" not in sections["TUNERSTATUS"][0]
    assert s["Temperature"] == max(t["Board"] for t in sections["TEMPS"])  # the hottest board
    assert s["Chip Temp"] == max(t["Chip"] for t in sections["TEMPS"])
    sim.booting = True  # `temps` answers "Not ready": the rest still shows
    sections, statuses = bg.run(braiins.poll(Address(rpc, "pw", web), **LIMITS))
    assert statuses["temps"]["Msg"] == "Not ready" and sections["SUMMARY"][0]["MHS 5s"] > 0


def test_rest_writes(bg, braiins_at):
    sim = BraiinsSim(password="pw")
    rpc, web = braiins_at(sim)
    rig = Address(rpc, "pw", web)
    assert bg.run(braiins.command(rig, "powertarget", {"watts": 3000}, **LIMITS)) == ("S",
                                                                                      "Power target set to 3000 W.")
    letter, message = bg.run(braiins.command(rig, "powertarget", {"watts": 9000}, **LIMITS))
    assert letter == "W" and "4500 W" in message and sim.power_target == 4500
    assert bg.run(braiins.command(rig, "pause", {}, **LIMITS))[0] == "S" and sim.sleeping
    assert bg.run(braiins.command(rig, "pause", {}, **LIMITS))[0] == "I"
    sections, _ = bg.run(braiins.poll(rig, **LIMITS))
    assert sections["SUMMARY"][0]["MHS 5s"] == 0
    assert bg.run(braiins.command(rig, "resume", {}, **LIMITS))[0] == "S" and not sim.sleeping
    assert bg.run(braiins.command(rig, "identify", {"on": True}, **LIMITS))[0] == "S" and sim.locate is True
    sim.tokens.clear()  # the miner restarted: the cached token is refused once, then renewed
    assert bg.run(braiins.command(rig, "reboot", {}, **LIMITS))[0] == "S"


def test_wrong_password_and_old_firmware(bg, braiins_at):
    sim = BraiinsSim(password="right")
    rpc, web = braiins_at(sim)
    with pytest.raises(RigError, match="refused user 'root'"):
        bg.run(braiins.command(Address(rpc, "wrong", web), "pause", {}, **LIMITS))
    assert sim.sleeping is False
    assert bg.run(braiins.check_access(Address(rpc, "right", web), **LIMITS))[0] is True


def test_detect_names_braiins(bg, braiins_at):
    rpc, _ = braiins_at(BraiinsSim())
    kind, text = bg.run(drivers.detect("127.0.0.1", rpc, **LIMITS))
    assert kind == "braiins" and "boser-buildroot" in text


def test_a_token_with_a_line_break_is_never_sent(bg, braiins_at):
    sim = BraiinsSim(password="pw")
    real = sim.web

    def login_gives_a_header_in_the_token(method, target, headers, body, peer):
        if target == "/api/v1/auth/login":
            body = b'{"token": "t\\r\\nX-Injected: 1", "timeout_s": 60}'
            return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body), False
        return real(method, target, headers, body, peer)

    sim.web = login_gives_a_header_in_the_token
    rpc, web = braiins_at(sim)
    with pytest.raises(RigError, match="not a plain printable value"):
        bg.run(braiins.command(Address(rpc, "pw", web), "pause", {}, **LIMITS))
    assert sim.sleeping is False
