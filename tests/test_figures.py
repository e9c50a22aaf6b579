"""Normalised figures of every kind of rig, from real captures and the simulators."""

import json

import pytest

from rigs import figures as figures_module
from rigs.drivers import ckpool, xmrig, xmrigcc
from rigs.drivers.cgminer.protocol import as_number, parse_reply
from rigs.figures import AVERAGE, CURRENT, figures, number, rate_hs
from rigs.simulators.cgminer import SimRig
from rigs.simulators.xmrig import XmrigSim
from rigs.simulators.xmrigcc import Miner

from .conftest import BFG, CGM, fixture_bytes


def real(folder, name, command):
    reply = parse_reply(fixture_bytes(folder / name), command)
    sections = {}
    for response in reply.values():
        for sec, records in response.sections.items():
            sections.setdefault(sec, []).extend(records)
    return sections


def sim_sections(flavour, commands=("summary", "devs", "pools", "coin", "stats"), **kw):
    rig = SimRig(flavour=flavour, devices=2, pools=2, **kw)
    sections = {}
    for c in commands:
        for sec, records in parse_reply(rig.handle(json.dumps({"command": c}).encode()), c)[c].sections.items():
            sections.setdefault(sec, []).extend(records)
    return sections


@pytest.mark.parametrize("text, value", [
    ("110,566.89", 110566.89), ("37603.30", 37603.30), ("1 234.5", 1234.5), ("1.234,5", 1234.5),
    ("37603,30", 37603.30), ("", None), ("abc", None), (12, 12.0), (None, None), ("inf", None),
])
def test_numbers_with_separators(text, value):
    assert number(text) == value


def test_bfgminer_capture():
    f = figures("cgminer", real(BFG, "summary.json.raw", "summary"))
    assert f["hashrate_hs"] == pytest.approx(0.833e6)
    assert f["hashrate_now_hs"] == pytest.approx(0.928e6)  # MHS 20s
    # bfgminer's "Algorithm" is its CPU kernel (sse4_64), not the hash
    assert f["algorithm"] == "SHA-256d"
    assert (f["accepted"], f["rejected"], f["stale"], f["hw_errors"]) == (10, 1, 0, 0)
    assert f["role"] == "miner"


def test_cgminer_capture_with_coin():
    sections = real(CGM, "version+config+summary+pools+devs+stats+coin+notify+devdetails.json.raw",
                    "version+config+summary+pools+devs+stats+coin+notify+devdetails")
    f = figures("cgminer", sections)
    assert f["hashrate_hs"] == 0.0 and f["algorithm"] == "SHA-256d"  # COIN's "Hash Method": "sha256"


def test_bmminer_ghs_strings_and_stats_temperatures():
    sections = sim_sections("bmminer")
    s = sections["SUMMARY"][0]
    assert isinstance(s["GHS 5s"], str)
    f = figures("cgminer", sections)
    assert f["hashrate_hs"] == pytest.approx(s["GHS av"] * 1e9)
    assert f["hashrate_now_hs"] == pytest.approx(float(s["GHS 5s"]) * 1e9)
    sections["SUMMARY"][0]["GHS 5s"] = "110,566.89"
    sections["STATS"] = [{"STATS": 0, "ID": "BMM0", "temp1": 61, "temp2_1": 83, "temp_num": 3, "temp_max": 0}]
    f = figures("cgminer", sections)
    assert f["hashrate_now_hs"] == pytest.approx(110566.89e9)
    assert f["max_temp"] == 83


def test_sgminer_devices_give_the_hottest_temperature():
    sections = sim_sections("sgminer")
    temps = [d["Temperature"] for d in sections["DEVS"] if d.get("Temperature")]
    assert figures("cgminer", sections)["max_temp"] == max(temps)


def test_pool_algorithm_names_the_hash():
    sections = {"SUMMARY": [{"MHS av": 1.0}], "POOLS": [{"POOL": 0, "Algorithm": "scrypt"}]}
    assert figures("cgminer", sections)["algorithm"] == "scrypt"


def test_xmrig_from_its_simulator():
    sim = XmrigSim()
    f = figures("xmrig", xmrig.to_sections(sim.summary(), sim.backends()))
    assert f["algorithm"] == "RandomX"
    assert 1000 < f["hashrate_hs"] < 3000  # H/s, not MH/s
    assert f["role"] == "miner"


def test_xmrigcc_fleet():
    status = {**Miner(None, "m").status(), "last_status_update": 1000}
    sections, _ = xmrigcc.to_sections({"current_server_time": 1001, "client_status_list": [{"client_status": status}]})
    f = figures("xmrigcc-server", sections)
    assert f["algorithm"] == "RandomX"
    assert f["hashrate_hs"] == pytest.approx(sections["SUMMARY"][0]["MHS av"] * 1e6)


def test_ckpool_is_a_pool():
    user = {"hashrate1m": "1.5T", "hashrate1hr": "2T", "lastshare": 1, "workers": 1, "shares": 1, "bestshare": 1.0,
            "bestever": 1, "authorised": 1, "worker": []}
    sections = ckpool.to_sections({"hashrate1hr": "2T", "hashrate1m": "1.5T"}, [("u", user)],
                                  {s: "up" for s in ckpool.SOCKETS}, {}, "0" * 64, 1)
    f = figures("ckpool", sections)
    assert f["role"] == "pool" and f["algorithm"] == "SHA-256d"


