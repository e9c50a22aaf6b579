"""Curtailment end to end (issue 26 §4): each firmware's curtail and resume through control.curtail_rigs and
resume_rigs against its simulator on 127.0.0.1: the command sent through the firmware's real write path,
audited, the rig polled again and read back curtailed; resume reads back normal. The kinds that cannot,
and who may."""

import asyncio

import pytest
from django.contrib.auth.models import Group, User
from django.test import override_settings

from rigs import drivers
from rigs.control import Actor, curtail_rigs, resume_rigs
from rigs.models import AuditEntry, Curtailment, Rig, Snapshot
from rigs.polling import poller
from rigs.simulators import antminer, avalon, braiins, luxos, vnish, whatsminer, whatsminer_v3, xmrig
from tests.drivers.asic_helpers import FAST, serving

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def alice():
    user = User.objects.create_user("alice", password="x")
    user.groups.add(Group.objects.get_or_create(name="sys")[0])
    return user


def start(bg, kind):
    """(simulator, Rig fields) of one firmware served on loopback."""
    serve = serving(bg)
    if kind == "antminer":
        sim = antminer.AntminerSim(password="pw")
        rpc, web = serve(antminer.serve, sim, 2)
        return sim, {"port": rpc, "web_port": web, "token": "pw"}
    if kind == "vnish":
        sim = vnish.VnishSim(password="pw")
        rpc, web = serve(antminer.serve, sim, 2)  # VNish: the Antminer RPC, its own web API
        return sim, {"port": rpc, "web_port": web, "token": "pw"}
    if kind == "braiins":
        sim = braiins.BraiinsSim(password="pw")
        rpc, web = serve(braiins.serve, sim, 2)
        return sim, {"port": rpc, "web_port": web, "token": "pw"}
    if kind == "whatsminer":
        sim = whatsminer.WhatsminerSim(password="pw")
        return sim, {"port": serve(whatsminer.serve, sim), "token": "pw"}
    if kind == "whatsminer-v3":
        sim = whatsminer_v3.WhatsminerV3Sim(password="pw")
        rpc, v3 = serve(whatsminer_v3.serve, sim, 2)
        return sim, {"port": rpc, "web_port": v3, "token": "pw"}
    if kind == "luxos":
        sim = luxos.LuxosSim()
        return sim, {"port": serve(luxos.serve, sim)}
    if kind == "avalon":
        sim = avalon.AvalonSim()
        return sim, {"port": serve(avalon.serve, sim)}
    raise AssertionError(kind)


def rig_of(kind, fields):
    rig = Rig.objects.create(name=f"{kind}-1", kind=kind.removesuffix("-v3"), host="127.0.0.1", **fields)
    asyncio.run(poller.poll_once())
    return Rig.objects.select_related("snapshot").get(pk=rig.pk)


def audit_rows(rig):
    return list(AuditEntry.objects.filter(rig=rig).order_by("id").values_list("command", "outcome", "params"))


@override_settings(**FAST)
@pytest.mark.parametrize("kind", ["antminer", "vnish", "braiins", "whatsminer", "whatsminer-v3", "luxos", "avalon"])
def test_sleep_then_resume_through_each_firmware(bg, alice, kind):
    sim, fields = start(bg, kind)
    rig = rig_of(kind, fields)
    assert drivers.curtailed(rig.kind, rig.snapshot.sections) is False  # hashing: plainly not curtailed
    (report,) = curtail_rigs([rig], "sleep", actor=alice, address="127.0.0.1", reason="peak price")
    assert report.ok, report.message
    assert sim.sleeping and report.curtailed is True and report.read_back == "yes"
    snap = Snapshot.objects.get(rig=rig)
    assert snap.brief["figures"]["curtailed"] is True and snap.brief["figures"]["hashrate_now_hs"] == 0
    keys = [r["key"] for r in snap.brief["health"]["reasons"]]
    assert "curtailed" in keys and not [k for k in keys if k.startswith(("dev:", "fan:", "slow"))], keys
    row = Curtailment.objects.get(rig=rig)
    assert (row.how, row.reason, row.actor, row.ended_at, row.read_back) == ("sleep", "peak price", "alice", None, True)
    (back,) = resume_rigs([Rig.objects.select_related("snapshot").get(pk=rig.pk)], actor=alice, address="127.0.0.1")
    assert back.ok, back.message
    assert not sim.sleeping and back.curtailed is False
    assert Curtailment.objects.get(rig=rig).ended_at is not None
    rows = audit_rows(rig)
    assert [(c, o) for c, o, _ in rows] == [("curtail", "S"), ("resume", "S")]
    assert rows[0][2] == {"how": "sleep"}
    assert AuditEntry.objects.get(rig=rig, command="curtail").username == "alice"


