"""The Avalon driver against its simulator (the AvalonMiner 1566 capture): MM ID0 tokens into boards,
temperatures, power and fans; bare inf and a leading comma repaired; ascset without auth (S or I),
softon closing unanswered, one connection at a time; detection."""

import pytest

from rigs import drivers
from rigs.drivers import avalon
from rigs.drivers.errors import RigError
from rigs.simulators.avalon import AvalonSim, serve
from tests.drivers.asic_helpers import LIMITS, Address, serving


@pytest.fixture
def avalon_at(bg):
    start = serving(bg)
    return lambda sim: start(serve, sim, 1)


def test_mm_id0_tokens():
    mm = avalon.tokens("SYSTEMSTATU[Work: In Work, Hash Board: 3 ] TMax[78] Tmax[1] MGHS[59459.52 61407.83] FACOPTS0[]")
    assert mm == {"SYSTEMSTATU": "Work: In Work, Hash Board: 3", "TMax": "78", "Tmax": "1",
                  "MGHS": "59459.52 61407.83", "FACOPTS0": ""}


def test_poll_maps_the_mm_string(bg, avalon_at):
    sim = AvalonSim()
    sections, _ = bg.run(avalon.poll(Address(avalon_at(sim)), **LIMITS))
    mm = avalon.tokens(sections["STATS"][0]["MM ID0"])
    assert sections["STATS"][0]["Max"] is None  # the bare inf, repaired
    assert [d["MHS 5s"] for d in sections["DEVS"]] == [float(x) * 1000 for x in mm["MGHS"].split()]
    assert [d["Chip Temp"] for d in sections["DEVS"]] == [float(x) for x in mm["MTmax"].split()]
    s = sections["SUMMARY"][0]
    assert s["Chip Temp"] == float(mm["TMax"]) and s["Power"] == float(mm["WALLPOWER"])
    # the 1566 has no hash board sensor: no board Temperature (MTavg, the chips' means, is no board either)
    assert "Temperature" not in s and [d["Temperature"] for d in sections["DEVS"]] == [None, None, None]
    assert s["Nominal MHS"] == float(mm["GHSmm"]) * 1000 and [f["RPM"] for f in sections["FANS"]] == [4275, 4282]
    assert "PVT_T0" not in sections["AVALON"][0] and sections["AVALON"][0]["Core"] == "A3197S"


def test_mini3_model_reads_its_board_sensor(bg, avalon_at):
    sim = AvalonSim(model="mini3")
    rig = Address(avalon_at(sim))
    assert bg.run(drivers.detect(rig.host, rig.port, **LIMITS)) == (
        "avalon", "Avalon Mini3 (Canaan cgminer, firmware 25011701_3f53b19)")
    sections, _ = bg.run(avalon.poll(rig, **LIMITS))
    mm = avalon.tokens(sections["STATS"][0]["MM ID0"])
    s = sections["SUMMARY"][0]
    assert s["Temperature"] == float(mm["HBTemp"]) and s["Chip Temp"] == float(mm["TMax"])
    assert [(d["Temperature"], d["Chip Temp"]) for d in sections["DEVS"]] == [(s["Temperature"], s["Chip Temp"])]
    assert s["Power"] == 824 and s["Ambient Temp"] == 39 and "WALLPOWER" not in mm
    assert bg.run(avalon.command(rig, "softpower", {"action": "off"}, **LIMITS))[0] == "S"
    s = bg.run(avalon.poll(rig, **LIMITS))[0]["SUMMARY"][0]
    assert "Chip Temp" not in s and s["Temperature"] > 0 and s["MHS 5s"] == 0  # TMax[0] soft-off, as the Q's


def test_mini3_model_is_true_to_the_real_mini3():
    """Its `version` has the real Mini 3's fields (pyasic issue #312), and its `MM ID0` string the real one's tokens
    in the same order, as far as the stored copy of the real one goes."""
    from rigs.drivers.cgminer.protocol import from_text
    from tests.replay import REAL

    folder = REAL / "avalon" / "pyasic-issue312-mini3-25011701"
    real = from_text((folder / "version.txt").read_text(), "version")["version"].sections["VERSION"][0]
    sim = AvalonSim(model="mini3")
    assert list(sim.read_version()["VERSION"][0]) == list(real)
    real_keys = list(avalon.tokens((folder / "mm_id0_truncated.txt").read_text()))
    assert list(avalon.tokens(sim.mm_id0()))[:len(real_keys)] == real_keys


def test_a_reply_that_starts_with_a_comma(bg, avalon_at):
    sections, _ = bg.run(avalon.poll(Address(avalon_at(AvalonSim(leading_comma=True))), **LIMITS))
    assert sections["SUMMARY"][0]["MHS 1m"] > 0


def test_ascset_controls(bg, avalon_at):
    sim = AvalonSim()
    rig = Address(avalon_at(sim))
    assert bg.run(avalon.command(rig, "identify", {"on": True}, **LIMITS))[0] == "S" and sim.led
    letter, message, code = bg.run(avalon.command(rig, "softpower", {"action": "off"}, **LIMITS))
    assert (letter, code) == ("S", 118) and "softoff" in message and sim.sleeping  # an I is a success
    sections, _ = bg.run(avalon.poll(rig, **LIMITS))
    assert sections["SUMMARY"][0]["MHS 1m"] == 0 and sections["SUMMARY"][0]["Power"] == 0
    letter, message = bg.run(avalon.command(rig, "softpower", {"action": "on"}, **LIMITS))
    assert letter == "S" and "stats say it is on" in message and not sim.sleeping  # no reply: read back
    sim.softoff_stays = True
    bg.run(avalon.command(rig, "softpower", {"action": "off"}, **LIMITS))
    letter, message = bg.run(avalon.command(rig, "softpower", {"action": "on"}, **LIMITS))
    assert letter == "W" and "next poll shows" in message  # its stats still say soft off: not claimed
    sim.started -= 900
    assert bg.run(avalon.command(rig, "reboot", {}, **LIMITS))[0] == "S" and sim.elapsed < 5


def test_one_connection_at_a_time(bg, avalon_at):
    sim = AvalonSim()
    rig = Address(avalon_at(sim))
    sim.busy = 1  # another tool holds the connection: a command is tried twice, then fails clearly
    with pytest.raises(RigError, match="without answering"):
        bg.run(avalon.command(rig, "reboot", {}, **LIMITS))
    sim.busy = 0
    assert bg.run(avalon.command(rig, "reboot", {}, **LIMITS))[0] == "S"


def test_detect_names_the_avalon(bg, avalon_at):
    kind, text = bg.run(drivers.detect("127.0.0.1", avalon_at(AvalonSim()), **LIMITS))
    assert (kind, text) == ("avalon", "Avalonminer 15-194 (Canaan cgminer, firmware 24102401_25462b2_9ddf522)")
