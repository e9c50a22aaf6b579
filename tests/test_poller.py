"""The poller against the simulator: isolation of failing rigs, storage, hidefields."""

import asyncio
from datetime import timedelta
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings
from django.utils import timezone

from rigs.drivers import cgminer
from rigs.models import Rig, Snapshot
from rigs.polling import poller
from rigs.simulators.cgminer import SimRig
from tests.base import FAST, register
from tests.waiting import async_wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@override_settings(**FAST)
def test_a_round_stores_every_rig_and_isolates_failures(farm):
    f = farm(SimRig(flavour="cgminer"), SimRig(flavour="bfgminer"), SimRig(fault="hang"),
             SimRig(fault="refuse"), SimRig(fault="garbage"), SimRig(flavour="oldcgminer"))
    rigs = register(f)
    batches = []
    real_store = poller.store

    def recording_store(results, **kw):
        batches.append(sorted(r.rig_id for r in results))
        return real_store(results, **kw)

    with mock.patch.object(poller, "store", recording_store):
        results, took = asyncio.run(poller.poll_once())
    assert len(results) == 6
    # The healthy rigs were stored before the hung one gave up.
    assert rigs[2].id not in batches[0]
    assert {rigs[0].id, rigs[1].id, rigs[5].id} <= set(batches[0])
    assert batches[-1] == [rigs[2].id]

    snaps = {s.rig_id: s for s in Snapshot.objects.all()}
    ok = snaps[rigs[0].id]
    assert ok.state() == "ok" and ok.joins is True
    assert set(ok.sections) >= {"VERSION", "CONFIG", "SUMMARY", "DEVS", "POOLS", "NOTIFY", "DEVDETAILS", "STATS",
                                "COIN"}
    assert ok.statuses["summary"]["Code"] == 11
    assert set(ok.brief) == {"when", "figures", "health", "history"}  # no copy of the sections
    assert ok.brief["figures"]["accepted"] == ok.sections["SUMMARY"][0]["Accepted"]
    assert snaps[rigs[5].id].joins is False and "SUMMARY" in snaps[rigs[5].id].sections
    assert snaps[rigs[2].id].error == "no reply within 1 s"
    assert snaps[rigs[3].id].error.startswith("connection refused")
    assert snaps[rigs[4].id].error_kind == "badreply" and snaps[rigs[4].id].error.startswith("reply is")
    for i in (2, 3, 4):
        assert snaps[rigs[i].id].state() == "unreachable"


@override_settings(**FAST)
def test_a_failing_rig_keeps_its_last_good_data(farm):
    sim = SimRig(flavour="cgminer")
    f = farm(sim)
    (rig,) = register(f)
    asyncio.run(poller.poll_once())
    first = Snapshot.objects.get(rig=rig)
    assert first.error == "" and first.sections["SUMMARY"]
    sim.fault = "hang"
    asyncio.run(poller.poll_once())
    snap = Snapshot.objects.get(rig=rig)
    assert snap.error == "no reply within 1 s"
    assert snap.sections == first.sections
    assert snap.last_ok_at == first.last_ok_at and snap.polled_at > first.polled_at
    assert snap.state() == "unreachable"


def test_stale_state_after_three_intervals():
    rig = Rig.objects.create(name="x", host="127.0.0.1", port=1)
    now = timezone.now()
    snap = Snapshot.objects.create(rig=rig, polled_at=now, last_ok_at=now - timedelta(seconds=31))
    with override_settings(POLL_INTERVAL=10, STALE_AFTER=0):
        assert snap.state(now) == "stale"
        assert snap.state(now - timedelta(seconds=5)) == "ok"


