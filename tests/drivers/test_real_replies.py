"""Every ASIC driver against replies captured from real machines (tests/fixtures/real/*/*/, provenance
in each SOURCES.md), served by a replay rig on loopback: detection, the poll, the figures and the health
the poller stores. A healthy real machine reads ok."""

import json

import pytest

from rigs import drivers
from rigs.drivers import antminer, avalon, braiins, luxos, whatsminer
from rigs.readings.brief import make_brief
from tests.conftest import free_port
from tests.drivers.asic_helpers import LIMITS, Address
from tests.replay import Replay, serve


@pytest.fixture
def replay(bg):
    def start(folder, **kw):
        rig = Replay(folder, **kw)
        port = free_port()
        bg.run(serve(rig, "127.0.0.1", port))
        return port
    return start


def polled(bg, driver, port, kind):
    sections, statuses = bg.run(driver.poll(Address(port), **LIMITS))
    return sections, make_brief(sections, statuses, kind)


def test_whatsminer_m20s_20200917_reads_despite_its_quoted_firmware(bg, replay):
    port = replay("whatsminer/foreman-apps-m20s-20200917")
    sections, brief = polled(bg, whatsminer, port, "whatsminer")
    s = sections["SUMMARY"][0]
    assert s["Firmware Version"] == "'20200917.22.REL'"  # \' repaired, as the firmware meant it
    assert brief["figures"]["hashrate_now_hs"] == pytest.approx(64143777.95e6)
    assert len(sections["DEVS"]) == 3 and [f["RPM"] for f in sections["FANS"]] == [4950, 4920]
    assert s["Temperature"] == 72.0 and s["Chip Temp"] == 87.7 and brief["figures"]["max_temp"] == 72.0
    assert s["Power"] == 3491 and len(sections["POOLS"]) == 2
    assert brief["figures"]["hw_pct"] == pytest.approx(0.022)  # its own Device Hardware%, not 912/5959 = 15 %
    assert brief["health"] == {"state": "ok", "reasons": []}


def test_braiins_os_plus_s9_absent_chip_sensors_and_empty_fan_slots(bg, replay):
    port = replay("braiins/foreman-apps-bosplus-0.2.0-s9")
    assert bg.run(drivers.detect("127.0.0.1", port, **LIMITS))[0] == "braiins"
    sections, brief = polled(bg, braiins, port, "braiins")
    s = sections["SUMMARY"][0]
    assert s["Temperature"] == 75.0 and s.get("Chip Temp") is None  # its chip sensors read 0: no reading
    assert [f["RPM"] for f in sections["FANS"]] == [2820, 3780]  # the S9's two empty fan slots dropped
    assert brief["figures"]["hashrate_now_hs"] == pytest.approx(15740915.842676325e6)
    assert brief["figures"]["hw_pct"] == pytest.approx(0.0016, abs=1e-4)  # not 186 / 339 shares = 54.9 %
    assert brief["health"] == {"state": "ok", "reasons": []}


def test_antminer_s17_pro_without_summary(bg, replay):
    port = replay("antminer/foreman-apps-s17pro-19.10.1.3")
    assert bg.run(drivers.detect("127.0.0.1", port, **LIMITS)) == (
        "antminer", "Antminer S17 Pro (stock firmware, bmminer)")
    sections, brief = polled(bg, antminer, port, "antminer")
    assert [d["MHS 5s"] for d in sections["DEVS"]] == [17968260.0, 18418000.0, 18610750.0]
    assert brief["figures"]["hashrate_now_hs"] == pytest.approx(54997.01e9)  # from stats when summary is missing
    s = sections["SUMMARY"][0]
    assert s["Temperature"] == 53 and s["Chip Temp"] == 80  # the hottest board, the hottest chip beside it
    assert [f["RPM"] for f in sections["FANS"]] == [2400, 3000, 3120, 2400]
    assert brief["figures"]["hw_pct"] is None  # no work figure: no "hardware errors 100.0 %"
    assert brief["health"] == {"state": "ok", "reasons": []}


