"""One health state per rig: every reason, from the simulator's replies and hand-built records."""

import json

from rigs.drivers.cgminer.protocol import parse_reply
from rigs.readings.brief import make_brief
from rigs.readings.figures import figures
from rigs.readings.health import assess, pool_reasons, with_reachability
from rigs.simulators.cgminer import SimRig

NOW = 1_800_000_000


def sections_of(rig, commands=("summary", "devs", "pools", "stats")):
    sections, statuses = {}, {}
    for c in commands:
        response = parse_reply(rig.handle(json.dumps({"command": c}).encode()), c)[c]
        statuses[c] = response.status
        for sec, records in response.sections.items():
            sections.setdefault(sec, []).extend(records)
    return sections, statuses


def health(sections, statuses=None, kind="cgminer", **kw):
    return assess(kind, sections, statuses or {}, figures(kind, sections), now=NOW, **kw)


def texts(h):
    return [r["text"] for r in h["reasons"]]


def test_a_healthy_simulated_rig_is_ok():
    h = health(*sections_of(SimRig(flavour="cgminer", devices=2, pools=2)))
    assert h["state"] == "ok", texts(h)
    assert len(h["history"]) == 1


def test_dead_and_sick_devices():
    rig = SimRig(flavour="sgminer", devices=3, pools=1)
    rig.devices[0]["status"] = "Dead"
    rig.devices[1]["status"] = "Sick"
    h = health(*sections_of(rig))
    assert "GPU 0 Dead" in texts(h) and "GPU 1 Sick" in texts(h)
    assert h["state"] == "err"


def test_disabled_and_nostart_devices():
    devs = [{"ASC": 0, "Enabled": "N", "Status": "Alive"}, {"PGA": 1, "Enabled": "Y", "Status": "NoStart"}]
    h = health({"DEVS": devs})
    assert texts(h) == ["ASC 0 disabled", "PGA 1 NoStart"]
    assert [r["level"] for r in h["reasons"]] == ["warn", "err"]


def test_a_dead_pool_a_failover_and_no_alive_pool():
    rig = SimRig(flavour="cgminer", devices=1, pools=2)
    rig.pools[0]["dead"] = True
    h = health(*sections_of(rig))
    assert "pool 0 Dead" in texts(h)
    assert "failover: mining on pool 1, not pool 0" in texts(h)
    rig.pools[1]["dead"] = True
    h = health(*sections_of(rig))
    assert texts(h)[0] == "no alive pool" and h["state"] == "err"


def test_access_denied():
    # a command outside the rig's --api-groups: cgminer's code 45
    statuses = {"summary": {"STATUS": "S", "Code": 11}, "stats": {"STATUS": "E", "Code": 45,
                                                                   "Msg": "Access denied to 'stats' command"}}
    h = health({"SUMMARY": [{"MHS av": 1.0}]}, statuses)
    assert h["state"] == "err" and texts(h) == ["API access denied (stats)"]
    # an address outside --api-allow: the rig closes the connection without a word
    rig = SimRig(flavour="cgminer", access="deny")
    assert rig.handle(json.dumps({"command": "summary"}).encode()) is None
    h = with_reachability(None, "unreachable", "the rig closed the connection without answering", error_kind="noreply")
    assert texts(h) == ["API access denied: the rig closed the connection without answering"]


def test_late_share():
    # 1 GH/s at difficulty 1 expects a share every 4.3 s; 100 s is more than 12 times that
    dev = {"ASC": 0, "Enabled": "Y", "Status": "Alive", "MHS av": 1000.0, "Last Share Difficulty": 1,
           "Last Share Time": NOW - 100}
    h = health({"DEVS": [dev]}, {"devs": {"STATUS": "S", "When": NOW}})
    assert texts(h) == ["ASC 0 last share very late"] and h["state"] == "err"
    dev["Last Share Time"] = NOW - 40  # between 8 and 12 times
    assert health({"DEVS": [dev]}, {"devs": {"STATUS": "S", "When": NOW}})["reasons"][0]["level"] == "warn"


def test_temperature_thresholds_and_per_rig_overrides():
    devs = [{"GPU": 0, "Enabled": "Y", "Status": "Alive", "Temperature": 85.0}]
    h = health({"DEVS": devs})
    assert texts(h) == ["GPU 0 at 85°C"] and h["state"] == "warn"
    assert health({"DEVS": devs}, limits={"temp_warn": 70, "temp_err": 84})["state"] == "err"
    assert health({"DEVS": devs}, limits={"temp_warn": 90, "temp_err": 95})["state"] == "ok"
    # bmminer: temperatures in STATS only
    h = health({"STATS": [{"temp1": 60, "temp2_2": 93}]})
    assert texts(h) == ["temperature 93°C"] and h["state"] == "err"