@override_settings(HIDE_FIELDS=["ASC.Temperature"], **FAST)
def test_edevs_estats_and_usbstats_are_asked_when_a_page_uses_them(farm):
    from custompages.models import CustomPage, PageSection

    f = farm(SimRig(flavour="cgminer", devices=2, pools=1))
    (rig,) = register(f)
    asyncio.run(poller.poll_once())
    sections = Snapshot.objects.get(rig=rig).sections
    assert "EDEVS" not in sections and "ESTATS" not in sections and "USBSTATS" not in sections
    page = CustomPage.objects.create(name="E", slug="e")
    PageSection.objects.create(page=page, section="EDEVS+ESTATS")
    PageSection.objects.create(page=page, section="DEVS+USBSTATS")
    assert {"EDEVS", "ESTATS", "USBSTATS"} <= set(poller.wanted_sections())
    assert cgminer.poll_commands(poller.wanted_sections())[-3:] == ["edevs", "estats", "usbstats"]
    asyncio.run(poller.poll_once())
    sections = Snapshot.objects.get(rig=rig).sections
    assert len(sections["EDEVS"]) == 2 and len(sections["DEVS"]) == 2  # the rig's edevs, stored apart
    assert all("Temperature" not in d for d in sections["EDEVS"])     # hidden there too
    assert any(str(s.get("ID", "")).startswith("POOL") for s in sections["ESTATS"])
    assert len(sections["STATS"]) == len(sections["ESTATS"])
    assert sections["USBSTATS"]


@override_settings(HIDE_FIELDS=["POOL.User", "SUMMARY.Best Share", "ASC.Temperature"], **FAST)
def test_hidden_fields_are_never_stored(farm):
    f = farm(SimRig(flavour="cgminer", devices=2, pools=2))
    (rig,) = register(f)
    asyncio.run(poller.poll_once())
    sections = Snapshot.objects.get(rig=rig).sections
    assert all("User" not in p for p in sections["POOLS"])
    assert all("URL" in p for p in sections["POOLS"])
    assert "Best Share" not in sections["SUMMARY"][0]
    assert all("Temperature" not in d for d in sections["DEVS"])


@override_settings(**FAST)
def test_disabled_rigs_and_shards(farm):
    f = farm(count=4)
    rigs = register(f)
    Rig.objects.filter(pk=rigs[3].pk).update(enabled=False)
    ids = {t.id for t in poller.load_targets()}
    assert ids == {r.id for r in rigs[:3]}
    shard0 = {t.id for t in poller.load_targets((0, 2))}
    shard1 = {t.id for t in poller.load_targets((1, 2))}
    assert shard0 | shard1 == ids and not shard0 & shard1


@override_settings(**FAST)
def test_the_round_publishes_on_the_channel_layer(farm):
    from channels.layers import get_channel_layer

    f = farm(count=2)
    rigs = register(f)

    async def go():
        layer = get_channel_layer()
        await layer.flush()  # with Redis: what sockets of earlier tests left in the group and its queue
        channel = await layer.new_channel()
        await layer.group_add(poller.GROUP, channel)
        await poller.poll_once()
        got = set()
        while len(got) < 2:
            msg = await asyncio.wait_for(layer.receive(channel), 2)
            assert msg["type"] == "rigs.updated"
            got |= set(msg["rigs"])
        return got

    assert asyncio.run(go()) == {r.id for r in rigs}


@override_settings(**FAST)
def test_run_stops_when_asked(farm):
    f = farm(count=1)
    register(f)

    async def go():
        stop = asyncio.Event()
        task = asyncio.create_task(poller.run(stop, interval=0.2))
        # a first round stored (a stop cancels the round in progress)
        await async_wait_for(sync_to_async(Snapshot.objects.exists), 10, "a first round stored")
        stop.set()
        await asyncio.wait_for(task, 10)  # the round in progress cancelled, the last one's history written

    asyncio.run(go())
    assert Snapshot.objects.get().state() == "ok"


def test_pollrigs_once_command(farm, capsys):
    from django.core.management import call_command

    f = farm(SimRig(), SimRig(fault="refuse"))
    register(f)
    call_command("pollrigs", "--once")
    out = capsys.readouterr().out
    assert "polled 2 rigs" in out and "1 failed" in out and "connection refused" in out