def test_avalon_1566(bg, replay):
    port = replay("avalon/pyasic-avalon1566-24102401")
    assert bg.run(drivers.detect("127.0.0.1", port, **LIMITS)) == (
        "avalon", "Avalonminer 15-194 (Canaan cgminer, firmware 24102401_25462b2_9ddf522)")
    sections, brief = polled(bg, avalon, port, "avalon")
    assert [d["MHS 5s"] for d in sections["DEVS"]] == [59459520.0, 61407830.0, 63139660.0]
    assert brief["figures"]["hashrate_hs"] == pytest.approx(184007.0e9)  # GHSavg when summary is missing
    s = sections["SUMMARY"][0]
    # the 1566 has no hash board sensor (Temp[31] is its controller's, MTavg[69 70 71] the chips' means, once
    # read as boards): no board Temperature; the hottest chip MTmax/TMax 78 beside it
    assert s["Power"] == 3731 and "Temperature" not in s and s["Chip Temp"] == 78 and s["Ambient Temp"] == 31
    assert [(d["Temperature"], d["Chip Temp"]) for d in sections["DEVS"]] == [(None, 77), (None, 78), (None, 77)]
    assert [f["RPM"] for f in sections["FANS"]] == [4275, 4282]
    assert brief["health"] == {"state": "ok", "reasons": []}


def test_whatsminer_v3_vendor_example_reads_ok_with_lower_case_pools():
    """MicroBT's own API v3 replies (tests/fixtures/real/whatsminer-v3/, SOURCES.md). No published capture has
    pools: they are given in the fields pyasic's BTMinerV3Pool model and pyasic-rs's reader take (`id` from 1,
    `status` lower-case "alive", `stratum-active`...), the second without the `id` some firmwares leave out."""
    import json

    from rigs.drivers import whatsminer_v3
    from tests.replay import REAL

    folder = REAL / "whatsminer-v3" / "apidoc-m30s++-20240722"
    status = json.loads((folder / "get.miner.status.summary.json").read_text())["msg"]
    info = json.loads((folder / "get.device.info.json").read_text())["msg"]
    status["pools"] = [
        {"id": 1, "url": "stratum+tcp://btc.example.org:3333", "status": "alive", "account": "farm.m30",
         "stratum-active": True, "reject-rate": 0.0, "last-share-time": 1692685470},
        {"url": "stratum+tcp://btc.example.org:443", "status": "alive", "account": "farm.m30",
         "stratum-active": False, "reject-rate": 0.0, "last-share-time": 0}]
    sections = whatsminer_v3.to_sections(status, info)
    brief = make_brief(sections, {}, "whatsminer")
    s = sections["SUMMARY"][0]
    assert s["MHS 5s"] == 101.847e6 and s["Nominal MHS"] == 101.366e6 and s["Power"] == 3268
    assert s["Temperature"] == 72.3 and s["Chip Temp"] == 100.3  # the hottest board; the hottest chip beside it
    assert [(p["POOL"], p["Status"], p["Priority"]) for p in sections["POOLS"]] == [(1, "Alive", 0), (2, "Alive", 1)]
    assert [f["RPM"] for f in sections["FANS"]] == [4980, 5070]
    version = sections["VERSION"][0]
    assert version["Firmware"] == "20240722.07.51.REL" and version["Type"] == "M30S++_VH70"
    assert brief["figures"]["hashrate_now_hs"] == pytest.approx(101.847e12)
    assert brief["figures"]["max_temp"] == 72.3 and brief["figures"]["max_chip_temp"] == 100.3
    assert brief["health"] == {"state": "ok", "reasons": []}  # not "no alive pool"
    status["pools"][0]["status"] = "dead"
    assert [r["text"] for r in make_brief(whatsminer_v3.to_sections(status, info), {}, "whatsminer")["health"][
        "reasons"]] == ["pool 1 Dead", "failover: mining on pool 2, not pool 1"]


