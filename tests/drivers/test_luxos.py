"""The LuxOS driver against its simulator: GH/s and MH/s in one firmware, boards sorted by ID, the
one-session rule around privileged commands, pool commands without a session, detection."""

import pytest

from rigs import drivers
from rigs.drivers import luxos
from rigs.drivers.errors import RigError
from rigs.simulators.luxos import LuxosSim, serve
from tests.drivers.asic_helpers import LIMITS, Address, serving


@pytest.fixture
def luxos_at(bg):
    start = serving(bg)
    return lambda sim: start(serve, sim, 1)


def test_poll_converts_summary_and_sorts_boards(bg, luxos_at):
    sim = LuxosSim()
    rig = Address(luxos_at(sim))
    sections, statuses = bg.run(luxos.poll(rig, **LIMITS))
    assert rig.joins is True and "profiles" in statuses
    s = sections["SUMMARY"][0]
    assert s["MHS 5s"] == pytest.approx(s["GHS 5s"] * 1000) and s["MHS 1m"] == pytest.approx(s["GHS 1m"] * 1000)
    assert [d["ID"] for d in sections["DEVS"]] == [0, 1, 2]  # sent as 2, 0, 1
    assert s["MHS 5s"] == pytest.approx(sum(d["MHS 5s"] for d in sections["DEVS"]), rel=1e-3)
    assert s["Power"] == sections["POWER"][0]["Watts"] and s["Nominal MHS"] == 120e6
    assert s["Temperature"] == max(t["TopRight"] for t in sections["TEMPS"])
    assert sections["FANS"][0]["FAN"] == "FAN0" and sections["POOLS"][0]["Long Pool"] == "N"


def test_session_commands_log_on_act_and_log_off(bg, luxos_at):
    sim = LuxosSim()
    rig = Address(luxos_at(sim))
    assert bg.run(luxos.command(rig, "profile", {"profile": "290MHz"}, **LIMITS))[0] == "S"
    assert sim.profile == "290MHz" and sim.session == ""  # logged off again
    assert bg.run(luxos.command(rig, "curtail", {"action": "sleep"}, **LIMITS))[:2] == ("S", "Curtail")
    sections, _ = bg.run(luxos.poll(rig, **LIMITS))
    assert sections["SUMMARY"][0]["MHS 5s"] == 0 and sections["SUMMARY"][0]["Curtail Mode"] == "Sleep"
    assert bg.run(luxos.command(rig, "identify", {"on": True}, **LIMITS))[0] == "S" and sim.red_led == "blink"
    letter, message, code = bg.run(luxos.command(rig, "profile", {"profile": "nonesuch"}, **LIMITS))
    assert letter == "E" and "not found" in message
    with pytest.raises(RigError, match="no comma"):
        bg.run(luxos.command(rig, "profile", {"profile": "a,b"}, **LIMITS))


def test_another_tools_session_is_reused_and_left_open(bg, luxos_at):
    sim = LuxosSim()
    rig = Address(luxos_at(sim))
    sim.rpc(b'{"command":"logon"}')
    theirs = sim.session
    assert bg.run(luxos.command(rig, "curtail", {"action": "wakeup"}, **LIMITS))[0] == "S"
    assert sim.session == theirs  # not ours to close


def test_pool_commands_need_no_session(bg, luxos_at):
    sim = LuxosSim()
    rig = Address(luxos_at(sim))
    assert bg.run(luxos.command(rig, "addpool", {"url": "stratum+tcp://n.example.org:700", "user": "u.1",
                                                 "password": ""}, **LIMITS))[0] == "S"
    assert sim.pools[-1] == {"url": "stratum+tcp://n.example.org:700", "user": "u.1", "enabled": True}
    assert bg.run(luxos.command(rig, "switchpool", {"pool": 1}, **LIMITS))[0] == "S" and sim.active == 1
    assert sim.session == ""


def test_detect_names_luxos(bg, luxos_at):
    kind, text = bg.run(drivers.detect("127.0.0.1", luxos_at(LuxosSim()), **LIMITS))
    assert kind == "luxos" and "2025.4.8" in text and "S19K Pro" in text


def test_a_session_id_that_is_not_one_is_refused(bg, luxos_at):
    sim = LuxosSim()
    real = sim.answer
    sim.answer = lambda cmd, param: ({"STATUS": sim.st("S", 316, "Logon"), "SESSION": [{"SessionID": "x,rebootdevice"}]}
                                     if cmd == "logon" else real(cmd, param))
    rig = Address(luxos_at(sim))
    with pytest.raises(RigError, match="no session"):
        bg.run(luxos.command(rig, "reboot", {}, **LIMITS))