# serve's case: the in-memory layer (the engines run configures Redis, where the poller publishes itself)
@override_settings(**FAST, CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}})
def test_the_poller_writes_the_ready_rows_after_each_batch_then_announces_it(farm):
    from rigs.models import ReadyRow, ReadyTable

    f = farm(count=2)
    rigs = register(f)
    ReadyRow.objects.all().delete()
    announced = []

    def notify(ids, tables=()):  # serve's stdout line, under the in-memory channel layer
        announced.append((sorted(ids), set(ReadyRow.objects.filter(table="devs").values_list("rig_id", flat=True))))

    asyncio.run(poller.poll_once(on_batch=notify))
    assert announced and {i for ids, _ in announced for i in ids} == {r.id for r in rigs}
    assert all(set(ids) <= written for ids, written in announced)  # each batch's rows, before its announcement
    assert ReadyTable.objects.get(key="devs").rows == ReadyRow.objects.filter(table="devs").count() > 2


def test_the_poller_stores_figures_and_health_and_keeps_history(farm):
    sick = SimRig(flavour="sgminer", devices=2, pools=1)
    sick.devices[1]["status"] = "Sick"
    f = farm(sick, SimRig(flavour="bmminer", devices=2, pools=2))
    rigs = register(f)
    Rig.objects.filter(pk=rigs[1].pk).update(temp_warn=1, temp_err=2)  # every bmminer sensor is over
    asyncio.run(poller.poll_once())
    first = {s.rig_id: s.brief for s in Snapshot.objects.all()}
    asyncio.run(poller.poll_once())
    second = {s.rig_id: s.brief for s in Snapshot.objects.all()}
    b = second[rigs[0].id]
    assert b["health"]["state"] == "warn" and [r["text"] for r in b["health"]["reasons"]] == ["GPU 1 Sick"]
    assert b["health"]["reasons"][0]["since"] == first[rigs[0].id]["health"]["reasons"][0]["since"]
    assert len(b["history"]) == 2 and b["figures"]["hashrate_hs"] > 0
    bm = second[rigs[1].id]
    assert bm["figures"]["hashrate_hs"] > 1e12 and bm["health"]["state"] == "err"
    assert any("°C" in r["text"] for r in bm["health"]["reasons"])


def test_a_nul_in_a_rigs_string_is_stored_as_a_replacement_character_not_a_failed_batch():
    """PostgreSQL's jsonb refuses \\u0000: one such pool user must not lose the other rigs' round."""
    a, b = (Rig.objects.create(name=n, host="127.0.0.1", port=p) for n, p in (("a", 1), ("b", 2)))
    odd = 'back\\slash \\N tab\t newline\n quote" \\u0000 é 🚀'  # what COPY's text format must escape
    poller.store([poller.Result(a.id, True, sections={"POOLS": [{"POOL": 0, "User": "x\x00<y>", "URL": odd}]}),
                  poller.Result(b.id, True, sections={"SUMMARY": [{"Elapsed": 5}]})])
    pool = Snapshot.objects.get(rig=a).sections["POOLS"][0]
    assert pool["User"] == "x\ufffd<y>" and pool["URL"] == odd
    # the standard library's parse keeps what orjson refuses: a lone surrogate, 1e999, 2**70
    poller.store([poller.Result(a.id, True, sections={"SUMMARY": [
        {"Name": "a\ud800b", "Diff": float("inf"), "Low": float("-inf"), "Odd": float("nan"), "Big": 2**70}]})])
    summary = Snapshot.objects.get(rig=a).sections["SUMMARY"][0]
    assert summary == {"Name": "a\ufffdb", "Diff": None, "Low": None, "Odd": None, "Big": 2**70}
    assert Snapshot.objects.get(rig=b).sections["SUMMARY"] == [{"Elapsed": 5}]


