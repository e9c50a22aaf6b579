"""The Whatsminer API v2 driver against its simulator: quirky JSON, MH/s figures, the flat get_*
replies, the AES token write path (wrong password, writes disabled, token reuse), detection."""

import asyncio

import pytest
from django.test import override_settings

from rigs import drivers
from rigs.drivers import whatsminer
from rigs.drivers.errors import RigError
from rigs.drivers.whatsminer_crypto import md5_crypt
from rigs.models import AuditEntry, Rig, Snapshot
from rigs.polling import poller
from rigs.simulators.whatsminer import WhatsminerSim, serve
from tests.drivers.asic_helpers import FAST, LIMITS, Address, serving, sys_client


@pytest.fixture
def whatsminer_at(bg):
    start = serving(bg)
    return lambda sim: start(serve, sim, 1)


def test_md5_crypt_matches_the_reference_implementation():
    # `openssl passwd -1 -salt BQ5hoXV9 admin` and `... -salt saltstri password`
    assert md5_crypt("admin", "BQ5hoXV9") == "$1$BQ5hoXV9$RxmaDUO33TS7O26yeMHZ81"
    assert md5_crypt("password", "saltstri") == "$1$saltstri$qQY4WxjABChYG1ccLpfkz/"


def test_the_simulator_sends_btminers_broken_json():
    raw = WhatsminerSim().rpc(b'{"cmd":"summary"}')
    assert b",]\n," in raw and raw.endswith(b"\0")
    assert b'"Code":14' in WhatsminerSim().rpc(b'{"command":"summary+get_version"}')  # get_* cannot be joined


def test_poll_reads_joined_and_flat_replies(bg, whatsminer_at):
    sim = WhatsminerSim(password="pw")
    rig = Address(whatsminer_at(sim), "pw")
    sections, statuses = bg.run(whatsminer.poll(rig, **LIMITS))
    assert rig.joins is True and set(statuses) == {"summary", "devs", "pools"}
    s = sections["SUMMARY"][0]
    assert s["MHS 5s"] == pytest.approx(sum(d["MHS 5s"] for d in sections["DEVS"]), rel=1e-3)
    assert s["Nominal MHS"] == s["Factory GHS"] * 1000
    assert s["Efficiency J/TH"] == round(s["Power"] / (s["MHS 5s"] / 1e6), 2)
    assert [d["ASC"] for d in sections["DEVS"]] == [0, 1, 2]
    assert all(d["Chip Temp"] == d["Chip Temp Max"] for d in sections["DEVS"])
    assert [p["POOL"] for p in sections["POOLS"]] == [1, 2]  # numbered from 1, kept so
    assert sections["VERSION"][0]["Firmware"] == "20230803.11.REL"
    assert [f["RPM"] for f in sections["FANS"]] == [s["Fan Speed In"], s["Fan Speed Out"]]


def test_encrypted_writes_change_the_miner_and_reuse_the_token(bg, whatsminer_at):
    sim = WhatsminerSim(password="pw")
    rig = Address(whatsminer_at(sim), "pw")
    assert bg.run(whatsminer.command(rig, "powermode", {"mode": "high"}, **LIMITS))[0] == "S"
    assert bg.run(whatsminer.command(rig, "powerlimit", {"watts": 3100}, **LIMITS))[0] == "S"
    assert bg.run(whatsminer.command(rig, "identify", {"on": True}, **LIMITS))[0] == "S"
    assert (sim.power_mode, sim.power_limit, sim.led) == ("High", 3100, "red")
    assert len(sim.tokens) == 1  # one token for all three
    assert sim.commands[1] == {"cmd": "adjust_power_limit", "power_limit": "3100"}  # a string, as btminer wants
    values = {"url1": "stratum+tcp://a.example.org:3333", "user1": "me.1", "password1": "p1"}
    assert bg.run(whatsminer.command(rig, "setpools", values, **LIMITS))[0] == "S"
    assert sim.pools[0] == {"url": "stratum+tcp://a.example.org:3333", "user": "me.1", "passwd": "p1"}
    assert sim.pools[1]["url"] == "" and sim.commands[-1]["pool2"] == ""
    sections, _ = bg.run(whatsminer.poll(rig, **LIMITS))
    assert [p["URL"] for p in sections["POOLS"]] == ["stratum+tcp://a.example.org:3333"]


