"""The Avalon driver on replies real Avalon Mini 3 and Nano 3 machines sent (tests/fixtures/real/avalon/, provenance
in tests/fixtures/real/SOURCES.md): detection by address alone, hashrate, the board, temperatures (the hottest board
sensor as Temperature where the model has one, the hottest chip beside it: never a chip figure as the board), fans,
power in watts, and a healthy machine read as ok. The Avalon 1566
and the Avalon Q are in test_real_replies.py."""

import json

import pytest

from rigs import drivers
from rigs.drivers import avalon
from rigs.drivers.cgminer.protocol import from_text
from rigs.readings.brief import make_brief
from tests.conftest import free_port
from tests.drivers.asic_helpers import LIMITS
from tests.replay import REAL, Replay, serve

AVALON = REAL / "avalon"


def text_reply(folder, command):
    """{SECTION: [records]} of a reply captured in the API's text form, read by the panel's own text parser."""
    response = from_text((AVALON / folder / f"{command}.txt").read_text(), command)[command]
    return response.sections


def test_mini3_is_found_by_address_alone_from_its_lversion(bg):
    """The Mini 3's `version` has no VERSION field, only LVERSION/BVERSION/CGVERSION (firmware 25011701)."""
    rig = Replay("avalon/pyasic-issue312-mini3-25011701", joins=False)
    port = free_port()
    bg.run(serve(rig, "127.0.0.1", port))
    assert bg.run(drivers.detect("127.0.0.1", port, **LIMITS)) == (
        "avalon", "Avalon Mini3 (Canaan cgminer, firmware 25011701_3f53b19)")


def test_mini3_power_is_the_wall_power_of_ps():
    """Mini 3: PS[0 1210 2083 37 760 2085 824], no WALLPOWER token. PS[4] is the hash board's output (20.83 V x
    37 A = 760 W); the seventh value is the wall, the figure WALLPOWER gives where the firmware writes it (the
    1566's PS[6] 3731 = its WALLPOWER; Canaan's Nano 3s source: power[6] "poutwall"). The thread's copy of the
    `stats` reply ends after PS: the STATS record around it is composed from the keys the same reply shows."""
    mm = (AVALON / "pyasic-issue312-mini3-25011701" / "mm_id0_truncated.txt").read_text()
    record = {"STATS": 0, "ID": "AVALON0", "Elapsed": 32260, "Calls": 0, "Wait": 0.0, "Max": 0.0,
              "Min": 99999999.0, "MM ID0": mm}
    s = avalon.to_sections({"STATS": [record]})["SUMMARY"][0]
    assert s["Power"] == 824
    # HBTemp[75] is the hash board's sensor; TMax[86] its hottest chip (TAvg[82] the chips' mean, no board); ITemp[39]
    # the air coming in. No per-board lists before the cut: the machine's figures only.
    assert s["Temperature"] == 75 and s["Chip Temp"] == 86 and s["Ambient Temp"] == 39
    assert s["System Status"] == "Work: In Work, Hash Board: 1"


def nano3_sections():
    """A Nano 3 (firmware 24071801_42c628d): the `stats` one user sent (text form) with the `summary` another
    user's Nano 3 of the same firmware sent: two machines, composed into one poll."""
    stats = text_reply("miner-sentinel-issue16-nano3-24071801", "stats")
    summary = json.loads((AVALON / "pyasic-issue199-nano3-24071801" / "summary.json").read_text())
    return avalon.to_sections({"STATS": stats["STATS"], "SUMMARY": summary["SUMMARY"]})


def test_nano3_power_is_not_ps4():
    """PS[0 0 0 3 2792 89 324] on a Nano 3 drawing some 80-90 W in its middle work level (WORKLEVEL[1]; its owner:
    "low is 60w, mid is 80w, full is 100w"). PS[4] 2792 is the supply's 27.92 V, PS[3] its amps (3, truncated),
    PS[5] the watts (3 A <= 89 W / 27.92 V < 4 A); PS[6] 324 is no power this machine can draw."""
    stats = text_reply("miner-sentinel-issue16-nano3-24071801", "stats")
    s = avalon.to_sections({"STATS": stats["STATS"]})["SUMMARY"][0]
    assert s["Power"] == 89
    assert s["Power Limit"] == 90  # MPO


def test_nano3_power_is_absent_when_its_ps_does_not_add_up():
    mm = "Ver[nano3-24071801_42c628d] MGHS[2474.77] PS[0 0 0 3 2792 500 324]"  # 500 W at 27.92 V is not 3 A
    s = avalon.to_sections({"STATS": [{"STATS": 0, "ID": "AVANANO0", "MM ID0": mm}]})["SUMMARY"][0]
    assert "Power" not in s and "Efficiency J/TH" not in s


def test_nano3_reads_right_and_healthy():
    """The Nano 3 has no hash board sensor: Temp[38] is the air in, OTemp[41] the air out, MTmax[87]/TMax[87] its
    hottest chip and MTavg[85]/TAvg[85] the chips' mean (Canaan's source: get_miner_temp_max, m_temp_summax and
    m_temp_sumavg, all from the chips). So no board Temperature, the chip beside it."""
    sections = nano3_sections()
    s = sections["SUMMARY"][0]
    assert s["MHS 5s"] == 2759123.01 and s["MHS av"] == 3961115.58  # summary's own MH/s
    assert [(d["MHS 5s"], d["Temperature"], d["Chip Temp"]) for d in sections["DEVS"]] == [(2474770.0, None, 87)]
    assert "Temperature" not in s and s["Chip Temp"] == 87 and s["Ambient Temp"] == 38
    assert [f["RPM"] for f in sections["FANS"]] == [3030]
    assert s["Power"] == 89 and s["Nominal MHS"] == 3203560.0
    brief = make_brief(sections, {}, "avalon")
    assert brief["figures"]["hashrate_now_hs"] == pytest.approx(2759123.01e6)
    assert brief["figures"]["max_temp"] is None and brief["figures"]["max_chip_temp"] == 87
    assert brief["figures"]["hw_pct"] == pytest.approx(0.0001)  # its own Device Hardware%


def test_nano3_at_its_target_temperature_is_healthy():
    """Its chips at 85-87 °C with its own target TarT[85]: healthy (chips are judged against TEMP_CHIP_WARN), not
    "ASC 0 at 85°C" from the chips' mean read as the board against TEMP_WARN."""
    assert make_brief(nano3_sections(), {}, "avalon")["health"] == {"state": "ok", "reasons": []}


def test_nano3_chips_still_warn_against_the_chip_limits():
    """The same real reply with its hottest chip at 108 °C (MTmax, TMax): the chips warn at TEMP_CHIP_WARN 105."""
    stats = text_reply("miner-sentinel-issue16-nano3-24071801", "stats")
    record = dict(stats["STATS"][0])
    record["MM ID0"] = record["MM ID0"].replace("TMax[87]", "TMax[108]").replace("MTmax[87]", "MTmax[108]")
    sections = avalon.to_sections({"STATS": [record]})
    assert sections["SUMMARY"][0]["Chip Temp"] == 108 and "Temperature" not in sections["SUMMARY"][0]
    health = make_brief(sections, {}, "avalon")["health"]
    assert health["state"] == "warn"
    assert [(r["key"], r["text"]) for r in health["reasons"]] == [("chiptemp:ASC 0:warn", "ASC 0 chips at 108°C")]