def test_a_brief_that_fails_for_one_rig_costs_that_rig_its_brief_not_the_batch(caplog):
    a, b = (Rig.objects.create(name=n, host="127.0.0.1", port=p) for n, p in (("a", 1), ("b", 2)))
    from rigs.readings.brief import make_brief as real

    def failing(sections, *args, **kw):
        if "BOOM" in sections:
            raise ZeroDivisionError("a bug of ours")
        return real(sections, *args, **kw)

    recent = {}
    for _ in range(2):
        poller.store([poller.Result(a.id, True, sections={"BOOM": [{}], "SUMMARY": [{"MHS 5s": 1}]}),
                      poller.Result(b.id, True, sections={"SUMMARY": [{"Accepted": 5}]})], recent=recent)
        with mock.patch("rigs.polling.poller.make_brief", failing):
            poller.store([poller.Result(a.id, True, sections={"BOOM": [{}]}),
                          poller.Result(b.id, True, sections={"SUMMARY": [{"Accepted": 5}]})], recent=recent)
        with mock.patch("rigs.polling.poller.make_brief", failing):  # a failure that goes on is logged once
            poller.store([poller.Result(a.id, True, sections={"BOOM": [{}]})], recent=recent)
    brief = Snapshot.objects.get(rig=a).brief
    assert brief["health"]["state"] == "err" and brief["history"] == [1e6, 1e6]  # the rig's hashrates kept
    assert Snapshot.objects.get(rig=a).sections == {"BOOM": [{}]}
    assert Snapshot.objects.get(rig=b).brief["figures"]["accepted"] == 5
    assert caplog.text.count(f"rig {a.id}: working out its figures and health failed") == 2  # when it starts
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.create_user("viewer"))
    for url in ("/", "/overview/", f"/rigs/{a.id}/"):
        assert client.get(url).status_code == 200, url
    assert "figures and health could not be worked out" in client.get(f"/rigs/{a.id}/").content.decode()


def test_numbers_beyond_a_floats_range_neither_fail_the_batch_nor_the_pages():
    """10**400 is valid JSON: kept as an int, every float() of it raised, in the brief (the whole
    batch of rigs went unwritten) and in the pages. A rig's integer no float holds is None."""
    import json

    from rigs.drivers.cgminer import stored
    from rigs.drivers.cgminer.protocol import parse_reply
    from tests.test_pages import summary

    big = "1" + "0" * 400

    def part(name, records):
        return [{"STATUS": [{"STATUS": "S", "When": 1, "Code": 1, "Msg": name}], name.upper(): records, "id": 1}]

    reply = json.dumps({
        "summary": part("summary", [summary(Accepted="-BIG", **{"MHS av": "BIG"})]),
        "devs": part("devs", [{"ASC": 0, "Status": "Alive", "Temperature": "BIG", "MHS av": "BIG",
                               "Last Share Time": "BIG"}]),
        "pools": part("pools", [{"POOL": 0, "Status": "Alive", "Priority": "BIG", "Accepted": "BIG"}]),
        "stats": part("stats", [{"STATS": 0, "ID": "X", "temp1": "BIG", "temp2_1": "-BIG"}]), "id": 1})
    reply = reply.replace('"BIG"', big).replace('"-BIG"', "-" + big)
    sections, statuses = stored(parse_reply(reply.encode() + b"\0", "summary+devs+pools+stats"))
    assert sections["DEVS"][0]["Temperature"] is None and sections["SUMMARY"][0]["Accepted"] is None
    odd, fine = (Rig.objects.create(name=n, host=f"10.4.0.{i}") for i, n in enumerate(("rig-odd", "rig-fine")))
    raw = Rig.objects.create(name="rig-raw", host="10.4.0.9")  # as a version before this one stored it
    poller.store([poller.Result(odd.id, True, sections=sections, statuses=statuses),
                  poller.Result(fine.id, True, sections={"SUMMARY": [summary(Accepted=444)]}),
                  poller.Result(raw.id, True, sections={"SUMMARY": [summary(Accepted=10**400)],
                                                        "DEVS": [{"ASC": 0, "Temperature": -10**400}]})])
    asyncio.run(poller.stored([odd.id, fine.id, raw.id]))  # their pages' rows, as poll_once writes them
    assert Snapshot.objects.get(rig=odd).brief["figures"]["accepted"] is None
    assert Snapshot.objects.get(rig=fine).brief["figures"]["accepted"] == 444
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.create_user("viewer"))
    from django.apps import apps

    from custompages import builtin

    builtin.add_missing(apps, builtin.pages())  # an earlier transactional test's flush removed them
    for url in ("/", "/overview/", f"/rigs/{odd.id}/", f"/rigs/{raw.id}/", "/pages/mobile/"):
        assert client.get(url).status_code == 200, url
    assert ">444<" in client.get("/overview/").content.decode()