def test_a_whatsminer_refusing_version_and_devdetails_is_found_by_get_version(bg, replay):
    """Detection by address alone: the M20S's real replies, its `version` and `devdetails` refused with an error
    status (in the STATUS its other replies carry, "cgminer 4.9.2"), `get_version` answered in the API's flat
    shape (PROTOCOLS.md) with the firmware string the same machine's summary reports. Composed, not captured:
    no public capture of these three exists (tests/fixtures/real/SOURCES.md)."""
    rig = Replay("whatsminer/foreman-apps-m20s-20200917")
    refused = (b'{"STATUS":[{"STATUS":"E","When":1604757733,"Code":14,"Msg":"invalid cmd",'
               b'"Description":"cgminer 4.9.2"}],"id":1}')
    rig.replies.update(version=refused, devdetails=refused, get_version=(
        b'{"STATUS":"S","When":1604757733,"Code":131,"Msg":{"api_ver":"2.0.2",'
        b'"fw_ver":"\\\'20200917.22.REL\\\'","platform":"H6","chip":"K210"},"Description":""}'))
    port = free_port()
    bg.run(serve(rig, "127.0.0.1", port))
    assert bg.run(drivers.detect("127.0.0.1", port, **LIMITS)) == (
        "whatsminer", "Whatsminer (btminer API v2, firmware 20200917)")
    assert rig.asked[:3] == ["version", "devdetails", "get_version"]
    sections, brief = polled(bg, whatsminer, port, "whatsminer")
    assert brief["health"] == {"state": "ok", "reasons": []}


def test_braiins_s9_a_fan_that_stops_warns_its_empty_slots_never(bg, replay):
    """The real S9's fans reply: slots 2 and 3 read 0 from the start (empty, left out, never a warning); fan 1
    read 3780 RPM, so when the same reply later says 0 for it while the machine hashes, it has stopped."""
    rig = Replay("braiins/foreman-apps-bosplus-0.2.0-s9")
    port = free_port()
    bg.run(serve(rig, "127.0.0.1", port))
    sections, _ = bg.run(braiins.poll(Address(port), **LIMITS))
    first = make_brief(sections, {}, "braiins")
    assert first["health"] == {"state": "ok", "reasons": []} and first["fans"] == ["0", "1"]
    rig.replies["fans"] = rig.replies["fans"].replace(b'"RPM":3780', b'"RPM":0')
    sections, _ = bg.run(braiins.poll(Address(port), **LIMITS))
    second = make_brief(sections, {}, "braiins", previous=first)
    assert [(r["level"], r["text"]) for r in second["health"]["reasons"]] == [("warn", "fan 1 stopped")]
    assert make_brief(sections, {}, "braiins")["health"]["state"] == "ok"  # a rig never seen spinning: no rule
    asleep = {**sections, "SUMMARY": [{**sections["SUMMARY"][0], "MHS 5s": 0, "MHS av": 0}]}
    assert make_brief(asleep, {}, "braiins", previous=first)["health"]["state"] == "ok"  # not hashing: fans may stop


def test_luxos_s19k_pro_2025_4_8(bg, replay):
    """A LuxOS S19k Pro's real replies (tests/fixtures/real/luxos/, SOURCES.md): detected by address alone,
    `summary` in GH/s and `devs` in MH/s read as one rate, boards sorted by ID (sent 2, 0, 1), board sensors
    from `temps`, power, fans, four pools in two groups. Its two backup pools have been Dead since it started
    (Last Share Time = its uptime): the firmware says so, and a dead backup pool warns, as on every kind."""
    port = replay("luxos/asic-rs-s19kpro-2025.4.8")
    assert bg.run(drivers.detect("127.0.0.1", port, **LIMITS)) == (
        "luxos", "LuxOS 2025.4.8.220305-57b389c7 on Antminer S19K Pro")
    sections, brief = polled(bg, luxos, port, "luxos")
    s = sections["SUMMARY"][0]
    assert brief["figures"]["hashrate_now_hs"] == pytest.approx(59756.06e9)  # GHS 5s, in H/s
    assert brief["figures"]["hashrate_hs"] == pytest.approx(56917.91e9)
    assert [d["ID"] for d in sections["DEVS"]] == [0, 1, 2]
    assert sum(d["MHS 5s"] for d in sections["DEVS"]) == pytest.approx(s["MHS 5s"], rel=0.02)
    assert s["Temperature"] == 47.0 and s.get("Chip Temp") is None and s["Boards"] == 3
    assert s["Power"] == 1051 and s["Nominal MHS"] == 121.8e6 and s["Profile"] == "290MHz"
    assert [f["RPM"] for f in sections["FANS"]] == [1920, 1920, 2340, 2340]
    assert [(p["POOL"], p["Status"]) for p in sections["POOLS"]] == [
        (0, "Alive"), (1, "Dead"), (2, "Alive"), (3, "Dead")]
    assert brief["figures"]["hw_pct"] == 0.0 and brief["figures"]["reject_pct"] == pytest.approx(0.0774, abs=1e-4)
    assert [(r["level"], r["text"]) for r in brief["health"]["reasons"]] == [
        ("warn", "pool 1 Dead"), ("warn", "pool 3 Dead")]
    dead = {"POOLS": [p for p in sections["POOLS"] if p["Status"] == "Alive"]}
    assert make_brief({**sections, **dead}, {}, "luxos")["health"] == {"state": "ok", "reasons": []}