def test_garbage_gives_no_numbers():
    f = figures("cgminer", {"SUMMARY": ["x", {"MHS av": "<b>", "Accepted": "lots"}], "DEVS": "nope"})
    assert f["hashrate_hs"] is None and f["accepted"] is None and f["max_temp"] is None


@pytest.mark.parametrize("value", [
    1.5, -0.0, 9.9e307, 1e308, -1e308, 1.7e308, float("nan"), float("inf"), 7, 2**53 + 1, 10**308, -(10**308),
    10**400, True, False, None, [], {"a": 1},
])
def test_number_is_as_number_for_anything_but_text(value):
    # number() answers floats and ints itself, without calling as_number: the same answer, to the type
    expected = as_number(value)
    assert repr(number(value)) == repr(expected) and type(number(value)) is type(expected)


def test_stats_temperatures_as_a_records_keys_change():
    # records of a shape seen before, with a temperature key added, another one, then none again
    record = {"STATS": 0, "ID": "BMM0", "Elapsed": 5, "temp_num": 3}
    assert figures("cgminer", {"STATS": [dict(record)]})["max_temp"] is None
    assert figures("cgminer", {"STATS": [{**record, "temp2_3": 71}]})["max_temp"] == 71
    assert figures("cgminer", {"STATS": [{**record, "Temp_Chip12": "88.5"}]})["max_temp"] == 88.5
    assert figures("cgminer", {"STATS": [dict(record), {**record, "temp2_3": 64}]})["max_temp"] == 64
    assert figures("cgminer", {"STATS": [dict(record)]})["max_temp"] is None
    # a reading is above 0 and below 250; a bool, "nan" or 1e309 is no number at all
    temps = {"temp1": 250, "temp2": 0, "temp3": True, "temp4": "nan", "temp5": "1e309", "temp6": 249.5}
    assert figures("cgminer", {"STATS": [{**record, **temps}]})["max_temp"] == 249.5
    assert figures("cgminer", {"STATS": [{**record, "temp1": True}], "DEVS": [{"Temperature": -5}]})["max_temp"] is None


def test_stats_keys_forgotten_and_learnt_again(monkeypatch):
    monkeypatch.setattr(figures_module, "MAX_HELD", 6)  # a rig making keys up: forgotten every few records
    for i in range(40):
        record = {f"made_up_{i}_{j}": j for j in range(4)} | {"temp1": 40 + i % 7}
        assert figures("cgminer", {"STATS": [record, {"ID": "x", "Elapsed": i}]})["max_temp"] == 40 + i % 7
        assert figures("cgminer", {"STATS": [{"ID": "x", "Elapsed": i}]})["max_temp"] is None


def test_rates_try_the_windows_in_order_and_skip_garbage():
    assert rate_hs({"GHS av": 2, "MHS 15m": 3}, AVERAGE) == 2e9  # "av" before "15m", whatever the unit
    assert rate_hs({"MHS av": "<b>", "GHS av": "1.5"}, AVERAGE) == 1.5e9  # not a number: the next unit
    assert rate_hs({"THS 5s": 1, "MHS 5s": 7}, CURRENT) == 7e6  # MHS before THS within a window
    assert rate_hs({"KHS 1m": 4}, ["1m"]) == 4e3 and rate_hs({"KHS 1m": 4}, ("5s",)) is None  # any windows
    assert rate_hs(["MHS av"], AVERAGE) is None


def test_counts_from_the_summary_or_the_devices():
    f = figures("cgminer", {"SUMMARY": [{"MHS av": 1, "Accepted": "12", "Rejected": 2.5, "Stale": 2**53 + 1,
                                         "Hardware Errors": True}]})
    assert (f["accepted"], f["rejected"], f["stale"], f["hw_errors"]) == (12, 2.5, 2**53, None)
    assert type(f["accepted"]) is int and type(f["rejected"]) is float
    f = figures("cgminer", {"DEVS": [{"Accepted": 3, "MHS av": 1.0}, {"Accepted": "4", "Rejected": "x"}, "junk"]})
    assert (f["accepted"], f["rejected"], f["hashrate_hs"]) == (7, None, 1e6)


def test_a_rate_or_a_sum_beyond_a_float_is_not_a_figure():
    """1e300 TH/s overflows to inf, and two devices' 9e307 shares sum to it: stored, a brief with inf
    was refused by jsonb and broke SQLite's JSON functions; in a chart it broke the page's JSON."""
    figs = figures("cgminer", {"SUMMARY": [{"THS av": 1e300, "THS 5s": 1e300, "Accepted": 1e30}]})
    assert figs["hashrate_hs"] is None and figs["hashrate_now_hs"] is None and figs["accepted"] == int(1e30)
    devs = [{"ASC": i, "MHS av": m, "Accepted": 9e307} for i, m in enumerate((1.5e302, 1.5e302, -1.5e302))]
    figs = figures("cgminer", {"DEVS": devs[:2]})
    assert figs["hashrate_hs"] is None and figs["accepted"] is None
    assert figures("cgminer", {"DEVS": [devs[0], devs[2]]})["hashrate_hs"] == 0.0  # finite sums still add