def test_the_bulk_upsert_keeps_every_column_as_given():
    """On PostgreSQL the snapshots go by binary COPY: each column's value as it was, NULLs included."""
    from datetime import UTC, datetime

    from rigs.polling.upsert import upsert
    from watch.models import Point

    a = Rig.objects.create(name="a", host="127.0.0.1", port=1)
    when = datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=UTC)
    row = dict(rig=a.id, sections={"POOLS": [{"URL": "stratum+tcp://ü.example:3333", "n": 2**70}]},
               statuses={"pools": {"STATUS": "S"}}, error="", brief={"figures": {}}, error_kind="x" * 16,
               latency_ms=12.25, polled_at=when, last_ok_at=None, joins=None)
    for _ in range(2):  # an insert, then the update of the same row
        upsert(Snapshot, [row], ["sections", "statuses", "brief", "error", "error_kind", "latency_ms", "polled_at",
                                 "last_ok_at", "joins"])
        row = {**row, "joins": True, "last_ok_at": when, "error": "‽"}
    snap = Snapshot.objects.get(rig=a)
    assert (snap.sections, snap.statuses, snap.brief) == (row["sections"], row["statuses"], row["brief"])
    assert (snap.error, snap.error_kind, snap.latency_ms, snap.polled_at, snap.last_ok_at, snap.joins) == \
        ("‽", "x" * 16, 12.25, when, when, True)
    point = {"rig_id": a.id, "res": 1, "t": 60, "acc": 2**31 - 1, "pool": -1, "state": 0, "devs": [["ASC 0", 1.5]]}
    # int2/int4 columns: the text form, which refuses what does not fit
    upsert(Point, [point], [], unique=["rig", "res", "t"])
    assert Point.objects.values_list("acc", "pool", "devs").get() == (2**31 - 1, -1, [["ASC 0", 1.5]])


def test_benchpoll_refuses_a_command_the_poller_does_not_ask():
    """A typo in --commands is a clear error, not a KeyError in every rig's reply."""
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="sumary"):
        call_command("benchpoll", rigs=1, commands="sumary")


def test_the_targets_connection_settings_are_the_drivers_fields_asked_as_they_are():
    """The drivers' FIELDS are the one list: the poller's Target holds their union and its query asks
    exactly those columns besides its own."""
    import dataclasses

    from rigs import drivers
    from rigs.polling import target

    wanted = drivers.connection_fields()
    assert set(wanted) == {"host", "port", "username", "token", "web_port", "path", "logdir"}
    own = {name for name, _ in target.OWN} | {"wanted", "health_limits", "raws"}
    assert {f.name for f in dataclasses.fields(target.Target)} - own == set(wanted)
    assert target.columns()[len(target.OWN):] == wanted
    rig = Rig.objects.create(name="x", host="127.0.0.1", port=4029, kind="antminer", web_port=8080, username="root",
                             token="s3cret")
    (t,) = poller.load_targets()
    assert (t.id, t.kind, t.host, t.port, t.web_port, t.username, t.token, t.path, t.joins, t.error) == (
        rig.id, "antminer", "127.0.0.1", 4029, 8080, "root", "s3cret", "", None, "")

