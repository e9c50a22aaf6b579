"""Each ASIC simulator against the real replies of its firmware (tests/fixtures/real/, SOURCES.md): for every
command captured, the simulator answers the same sections, its first record sends no field the real machine
does not (beyond the exceptions below, each with its reason), and the fields both send have the same JSON type.
Fields the real machine sends and the simulator leaves out are listed too, so a new gap fails the test."""

import json

import pytest

from rigs.drivers.cgminer.protocol import load_json
from rigs.simulators.antminer import AntminerSim
from rigs.simulators.avalon import AvalonSim
from rigs.simulators.braiins import BraiinsSim
from rigs.simulators.luxos import LuxosSim
from rigs.simulators.whatsminer import WhatsminerSim
from tests.replay import REAL

CASES = {  # simulator, real folder, {(command, section): (sim-only fields, real-only fields, type exceptions)}
    "antminer": (AntminerSim, "antminer/foreman-apps-s17pro-19.10.1.3", {
        # the simulator is an S19 (49.x): `Pool Stale%%` as its bmminer writes it; the S17 (19.x) wrote `Pool Stale%`
        ("pools", "POOLS"): ({"Pool Stale%%"}, {"Pool Stale%"}, set()),
        ("stats", "STATS"): ({"API"}, set(), set()),  # the S19's STATS header record has an API version
    }),
    "braiins": (BraiinsSim, "braiins/foreman-apps-bosplus-0.2.0-s9", {
        # the simulator is Braiins OS 25.x (BOSer); the capture is BOSminer+ 0.2.0
        ("version", "VERSION"): ({"BOSer"}, {"BOSminer+"}, set()),
        ("summary", "SUMMARY"): (set(), {"MHS 24h"}, set()),
        ("pools", "POOLS"): (set(), {"AsicBoost", "Bad Work", "Current Block Height", "Current Block Version",
                                     "Has GBT", "Has Vmask", "Stratum Difficulty", "Work Difficulty"}, set()),
    }),
    "whatsminer": (WhatsminerSim, "whatsminer/foreman-apps-m20s-20200917", {
        # the simulator is an M50S on 2023 firmware (fields of its own: HS RT, Power Rate, Upfreq Complete...)
        # and the M20S's 2020 firmware has its own (its board and chip revisions, its firmware string in SUMMARY)
        ("summary", "SUMMARY"): ({"Btminer Fast Boot", "Debug", "Factory Error Code", "HS RT", "Power Rate",
                                  "Upfreq Complete"}, {"CB Version", "Chip Data", "Factory Error Code Count",
                                                       "Firmware Version", "Liquid Cooling", "Power Current"}, set()),
        ("devs", "DEVS"): ({"Factory GHS", "chip_vol_diff"}, set(), set()),
        ("pools", "POOLS"): (set(), {"Has GBT"}, set()),
    }),
    "luxos": (LuxosSim, "luxos/asic-rs-s19kpro-2025.4.8", {
        # network, update and build settings the panel does not read
        ("config", "CONFIG"): (set(), None, set()),
        ("pools", "POOLS"): (set(), {"Bad Work", "Current Block Height", "Current Block Version", "Diff", "Has GBT",
                                     "Has Vmask", "Proxy", "Proxy Type", "Stratum Difficulty", "Work Difficulty"},
                             set()),
    }),
    "avalon": (AvalonSim, "avalon/pyasic-avalon1566-24102401", {
        ("devs", "DEVS"): (set(), None, set()),
        ("stats", "STATS"): (set(), set(), {"Max"}),  # the simulator sends the bare `inf` other Avalons send (Q12)
    }),
}


def kind_of(value):
    return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__


def sim_reply(sim, command):
    raw = sim.rpc(json.dumps({"command": command}).encode())
    return load_json(raw.rstrip(b"\0").decode("utf-8", "replace"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_simulator_sends_what_the_real_machine_sends(name):
    make, folder, exceptions = CASES[name]
    sim = make()
    files = sorted((REAL / folder).glob("*.json"))
    assert files
    for f in files:
        command = f.stem
        real, ours = load_json(f.read_text()), sim_reply(sim, command)
        sections = {k for k in real if k != "id"}
        assert sections <= set(ours), (command, sections - set(ours))
        for section in sections - {"STATUS"}:
            r, m = real[section][0], ours[section][0]
            sim_only, real_only, types = exceptions.get((command, section), (set(), set(), set()))
            assert set(m) - set(r) == sim_only, (command, section, set(m) - set(r))
            if real_only is not None:  # None: the simulator leaves out more, listed in the report (issue 22)
                assert set(r) - set(m) == real_only, (command, section, set(r) - set(m))
            differ = {k for k in set(r) & set(m) if kind_of(r[k]) != kind_of(m[k])}
            assert differ == types, (command, section, {k: (kind_of(r[k]), kind_of(m[k])) for k in differ})


def test_the_whatsminer_simulator_sends_the_work_figures_health_reads():
    """As the real M20S does: hardware errors, Diff1 Work and the difficulty-weighted counts per board and in
    SUMMARY, consistent with each other (cgminer: Device Hardware% = HW / (HW + Diff1 Work), rejects by
    difficulty), so health's hardware-error and reject figures read the simulator as they read the machine."""
    from rigs.readings import figures

    sim = WhatsminerSim()
    summary, devs = sim_reply(sim, "summary")["SUMMARY"][0], sim_reply(sim, "devs")["DEVS"]
    for key in ("Accepted", "Rejected", "Hardware Errors", "Difficulty Accepted", "Difficulty Rejected"):
        assert summary[key] == sum(d[key] for d in devs), key
    hw, work = summary["Hardware Errors"], sum(d["Diff1 Work"] for d in devs)
    assert hw > 0 and summary["Device Hardware%"] == pytest.approx(100 * hw / (hw + work), abs=1e-4)
    for d in devs:
        assert d["Device Hardware%"] == pytest.approx(
            100 * d["Hardware Errors"] / (d["Hardware Errors"] + d["Diff1 Work"]), abs=1e-4)
    assert figures.hw_percent(summary, devs) == summary["Device Hardware%"]
    assert figures.reject_percent(summary, devs) == pytest.approx(summary["Pool Rejected%"], abs=1e-3)
