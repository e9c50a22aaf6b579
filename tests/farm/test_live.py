"""The rack map's live push: logged-in users only, the fragment of their site and metric, at most once
every MAP_PUSH_GAP seconds, never the same fragment twice, and closed once the session is gone."""

import asyncio

import pytest
from channels.layers import get_channel_layer
from django.contrib.auth.models import AnonymousUser, User
from django.test import override_settings
from django.utils import timezone

from farm.models import Placement, Rack, Site
from rigs.models import Rig, Snapshot
from rigs.polling.poller import GROUP
from tests.test_consumers import communicator

pytestmark = pytest.mark.django_db(transaction=True)


def test_anonymous_sockets_are_refused():
    async def go():
        connected, code = await communicator(AnonymousUser(), "/ws/map/").connect()
        return connected, code

    assert asyncio.run(go()) == (False, 4403)


@override_settings(MAP_PUSH_GAP=0.2)
def test_a_batch_pushes_the_map_of_the_sockets_site_once_and_not_again_unchanged():
    bob = User.objects.create_user("bob", password="x")
    site = Site.objects.create(name="Oslo")
    rack = Rack.objects.create(site=site, name="A1", rows=1, columns=2)
    rig = Rig.objects.create(name="<b>rig</b>", host="10.0.0.5")
    Placement.objects.create(rig=rig, site=site, rack=rack, row=1, column=2)
    now = timezone.now()
    Snapshot.objects.create(rig=rig, polled_at=now, last_ok_at=now, sections={},
                            brief={"figures": {"max_temp": 71.0}, "health": {"state": "ok", "reasons": []}})

    async def go():
        comm = communicator(bob, f"/ws/map/?site={site.pk}&metric=temp")
        assert (await comm.connect())[0]
        await get_channel_layer().group_send(GROUP, {"type": "rigs.updated", "rigs": [rig.id]})
        first = await comm.receive_from(timeout=5)
        await get_channel_layer().group_send(GROUP, {"type": "rigs.updated", "rigs": [rig.id]})
        unchanged = await comm.receive_nothing(timeout=1.0)  # the same map: not sent again
        await asyncio.get_running_loop().run_in_executor(None, hotter, rig)
        await get_channel_layer().group_send(GROUP, {"type": "rigs.updated", "rigs": [rig.id]})
        second = await comm.receive_from(timeout=5)
        await comm.disconnect()
        return first, unchanged, second

    first, unchanged, second = asyncio.run(go())
    assert first.startswith('<div id="live" hx-swap-oob="true"')
    assert 'title="1,1 empty"' in first and "&lt;b&gt;rig&lt;/b&gt; · ok · hottest 71 °C" in first
    assert unchanged, "sent again"
    assert "hottest 93 °C" in second, second[-1500:]


def hotter(rig):
    from django.db import connections

    now = timezone.now()  # a newer poll, as the poller stores it before it announces the batch
    Snapshot.objects.filter(rig=rig).update(polled_at=now, last_ok_at=now, brief={
        "figures": {"max_temp": 93.0}, "health": {"state": "ok", "reasons": []}})
    connections.close_all()  # this thread's: the test database is dropped at the end


@override_settings(MAP_PUSH_GAP=0.1)
def test_a_logged_out_session_closes_the_socket():
    bob = User.objects.create_user("bob", password="x")
    Site.objects.create(name="Oslo")

    async def go():
        comm = communicator(bob, "/ws/map/")
        assert (await comm.connect())[0]
        await asyncio.get_running_loop().run_in_executor(None, log_out, bob)
        await get_channel_layer().group_send(GROUP, {"type": "rigs.updated", "rigs": []})
        closed = await comm.receive_output(timeout=5)
        return closed

    assert asyncio.run(go()) == {"type": "websocket.close", "code": 4401}


def log_out(user):
    from django.contrib.sessions.models import Session
    from django.db import connections

    Session.objects.all().delete()
    connections.close_all()