def test_luxos_s9_chip_sensors_are_chip_temp_not_temperature(bg, replay):
    """LuxOS on an S9 writes `temps` as Braiins OS does, `Board` and `Chip` per board (asic-dialects.md §3.5);
    the README's one rule: Temperature is the hottest board, the hottest chip is Chip Temp beside it, 0 is no
    sensor. The S19k Pro's real reply with its corner sensors replaced by the S9 layout."""
    rig = Replay("luxos/asic-rs-s19kpro-2025.4.8")
    temps = json.loads(rig.replies["temps"])
    temps["TEMPS"] = [{"ID": i, "TEMP": i, "Board": b, "Chip": c} for i, (b, c) in enumerate(
        [(61.0, 78.5), (63.0, 80.0), (62.0, 0)])]
    rig.replies["temps"] = json.dumps(temps).encode()
    port = free_port()
    bg.run(serve(rig, "127.0.0.1", port))
    sections, brief = polled(bg, luxos, port, "luxos")
    s = sections["SUMMARY"][0]
    assert s["Temperature"] == 63.0 and s["Chip Temp"] == 80.0  # not 80.0 as Temperature
    assert brief["figures"]["max_temp"] == 63.0 and brief["figures"]["max_chip_temp"] == 80.0
    assert [(d["Temperature"], d.get("Chip Temp")) for d in sections["DEVS"]] == [
        (47.0, 78.5), (47.0, 80.0), (47.0, None)]  # devs' own Temperature kept; the chip beside it


def test_avalon_q_soft_off_reads_no_temperature_and_no_fans():
    """A real Avalon Q (firmware 25052801) soft-off: its `MM ID0:Summary` string (tests/fixtures/real/avalon/
    asic-rs-avalonq-25052801/, SOURCES.md) says TMax[0], TAvg[0] and Fan1..4[0]. A 0 from a sensor is no reading:
    no 0.0 °C Temperature or Chip Temp, no fans; the board, its nominal rate and the power limit still read.
    The STATS record around the string is composed (its keys as the issue thread shows them)."""
    from tests.replay import REAL

    mm = (REAL / "avalon" / "asic-rs-avalonq-25052801" / "mm_id0_summary.txt").read_text()
    record = {"STATS": 0, "ID": "AVALON0", "Elapsed": 37850, "Calls": 0, "Wait": 0.0, "Max": 0.0, "Min": 99999999.0,
              "MM ID0:Summary": mm}
    sections = avalon.to_sections({"STATS": [record]})
    s = sections["SUMMARY"][0]
    assert s["Temperature"] == 27 and "Chip Temp" not in s and "FANS" not in sections and s["Ambient Temp"] == 26
    assert [(d["Temperature"], d["Chip Temp"]) for d in sections["DEVS"]] == [(27, None)]
    assert s["MHS 5s"] == 0 and s["Nominal MHS"] == 55032.79e3 and s["Power Limit"] == 800
    assert s["System Status"] == "Work: In Idle, Hash Board: 1" and len(sections["DEVS"]) == 1
    figures = make_brief(sections, {}, "avalon")["figures"]
    assert figures["max_temp"] == 27 and figures["max_chip_temp"] is None