def test_an_overheating_chip_warns_on_a_cool_board():
    """Temperature is the hottest board, Chip Temp the hottest chip beside it (every ASIC driver): chips have
    limits of their own (chip_warn/chip_err, TEMP_CHIP_WARN/TEMP_CHIP_ERROR), for every kind."""
    boards = [{"ASC": 0, "Name": "SM", "ID": 0, "Enabled": "Y", "Status": "Alive", "Temperature": 70.0,
               "Chip Temp": 108.0},
              {"ASC": 1, "Name": "SM", "ID": 1, "Enabled": "Y", "Status": "Alive", "Temperature": 71.0,
               "Chip Temp": 88.0}]
    h = health({"SUMMARY": [{"Temperature": 71.0, "Chip Temp": 108.0}], "DEVS": boards})
    assert texts(h) == ["ASC 0 chips at 108°C"] and h["state"] == "warn"  # one reason, not a second for SUMMARY
    boards[0]["Chip Temp"] = 116.0
    assert health({"DEVS": boards})["state"] == "err"
    # a firmware that gives its chips in SUMMARY only (Whatsminer v3's chip-temp-max)
    h = health({"SUMMARY": [{"Temperature": 72.3, "Chip Temp": 109.5}]})
    assert texts(h) == ["chips at 110°C"] and h["state"] == "warn"
    assert health({"SUMMARY": [{"Temperature": 72.3, "Chip Temp": 0}]})["state"] == "ok"  # 0: no sensor
    # MicroBT's own example of a working M30S++ (chips 100.3, boards 72.3) is ok with the defaults
    assert health({"SUMMARY": [{"Temperature": 72.3, "Chip Temp": 100.3}]})["state"] == "ok"
    limits = {"chip_warn": 95, "chip_err": 100}
    assert health({"SUMMARY": [{"Temperature": 72.3, "Chip Temp": 100.3}]}, limits=limits)["state"] == "err"
    assert figures("antminer", {"DEVS": boards})["max_chip_temp"] == 116.0


def test_hashrate_below_its_recent_median():
    summary = {"SUMMARY": [{"MHS av": 100.0, "MHS 5s": 50.0}]}
    h = health(summary, history=[100e6] * 4)
    assert h["state"] == "ok"  # too little history to judge
    h = health(summary, history=[100e6, 98e6, 102e6, 100e6, 99e6])
    assert texts(h) == ["hashrate 50% of its recent median"]
    assert h["history"][-1] == 50e6
    assert health({"SUMMARY": [{"MHS av": 100.0, "MHS 5s": 90.0}]}, history=[100e6] * 5)["state"] == "ok"


def test_hardware_errors_and_rejects_above_a_rate():
    s = {"SUMMARY": [{"MHS av": 1.0, "Accepted": 90, "Rejected": 10, "Hardware Errors": 5, "Diff1 Work": 95}]}
    assert texts(health(s)) == ["hardware errors 5.0%", "rejected 10.0%"]  # HW / (HW + Diff1 Work), as cgminer
    assert health(s, limits={"hw_pct": 10, "reject_pct": 20})["state"] == "ok"
    few = {"SUMMARY": [{"MHS av": 1.0, "Accepted": 1, "Rejected": 1}]}
    assert health(few)["state"] == "ok"  # too few shares to judge


def test_a_reason_keeps_the_time_it_was_first_seen():
    devs = [{"GPU": 1, "Enabled": "Y", "Status": "Sick"}]
    h = health({"DEVS": devs}, since={"dev:GPU 1:Sick": NOW - 600})
    assert h["reasons"][0]["since"] == NOW - 600
    assert health({"DEVS": devs})["reasons"][0]["since"] == NOW


def test_other_kinds():
    assert texts(health({"SUMMARY": [{"Paused": True}]}, kind="xmrig")) == ["paused"]
    pool = {"POOLSTATUS": [{"Listener": "up", "Stratifier": "down", "Connector": "up", "Generator": "up"}],
            "DEVS": [{"Name": "worker", "Status": "Dead"}]}
    assert texts(health(pool, kind="ckpool")) == ["stratifier down"]  # workers are not the pool's devices
    fleet = {"DEVS": [{"Name": "gpu-box", "ID": 0, "Enabled": "Y", "Status": "Offline"}]}
    assert texts(health(fleet, kind="xmrigcc-server")) == ["gpu-box Offline"]