@override_settings(**FAST)
def test_braiins_power_target_is_read_back_and_set_back_on_resume(bg, alice):
    sim, fields = start(bg, "braiins")
    rig = rig_of("braiins", fields)
    (report,) = curtail_rigs([rig], "power", "2000", actor=Actor("schedule: weekday peak"))
    assert report.ok and sim.power_target == 2000 and report.curtailed is True
    assert Snapshot.objects.get(rig=rig).brief["figures"]["power_w"] < 2000  # the firmware's own reading
    row = Curtailment.objects.get(rig=rig)
    assert (row.restore, row.actor, row.value) == ("3500", "schedule: weekday peak", "2000")
    assert AuditEntry.objects.get(command="curtail").username == "schedule: weekday peak"
    (back,) = resume_rigs([rig], actor=Actor("schedule: weekday peak"))
    assert back.ok and sim.power_target == 3500, back.message
    assert [c for c, _, _ in audit_rows(rig)] == ["curtail", "resume", "powertarget"]
    assert drivers.curtailed("braiins", Snapshot.objects.get(rig=rig).sections, "power", "2000") is False


@override_settings(**FAST)
@pytest.mark.parametrize("kind", ["whatsminer", "whatsminer-v3"])
def test_whatsminer_low_power_mode_and_power_limit(bg, alice, kind):
    sim, fields = start(bg, kind)
    rig = rig_of(kind, fields)
    (report,) = curtail_rigs([rig], "power", "low", actor=alice)
    assert report.ok and sim.power_mode.lower() == "low" and report.curtailed is True, report.message
    (report,) = curtail_rigs([rig], "power", "2500", actor=alice)
    assert report.ok and sim.power_limit == 2500 and report.curtailed is True
    usual = 3600 if kind == "whatsminer" else 3400
    assert Curtailment.objects.get(rig=rig, ended_at=None).restore == str(usual)  # kept from the first one
    (back,) = resume_rigs([rig], actor=alice)
    assert back.ok and sim.power_mode.lower() == "normal" and sim.power_limit == usual, back.message
    assert back.curtailed is False


@override_settings(**FAST)
def test_luxos_power_by_profile_selector_and_the_profile_set_back(bg, alice):
    sim, fields = start(bg, "luxos")
    rig = rig_of("luxos", fields)
    (report,) = curtail_rigs([rig], "power", "2200", actor=alice)
    assert report.ok and sim.profile == "290MHz", report.message  # the largest profile within 2200 W
    assert report.curtailed is None  # a profile chosen by watts is not named by them: unknown, said so
    (back,) = resume_rigs([rig], actor=alice)
    assert back.ok and sim.profile == "default"


@override_settings(**FAST)
def test_xmrig_pause_is_read_back_from_its_summary(alice):
    sim = xmrig.XmrigSim(token="t0k", restricted=False)
    loop, base = serve_xmrig(sim)
    try:
        rig = rig_of("xmrig", {"port": base, "token": "t0k"})
        (report,) = curtail_rigs([rig], "sleep", actor=alice)
        assert report.ok and sim.paused and report.curtailed is True
        (back,) = resume_rigs([rig], actor=alice)
        assert back.ok and not sim.paused and back.curtailed is False
    finally:
        loop.call_soon_threadsafe(loop.stop)


def serve_xmrig(sim):
    import random
    import threading

    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    for _ in range(20):
        base = random.randint(12000, 32000)
        try:
            asyncio.run_coroutine_threadsafe(xmrig.serve([sim], "127.0.0.1", base), loop).result(5)
            return loop, base
        except OSError:
            continue
    raise RuntimeError("no free port")


@override_settings(**FAST)
def test_cgminer_disables_every_device_and_enables_them_again(farm, alice):
    from rigs.simulators.cgminer import SimRig

    sim = SimRig(flavour="cgminer", pools=1, devices=2)
    f = farm(sim)
    rig = rig_of("cgminer", {"port": f.port(0)})
    (report,) = curtail_rigs([rig], "sleep", actor=alice)
    assert report.ok and report.curtailed is True and "2 device(s) disabled" in report.message
    assert [d["enabled"] for d in sim.devices] == [False, False]
    assert all(d["MHS 5s"] == 0 for d in Snapshot.objects.get(rig=rig).sections["DEVS"])
    (back,) = resume_rigs([rig], actor=alice)
    assert back.ok and back.curtailed is False and [d["enabled"] for d in sim.devices] == [True, True]


@override_settings(**FAST)
def test_what_cannot_be_done_is_refused_before_anything_is_sent_and_audited(bg, alice):
    sim, fields = start(bg, "antminer")
    rig = rig_of("antminer", fields)
    pool = Rig.objects.create(name="pool", kind="ckpool", host="127.0.0.1", port=1, path="/tmp/none")
    reports = curtail_rigs([rig, pool], "power", "2000", actor=alice)
    assert [r.letter for r in reports] == ["invalid", "invalid"]
    assert "sleep only" in reports[0].message and "not a miner" in reports[1].message
    assert not sim.sleeping and sim.writes == []
    assert sorted(AuditEntry.objects.values_list("command", "outcome")) == [("curtail", "invalid")] * 2
    assert not Curtailment.objects.exists()


