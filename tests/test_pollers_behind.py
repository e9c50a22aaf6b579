"""The header says when the pollers are behind: a round outlasting STALE_AFTER turns every rig stale between
two of its polls, and views turn them stale only a hundred at a time (READY_TURNED_PER_VIEW)."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group, User
from django.test import Client, override_settings

from rigs.models import Snapshot
from rigs.polling import behind, poller
from tests.base import FAST, register
from tests.waiting import async_wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def own_cache(name):
    """A cache of the test's own (locmem caches of one LOCATION are shared by the whole process)."""
    return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": name}}


BANNER = "The pollers are behind"


def one_round(f):
    register(f)

    async def go():
        stop = asyncio.Event()
        task = asyncio.create_task(poller.run(stop, interval=0.2))
        await async_wait_for(sync_to_async(Snapshot.objects.exists), 10, "a first round stored")
        await asyncio.sleep(0.5)  # the round ended and was recorded
        stop.set()
        await asyncio.wait_for(task, 10)

    asyncio.run(go())


def viewer(name, staff=False):
    user = User.objects.create_user(name, password="x", is_staff=staff)
    user.groups.add(Group.objects.get_or_create(name="sys" if staff else "usr")[0])
    c = Client()
    c.force_login(user)
    return c


@override_settings(**FAST, CACHES=own_cache("behind-late"), STALE_AFTER=0.01)
def test_a_round_longer_than_stale_after_is_said_in_the_header(farm):
    one_round(farm(count=1))
    late = behind.latest()
    assert late is not None and late["shard"] == "all rigs" and late["limit"] == 0
    page = viewer("ops").get("/overview/").content.decode()
    assert BANNER in page and "a round of all rigs took" in page and "POLL_INTERVAL" in page
    assert BANNER not in Client().get("/login/").content.decode()  # not to visitors who are not logged in


@override_settings(**FAST, CACHES=own_cache("behind-on-time"), STALE_AFTER=3600)
def test_a_poller_that_keeps_up_says_nothing(farm):
    one_round(farm(count=1))
    assert behind.latest() is None
    assert BANNER not in viewer("ops").get("/overview/").content.decode()


@override_settings(CACHES=own_cache("behind-shard"), STALE_AFTER=30)
def test_the_report_names_the_shard():
    behind.record((1, 4), 12.0)
    assert behind.latest() is None  # within STALE_AFTER
    behind.record((1, 4), 95.4)
    assert behind.latest()["shard"] == "shard 1/4" and behind.latest()["seconds"] == 95