def test_unreachable_and_stale_come_first():
    stored = health({"DEVS": [{"GPU": 0, "Enabled": "Y", "Status": "Sick"}]})
    h = with_reachability(stored, "unreachable", "no reply within 5 s")
    assert texts(h) == ["unreachable: no reply within 5 s", "GPU 0 Sick"] and h["state"] == "err"
    assert with_reachability({"state": "ok", "reasons": []}, "stale", age_text="2 min")["reasons"][0]["text"] == \
        "stale: no answer for 2 min"
    assert with_reachability(None, "ok") == {"state": "ok", "reasons": []}
    assert with_reachability(None, "new")["state"] == "new"


def test_history_is_copied_and_picked_over():
    summary = {"SUMMARY": [{"MHS av": 100.0, "MHS 5s": 50.0}]}
    history = [100e6] * 30
    h = health(summary, history=history)
    assert len(history) == 30 and history[-1] == 100e6  # the caller's list is left alone
    assert h["history"] == [100e6] * 29 + [50e6] and texts(h) == ["hashrate 50% of its recent median"]
    h = health(summary, history=[100e6, "100e6", None, 100e6, [1], 100e6, 100e6, 100e6])  # not numbers: left out
    assert h["history"] == [100e6] * 5 + [50e6] and texts(h) == ["hashrate 50% of its recent median"]
    assert health(summary, history=(100e6,) * 5)["history"] == [100e6] * 5 + [50e6]  # any iterable


def test_pool_priorities_as_rigs_send_them():
    alive = [{"POOL": 0, "Priority": "1", "Status": "Alive"}, {"POOL": 1, "Priority": 0, "Status": "Alive"}]
    assert pool_reasons(alive) == []  # "1" is a priority too: pool 1 comes first, and is mined on
    # a priority that is no number is 0: a tie, and the first pool by order stays the first
    pools = [{"POOL": 0, "Priority": 0, "Status": "Dead"}, {"POOL": 1, "Priority": "x", "Status": "Alive"}, "junk"]
    assert [r["text"] for r in pool_reasons(pools)] == ["pool 0 Dead", "failover: mining on pool 1, not pool 0"]


def test_brief_reads_hostile_statuses_and_previous_briefs():
    sections = {"SUMMARY": ["x", {"MHS av": 1.0, "Paused": True}], "DEVS": [{"GPU": 1, "Status": "Sick"}]}
    previous = {"health": {"reasons": ["junk", {"key": "dev:GPU 1:Sick", "since": NOW - 60}, {"since": 1}]},
                "history": None}
    b = make_brief(sections, {"devs": {}, "summary": {"When": NOW}, "pools": "junk"}, "xmrig", previous,
                   {"temp_warn": None}, NOW)
    assert b["when"] == {"devs": None, "summary": NOW}
    assert [(r["text"], r["since"]) for r in b["health"]["reasons"]] == [("paused", NOW), ("GPU 1 Sick", NOW - 60)]
    assert b["history"] == [1e6]


def test_hardware_errors_are_against_the_work_done_not_the_shares():
    """An ASIC finds few shares for a lot of work: 186 HW errors beside 153 shares is 0.0016 % of its work
    (Braiins OS+ S9, tests/fixtures/real/braiins), not 54.9 %; the firmware's own percentage wins."""
    s = {"SUMMARY": [{"MHS av": 1.0, "Accepted": 153, "Rejected": 0, "Hardware Errors": 186,
                      "Device Hardware%": 0.001644850292093576}]}
    assert health(s)["state"] == "ok"
    no_denominator = {"DEVS": [{"MHS av": 1.0, "Accepted": 900, "Rejected": 0, "Hardware Errors": 2885}]}
    assert health(no_denominator)["state"] == "ok"  # an Antminer without `summary`: no work figure, no verdict
    by_difficulty = {"SUMMARY": [{"MHS av": 1.0, "Accepted": 5018, "Rejected": 29, "Difficulty Accepted": 1071653490.0,
                                  "Difficulty Rejected": 5623144.0, "Device Rejected%": 135.7304}]}
    # 0.52 % by difficulty (Whatsminer M20S), not its odd Device Rejected%
    assert health(by_difficulty)["state"] == "ok"