@override_settings(**FAST)
def test_only_sys_users_and_automations_may_curtail(bg):
    sim, fields = start(bg, "avalon")
    rig = rig_of("avalon", fields)
    bob = User.objects.create_user("bob", password="x")  # usr tier
    (report,) = curtail_rigs([rig], "sleep", actor=bob, address="127.0.0.1")
    assert report.letter == "refused" and not sim.sleeping
    assert AuditEntry.objects.get().outcome == "refused"
    (report,) = resume_rigs([rig], actor=None)
    assert report.letter == "refused"


@override_settings(**FAST)
def test_the_rig_page_offers_curtail_and_resume_to_sys_only_by_post_with_csrf(bg, alice):
    from django.test import Client

    sim, fields = start(bg, "luxos")
    rig = rig_of("luxos", fields)
    sys_page = client(alice).get(f"/rigs/{rig.pk}/").content.decode()
    assert 'id="cmd-curtail"' in sys_page and 'id="cmd-resume"' in sys_page
    assert "<code>curtail|&lt;session&gt;,sleep</code>" in sys_page and "Read back" in sys_page  # escaped
    bob = User.objects.create_user("bob", password="x")
    bob.groups.add(Group.objects.get_or_create(name="usr")[0])
    assert 'id="cmd-curtail"' not in client(bob).get(f"/rigs/{rig.pk}/").content.decode()
    url = f"/rigs/{rig.pk}/command/"
    assert client(bob).post(url, {"command": "curtail", "how": "sleep", "confirm": "yes"}).status_code == 403
    assert client(alice).get(url, {"command": "curtail", "how": "sleep"}).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(url, {"command": "curtail", "how": "sleep", "confirm": "yes"}).status_code == 403
    assert not sim.sleeping
    client(alice).post(url, {"command": "curtail", "how": "sleep"})  # not confirmed: refused, nothing sent
    assert not sim.sleeping
    page = client(alice).post(url, {"command": "curtail", "how": "nap", "confirm": "yes"}).content.decode()
    assert "how: one of sleep, power" in page and not sim.sleeping  # shown beside its form
    page = client(alice).post(url, {"command": "curtail", "how": "sleep", "confirm": "yes"}, follow=True)
    assert sim.sleeping and Snapshot.objects.get(rig=rig).brief["figures"]["curtailed"] is True
    assert "Read back after a poll: curtailed yes." in page.content.decode()
    assert Curtailment.objects.get(rig=rig).reason == "from the rig page"
    client(alice).post(url, {"command": "resume"})
    assert not sim.sleeping and Curtailment.objects.get(rig=rig).ended_at is not None
    rows = list(AuditEntry.objects.filter(command__in=("curtail", "resume")).order_by("id")
                .values_list("username", "command", "outcome"))
    assert rows == [("bob", "curtail", "refused"), ("alice", "curtail", "refused"), ("alice", "curtail", "refused"),
                    ("alice", "curtail", "refused"), ("alice", "curtail", "invalid"), ("alice", "curtail", "S"),
                    ("alice", "resume", "S")]


def client(user):
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


def test_every_kind_says_what_curtailing_does_or_why_it_cannot():
    for kind in drivers.kinds():
        can = drivers.curtailment(kind)
        assert can.hows or can.cannot, kind
        assert not can.hows or can.reads_back, kind  # a kind that curtails says what a poll shows of it
        assert drivers.can(kind, "curtail") == bool(can.hows)


def test_a_curtailed_rig_warns_curtailed_instead_of_dead_devices_and_no_hashrate_alert():
    from rigs.readings.health import assess
    from watch.alerts import DEFAULTS, conditions

    sections = {"DEVS": [{"ASC": i, "Status": "Dead", "MHS 5s": 0} for i in range(2)] + [
                {"ASC": 2, "Status": "Sick", "MHS 5s": 0}], "POOLS": [{"POOL": 0, "Status": "Alive", "Priority": 0}]}
    awake = {"hashrate_now_hs": 0.0, "max_temp": 95.0, "curtailed": False}
    asleep = {**awake, "curtailed": True}
    before = assess("antminer", sections, {}, awake, [1e14] * 10)
    after = assess("antminer", sections, {}, asleep, [1e14] * 10)
    assert {"dev:ASC 0:Dead", "slow"} <= {r["key"] for r in before["reasons"]}
    keys = [r["key"] for r in after["reasons"]]
    assert "curtailed" in keys and "dev:ASC 2:Sick" in keys  # a Sick board is no effect of the sleep
    assert not [k for k in keys if k.endswith(":Dead") or k == "slow"], keys
    assert any(k.startswith("temp") for k in keys)  # a hot rig is hot, asleep or not
    rules = {r: (True, v[0]) for r, v in DEFAULTS.items()}
    rig = {"name": "s19", "kind": "antminer", "error": "", "age": 1, "stale_after": 60, "figures": asleep,
           "reasons": after["reasons"], "median_hs": 1e14, "units": 3, "units_max": 3}
    assert "hashrate" not in [c[0] for c in conditions(rig, rules)]
    assert "hashrate" in [c[0] for c in conditions({**rig, "figures": awake}, rules)]