def test_refusals_say_what_to_do(bg, whatsminer_at):
    sim = WhatsminerSim(password="right")
    port = whatsminer_at(sim)
    letter, message, code = bg.run(whatsminer.command(Address(port, "wrong"), "reboot", {}, **LIMITS))
    assert (letter, code) == ("E", 135) and "API password" in message and sim.commands == []
    closed = WhatsminerSim(password="right", writes_enabled=False)
    letter, message, code = bg.run(whatsminer.command(Address(whatsminer_at(closed), "right"), "restart", {}, **LIMITS))
    assert code == 45 and "WhatsMinerTool" in message
    assert b"can't access write cmd" in sim.rpc(b'{"cmd":"reboot"}')  # never in clear


def test_detect_names_the_api_generation(bg, whatsminer_at):
    assert bg.run(drivers.detect("127.0.0.1", whatsminer_at(WhatsminerSim()), **LIMITS)) == (
        "whatsminer", "Whatsminer (btminer API v2, firmware 20230803)")
    new = WhatsminerSim(firmware="20250110.22.REL")
    kind, text = bg.run(drivers.detect("127.0.0.1", whatsminer_at(new), **LIMITS))
    assert kind == "whatsminer" and "API v3 on port 4433" in text


@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
def test_the_panel_polls_and_controls_with_audit(bg, whatsminer_at):
    sim = WhatsminerSim(password="apipw")
    rig = Rig.objects.create(name="m50", kind="whatsminer", host="127.0.0.1", port=whatsminer_at(sim), token="apipw")
    asyncio.run(poller.poll_once())
    assert Snapshot.objects.get(rig=rig).sections["SUMMARY"][0]["MHS 5s"] > 100_000_000
    c = sys_client()
    assert "Power mode" in c.get(f"/rigs/{rig.pk}/").content.decode()
    c.post(f"/rigs/{rig.pk}/command/", {"command": "powermode", "mode": "low"})
    c.post(f"/rigs/{rig.pk}/command/", {"command": "setpools", "url1": "stratum+tcp://n.example.org:3333",
                                        "user1": "w", "password1": "poolsecret", "confirm": "yes"})
    c.post(f"/rigs/{rig.pk}/command/",
           {"command": "powerlimit", "watts": "99", "confirm": "yes"})  # out of range: never sent
    assert sim.power_mode == "Low" and sim.pools[0]["passwd"] == "poolsecret"
    rows = list(AuditEntry.objects.order_by("id").values_list("command", "outcome"))
    assert rows == [("powermode", "S"), ("setpools", "S"), ("powerlimit", "invalid")]
    audited = str(list(AuditEntry.objects.values()))
    assert "poolsecret" not in audited and "apipw" not in audited
    assert Snapshot.objects.get(rig=rig).sections["SUMMARY"][0]["Power Mode"] == "Low"


# ---------------------------------------------------------------- API v3 on 4433

@pytest.fixture
def v3_at(bg):
    from rigs.simulators import whatsminer_v3

    start = serving(bg)
    return lambda sim: start(whatsminer_v3.serve, sim, 2)


