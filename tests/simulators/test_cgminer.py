"""The simulator answers like the real miners captured in tests/fixtures/real/."""

import json

import pytest

from rigs.drivers.cgminer.protocol import parse_reply
from rigs.simulators.cgminer import SimRig
from tests.conftest import BFG, CGM, fixture_bytes


def kind(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "num"  # bfgminer writes 0 as an int and 0.044 as a float
    return type(v).__name__


def ask(rig, command, parameter=None, fmt="json"):
    if fmt == "json":
        body = {"command": command} if parameter is None else {"command": command, "parameter": parameter}
        raw = json.dumps(body).encode()
    else:
        raw = (command if parameter is None else f"{command}|{parameter}").encode()
    return parse_reply(rig.handle(raw), command, fmt)[command]


def assert_same_shape(sim, real, name):
    """Same status letter and code, same sections, every real field present with its type."""
    assert sim.letter == real.letter, name
    assert sim.code == real.code, name
    assert set(sim.status) == set(real.status), name
    assert set(sim.sections) == set(real.sections), name
    for section, records in real.sections.items():
        real_rec = records[0]
        for sim_rec in sim.sections[section]:
            sim_id = str(sim_rec.get("ID", ""))
            if "ID" in real_rec and str(real_rec["ID"]).startswith("POOL") != sim_id.startswith("POOL"):
                continue
            missing = [k for k in real_rec if k not in sim_rec]
            assert not missing, f"{name}: {section} lacks {missing}"
            wrong = [k for k in real_rec if kind(real_rec[k]) != kind(sim_rec[k])]
            assert not wrong, f"{name}: {section} types differ for {wrong}"
            keys = [k for k in sim_rec if k in real_rec]
            assert keys == list(real_rec), f"{name}: {section} field order differs"


READ_COMMANDS = ["summary", "pools", "devs", "procs", "notify", "devdetails", "stats", "coin", "config", "version"]


@pytest.mark.parametrize("command", READ_COMMANDS)
@pytest.mark.parametrize("fmt", ["json", "txt"])
def test_bfgminer_flavour_matches_bfgminer(command, fmt):
    real = parse_reply(fixture_bytes(BFG / f"{command}.{fmt}.raw"), command,
                       "json" if fmt == "json" else "text")[command]
    sim = ask(SimRig(flavour="bfgminer", devices=2, pools=2), command, fmt="json" if fmt == "json" else "text")
    assert_same_shape(sim, real, f"{command}.{fmt}")


@pytest.mark.parametrize("command", ["summary", "pools", "stats", "coin", "config", "version"])
def test_cgminer_flavour_matches_cgminer(command):
    real = parse_reply(fixture_bytes(CGM / f"{command}.json.raw"), command)[command]
    sim = ask(SimRig(flavour="cgminer", devices=2, pools=2), command)
    assert_same_shape(sim, real, command)


@pytest.mark.parametrize("folder,name,command,param,flavour", [
    (BFG, "pga_99.json.raw", "pga", "99", "bfgminer"),
    (BFG, "pga_noparam.json.raw", "pga", None, "bfgminer"),
    (BFG, "check_summary.json.raw", "check", "summary", "bfgminer"),
    (BFG, "check_nosuchcmd.json.raw", "check", "nosuchcmd", "bfgminer"),
    (BFG, "privileged.json.raw", "privileged", None, "bfgminer"),
    (BFG, "unknown-command.json.raw", "unknown-command", None, "bfgminer"),
    (CGM, "unknown-command.json.raw", "unknown-command", None, "cgminer"),
    (CGM, "zero_bestshare_false.json.raw", "zero", "bestshare,false", "cgminer"),
    (CGM, "zero_badwhich.json.raw", "zero", "nosuch,false", "cgminer"),
    (CGM, "zero_noparam.json.raw", "zero", None, "cgminer"),
    (CGM, "check_noparam.json.raw", "check", None, "cgminer"),
])
def test_status_replies_match(folder, name, command, param, flavour):
    real = parse_reply(fixture_bytes(folder / name), command)[command]
    rig = SimRig(flavour=flavour, devices=1, pools=2)
    sim = ask(rig, command, param)
    assert (sim.letter, sim.code, sim.msg) == (real.letter, real.code, real.msg), name
    assert_same_shape(sim, real, name)


def test_json_level_errors_match():
    rig = SimRig(flavour="bfgminer")
    for name, request in [("malformed-json.json.raw", b'{"command":'),
                          ("json-missing-command.json.raw", b'{"parameter":"x"}'),
                          ("json-command-not-string.json.raw", b'{"command":123}')]:
        real = parse_reply(fixture_bytes(BFG / name), "x")["x"]
        sim = parse_reply(rig.handle(request), "x")["x"]
        assert (sim.code, sim.msg) == (real.code, real.msg), name


@pytest.mark.parametrize("fmt", ["json", "txt"])
def test_join_layout_matches(fmt):
    for name in ["summary+pools+devs", "summary+badcmd", "summary+addpool", "summary+check", "+devs++"]:
        real_raw = fixture_bytes(BFG / f"{name}.{fmt}.raw")
        rig = SimRig(flavour="bfgminer", devices=1, pools=2)
        request = json.dumps({"command": name}).encode() if fmt == "json" else name.encode()
        sim_raw = rig.handle(request)
        if fmt == "json":
            assert list(json.loads(sim_raw[:-1])) == list(json.loads(real_raw[:-1])), name
        parse_fmt = "json" if fmt == "json" else "text"
        real = parse_reply(real_raw, name, parse_fmt)
        sim = parse_reply(sim_raw, name, parse_fmt)
        assert list(sim) == list(real), name
        for c in real:
            assert (sim[c].letter, sim[c].code, sim[c].msg) == (real[c].letter, real[c].code, real[c].msg), name
            assert set(sim[c].sections) == set(real[c].sections), name


def test_pool_sequence_replays_like_bfgminer():
    """The captured addpool/disable/enable/switch/remove/priority sequence, step by step."""
    index = json.loads((BFG / "index.json").read_text())["files"]
    rig = SimRig(flavour="bfgminer", devices=1, pools=2)
    rig.pools[0].update(url="stratum+tcp://127.0.0.1:3333", user="worker1")
    rig.pools[1].update(url="stratum+tcp://127.0.0.1:3334", user="worker2")
    steps = sorted(k for k in index if k.startswith("pool-sequence-json/"))
    assert len(steps) == 27
    for step in steps:
        request = index[step]["request"].encode()
        command = json.loads(request)["command"]
        real = parse_reply((BFG / step).read_bytes(), command)[command]
        sim = parse_reply(rig.handle(request), command)[command]
        assert (sim.letter, sim.code, sim.msg) == (real.letter, real.code, real.msg), step
        if command == "pools":
            if step.startswith("pool-sequence-json/25"):
                # the real pool refused the odd user name, so bfgminer shows it Dead
                for p in sim.sections["POOLS"] + real.sections["POOLS"]:
                    p["Status"] = "n/a" if p["User"].startswith("a,b") else p["Status"]
            got = [(p["POOL"], p["URL"], p["Status"], p["Priority"], p["User"]) for p in sim.sections["POOLS"]]
            want = [(p["POOL"], p["URL"], p["Status"], p["Priority"], p["User"]) for p in real.sections["POOLS"]]
            assert got == want, step


def test_readonly_rig_denies_privileged_commands():
    rig = SimRig(flavour="cgminer", access="R")
    for name, command in [("privileged.json.raw", "privileged"), ("addpool.json.raw", "addpool"),
                          ("quit.json.raw", "quit")]:
        real = parse_reply(fixture_bytes(CGM / "readonly-R" / name), command)[command]
        sim = ask(rig, command, "x" if command == "addpool" else None)
        assert (sim.letter, sim.code, sim.msg) == (real.letter, real.code, real.msg)
    check = ask(rig, "check", "zero").sections["CHECK"][0]
    assert check == {"Exists": "Y", "Access": "N"}
    assert ask(rig, "summary").ok


def test_custom_group_allows_only_its_commands():
    rig = SimRig(flavour="cgminer", pools=2, access="P:switchpool:*")
    assert ask(rig, "switchpool", "1").code == 27
    assert ask(rig, "summary").ok
    assert ask(rig, "quit").code == 45
    rig = SimRig(flavour="cgminer", pools=2, access="S:save")
    assert ask(rig, "summary").code == 45


def test_blocked_address_gets_nothing():
    assert SimRig(access="deny").handle(b"summary") is None


# ---------------------------------------------------------------- state


class Clock:
    def __init__(self, t=1_800_000_000.0):
        self.t = t

    def __call__(self):
        return self.t


def test_switchpool_moves_mining_to_that_pool():
    clock = Clock()
    rig = SimRig(flavour="cgminer", devices=2, pools=3, clock=clock)
    for p in rig.pools:
        p["dead"] = False
    before = {p["POOL"]: p["Accepted"] for p in ask(rig, "pools").sections["POOLS"]}
    assert ask(rig, "switchpool", "2").code == 27
    clock.t += 600
    pools = ask(rig, "pools").sections["POOLS"]
    assert [p["Stratum Active"] for p in pools] == [False, False, True]
    assert pools[2]["Priority"] == 0
    assert pools[2]["Accepted"] > before[2]
    assert pools[0]["Accepted"] == before[0]


def test_disabled_device_stops_hashing():
    clock = Clock()
    rig = SimRig(flavour="cgminer", devices=2, pools=1, clock=clock)
    for d in rig.devices:
        d["status"] = "Alive"
    assert ask(rig, "ascdisable", "1").msg == "ASC 1 set disable flag"
    assert ask(rig, "ascdisable", "1").code == 109  # already disabled: info
    clock.t += 300
    devs = ask(rig, "devs").sections["DEVS"]
    assert devs[1]["MHS 5s"] == 0 and devs[1]["Enabled"] == "N"
    assert devs[0]["MHS 5s"] > 0
    accepted = devs[1]["Accepted"]
    clock.t += 300
    assert ask(rig, "devs").sections["DEVS"][1]["Accepted"] == accepted
    assert ask(rig, "ascenable", "1").code == 110


def test_addpool_then_removepool():
    rig = SimRig(flavour="cgminer", pools=1)
    reply = ask(rig, "addpool", "stratum+tcp://new.example:3333,a\\,b,p\\\\w")
    assert reply.code == 55 and reply.msg == "Added pool 1: 'stratum+tcp://new.example:3333'"
    pools = ask(rig, "pools").sections["POOLS"]
    assert pools[1]["User"] == "a,b" and rig.pools[1]["pass"] == "p\\w"
    assert ask(rig, "removepool", "0").code == 67  # the active pool
    assert ask(rig, "removepool", "1").code == 68
    assert ask(rig, "removepool", "0").code == 66  # the last pool
    assert len(ask(rig, "pools").sections["POOLS"]) == 1


def test_counters_grow_with_time_and_are_deterministic():
    clock = Clock()
    a = SimRig(index=3, seed=7, flavour="sgminer", clock=clock)
    b = SimRig(index=3, seed=7, flavour="sgminer", clock=Clock())
    assert ask(a, "summary").sections == ask(b, "summary").sections
    s0 = ask(a, "summary").sections["SUMMARY"][0]
    clock.t += 120
    s1 = ask(a, "summary").sections["SUMMARY"][0]
    assert s1["Elapsed"] == s0["Elapsed"] + 120
    assert s1["Accepted"] > s0["Accepted"] and s1["Total MH"] > s0["Total MH"]


def test_gpu_commands_change_the_gpu():
    rig = SimRig(flavour="sgminer", devices=2, pools=1)
    assert ask(rig, "gpuintensity", "1,18").msg == "GPU 1 set new intensity to 18"
    assert ask(rig, "gpuintensity", "1,99").code == 31
    assert ask(rig, "gpufan", "0,80").code == 41
    gpu = ask(rig, "gpu", "0").sections["GPU"][0]
    assert gpu["Fan Percent"] == 80
    assert ask(rig, "gpu", "1").sections["GPU"][0]["Intensity"] == "18"
    assert ask(rig, "gpuengine", "5").code == 1  # no GPU 5
    assert ask(rig, "gpumem", "0").code == 28  # no comma


def test_config_commands():
    rig = SimRig(flavour="bfgminer")
    assert ask(rig, "setconfig", "queue,3").msg == "Set config 'queue' to 3"
    assert ask(rig, "config").sections["CONFIG"][0]["Queue"] == 3
    assert ask(rig, "setconfig", "nosuch,1").code == 83
    assert ask(rig, "failover-only", "true").code == 77
    assert ask(rig, "config").sections["CONFIG"][0]["Failover-Only"] is True
    assert ask(rig, "failover-only", "maybe").code == 76
    assert ask(rig, "hotplug", "0").code == 101
    assert ask(rig, "pgaset", "0,help").letter == "I"
    assert ask(rig, "debug", "v").sections["DEBUG"][0]["Verbose"] is True


def test_quit_and_restart_answer_like_cgminer():
    rig = SimRig(flavour="cgminer")
    assert rig.handle(b'{"command":"restart"}') == b'{"STATUS":"RESTART","id":1}\0'
    assert ask(rig, "summary").sections["SUMMARY"][0]["Elapsed"] <= 1
    assert rig.handle(b'{"command":"quit"}') == b'{"STATUS":"BYE","id":1}\0'
    assert rig.quit_requested


def test_old_api_has_no_join():
    rig = SimRig(flavour="oldcgminer")
    reply = parse_reply(rig.handle(b'{"command":"summary+devs"}'), "summary+devs")
    assert reply["summary"].code == 14


def test_procs_is_bfgminers_own():
    """cgminer has no `procs` (Invalid command, as its capture procs.json.raw shows); bfgminer's carries ProcID."""
    assert ask(SimRig(flavour="cgminer", devices=2), "procs").code == 14
    assert [d["ProcID"] for d in ask(SimRig(flavour="bfgminer", devices=2), "procs").sections["DEVS"]] == [0, 0]
