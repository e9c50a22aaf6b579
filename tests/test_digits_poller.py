"""The poller learns how a rig writes its numbers from its raw replies, keeps it beside the snapshot,
and the rig page and custom pages print them so (rigs/readings/digits.py)."""

import asyncio
import socket
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from rigs.drivers.cgminer import stored
from rigs.drivers.cgminer.protocol import parse_reply
from rigs.models import Rig, Snapshot
from rigs.polling import poller
from rigs.readings import digits
from tests.conftest import CGM, fixture_bytes

pytestmark = pytest.mark.django_db(transaction=True)

NINE = ("version", "config", "summary", "devs", "pools", "notify", "devdetails", "stats", "coin")


def joined_reply():
    """The poller's nine commands answered as cgminer 4.11.1 answers a join, from its real replies."""
    parts = [b'"%s":[%s]' % (c.encode(), fixture_bytes(CGM / f"{c}.json.raw").split(b"\0")[0]) for c in NINE]
    return b"{" + b",".join(parts) + b',"id":1}\0'


def result(rig, raw, command="stats"):
    sections, statuses = stored(parse_reply(raw, command))
    return poller.Result(rig.id, True, sections=sections, statuses=statuses, raws=(raw,))


def test_a_polled_rig_shows_its_numbers_as_it_wrote_them(client, builtin_pages):
    reply = joined_reply()
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    rig = Rig.objects.create(name="real-cgminer", host="127.0.0.1", port=listening.getsockname()[1])

    async def answer(reader, writer):
        await reader.read(8191)
        writer.write(reply)
        await writer.drain()
        writer.close()

    async def round_():
        server = await asyncio.start_server(answer, sock=listening)
        try:
            return await poller.poll_once()
        finally:
            server.close()
            await server.wait_closed()

    results, _ = asyncio.run(round_())
    assert results[0].ok, results[0].error
    learned = Snapshot.objects.get(rig=rig).digits["decimals"]
    assert learned["Wait"] == 6 and learned["Network Difficulty"] == 8 and learned["Total MH"] == 4

    user = User.objects.create_user("alice", "", "alice-password")
    user.groups.add(Group.objects.get_or_create(name="sys")[0])
    client.force_login(user)
    for url in (f"/rigs/{rig.pk}/", "/pages/stats/"):
        body = client.get(url).content.decode()
        assert "86388558925171.01562500" in body, url  # COIN Network Difficulty, %.8f
        assert "99999999.000000" in body, url  # STATS Min, %.6f
        assert ">0.000000<" in body, url  # STATS Wait
    assert "0.00200000" in client.get(f"/rigs/{rig.pk}/").content.decode()  # POOLS Work Difficulty


def test_decimals_are_learned_now_and_then_not_every_round():
    rig = Rig.objects.create(name="r", host="127.0.0.1", port=4028)
    t0 = timezone.now()
    stats = fixture_bytes(CGM / "stats.json.raw")
    poller.store([result(rig, stats)], now=t0)
    first = Snapshot.objects.get(rig=rig).digits
    assert first == {"at": t0.timestamp(), "decimals": digits.learn([stats])}

    # a firmware writing 4 decimals now: not asked again a minute later...
    four = stats.replace(b'"Wait":0.000000', b'"Wait":0.0000')
    poller.store([result(rig, four)], now=t0 + timedelta(seconds=60))
    assert Snapshot.objects.get(rig=rig).digits == first
    # ...but within LEARN_EVERY it is
    later = t0 + timedelta(seconds=digits.LEARN_EVERY)
    poller.store([result(rig, four)], now=later)
    again = Snapshot.objects.get(rig=rig).digits
    assert again["at"] == later.timestamp() and again["decimals"]["Wait"] == 4 and first["decimals"]["Wait"] == 6


def test_the_pollers_memory_holds_when_it_learned():
    rig = Rig.objects.create(name="r", host="127.0.0.1", port=4028)
    t0 = datetime.fromtimestamp(1_800_000_000, UTC)
    recent = {}
    stats = fixture_bytes(CGM / "stats.json.raw")
    poller.store([result(rig, stats)], now=t0, recent=recent)
    assert recent[rig.id]["digits_at"] == t0.timestamp()
    r = result(rig, stats)
    poller.store([r], now=t0 + timedelta(seconds=30), recent=recent)
    assert recent[rig.id]["digits_at"] == t0.timestamp() and r.raws == ()  # the raw replies let go


def test_the_overview_prints_a_devices_temperature_as_written(client):
    rig = Rig.objects.create(name="r", host="127.0.0.1", port=4028)
    second = Rig.objects.create(name="s", host="127.0.0.2", port=4028)
    raw = (b'{"STATUS":[{"STATUS":"S","When":1795338618,"Code":9,"Msg":"1 ASC(s)"}],"DEVS":[{"ASC":0,"Name":"BTM",'
           b'"ID":0,"Enabled":"Y","Status":"Alive","Temperature":44.90,"MHS av":1000.00,"Accepted":5}],"id":1}')
    poller.store([result(rig, raw, "devs"), result(second, raw, "devs")])
    user = User.objects.create_user("bob", "", "bob-password")
    user.groups.add(Group.objects.get_or_create(name="usr")[0])
    client.force_login(user)
    body = client.get("/overview/").content.decode()
    assert "44.90°C" in body and "44.9°C" not in body