def test_v3_reads_framed_replies_in_th(bg, v3_at):
    from rigs.simulators.whatsminer_v3 import WhatsminerV3Sim

    sim = WhatsminerV3Sim()
    rpc, v3port = v3_at(sim)
    sections, statuses = bg.run(whatsminer.poll(Address(rpc, "super", v3port), **LIMITS))
    s, raw = sections["SUMMARY"][0], sim.status_summary()
    assert s["MHS 5s"] == pytest.approx(s["hash-realtime"] * 1e6) and s["Nominal MHS"] == 186e6
    assert s["Power"] == s["power-realtime"] and s["Temperature"] == max(raw["board-temperature"])  # the hottest board
    assert s["Chip Temp"] == raw["chip-temp-max"]  # the hottest chip beside it
    assert [p["Status"] for p in sections["POOLS"]] == ["Alive"] and sections["POOLS"][0]["POOL"] == 1
    assert s["board-temperature"] == " / ".join(str(t) for t in raw["board-temperature"])
    assert [d["Temperature"] for d in sections["DEVS"]] == raw["board-temperature"]
    assert sections["POOLS"][0]["URL"] == sim.pools[0]["pool"] and "passwd" not in sections["POOLS"][0]
    assert sections["ERRORS"] == [{"Code": "531", "When": "2025-03-12 14:52:35", "Reason": "Slot1 not found."},
                                  {"Code": 2010}]
    assert sections["VERSION"][0]["Firmware"] == "20251209.16.Rel2"


def test_v3_is_found_from_4028_and_written_with_tokens(bg, v3_at, monkeypatch):
    from rigs.drivers import whatsminer_v3
    from rigs.simulators.whatsminer_v3 import WhatsminerV3Sim

    sim = WhatsminerV3Sim(password="pw3")
    rpc, v3port = v3_at(sim)
    assert bg.run(drivers.detect("127.0.0.1", rpc, **LIMITS)) == (
        "whatsminer", "Whatsminer (btminer API v3 on port 4433, firmware 20251209)")
    monkeypatch.setattr(whatsminer_v3, "PORT", v3port)  # the simulator's 4433
    rig = Address(rpc, "pw3")  # no second port: 4028 fails, get_version tells v3
    sections, _ = bg.run(whatsminer.poll(rig, **LIMITS))
    assert sections["SUMMARY"][0]["MHS 5s"] > 0
    values = {"url1": "stratum+tcp://n.example.org:3333", "user1": "me.1", "password1": "secret-pool"}
    assert bg.run(whatsminer.command(rig, "setpools", values, **LIMITS))[0] == "S"
    assert sim.pools == [{"pool": "stratum+tcp://n.example.org:3333", "worker": "me.1", "passwd": "secret-pool"}]
    assert bg.run(whatsminer.command(rig, "powermode", {"mode": "low"}, **LIMITS))[0] == "S"
    assert bg.run(whatsminer.command(rig, "powerlimit", {"watts": 3000}, **LIMITS))[0] == "S"
    assert bg.run(whatsminer.command(rig, "identify", {"on": True}, **LIMITS))[0] == "S"
    assert (sim.power_mode, sim.power_limit, sim.led) == ("low", 3000, "manual")
    letter, message, code = bg.run(whatsminer.command(Address(rpc, "wrong"), "reboot", {}, **LIMITS))
    assert letter == "E" and "invalid token" in message


def test_v3_replies_of_the_wrong_shape_are_errors_a_user_reads():
    from rigs.drivers import whatsminer_v3

    sections = whatsminer_v3.to_sections({"summary": {"hash-realtime": "12.5", "board-temperature": "hot"},
                                          "edevs": [{"name": "x", "temp": 1, "Temperature": 999, "hash-average": 1}],
                                          "pools": "none"},
                                         {"miner": ["odd"], "system": 7, "error-code": "btminer process is down err"})
    assert sections["SUMMARY"][0]["MHS 5s"] == 12.5e6 and "POOLS" not in sections
    assert sections["DEVS"][0]["Temperature"] is None and sections["DEVS"][0]["name"] == "x"  # theirs never over ours
    assert sections["ERRORS"] == [{"Code": None, "Text": "btminer process is down err"}]
    with pytest.raises(RigError, match="no summary"):
        whatsminer_v3.to_sections({"summary": []}, {})


def test_the_rigs_table_names_the_miner_and_its_firmware():
    from rigs.drivers.whatsminer import to_sections
    from rigs.readings.version import miner_version

    sections = to_sections({}, {"fw_ver": "'20230911.12.Rel'", "api_ver": "2.0.5"})
    assert miner_version(sections) == ("btminer 20230911.12.Rel", "2.0.5")
