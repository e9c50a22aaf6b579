"""What a poller holds in memory during a round: at most POLL_BACKLOG replies waiting to be stored, and of a
stored one only the sections the round's end reads."""

import asyncio
from unittest import mock

import pytest
from django.test import override_settings

from rigs.models import Snapshot
from rigs.polling import poller
from tests.base import FAST, register

pytestmark = pytest.mark.django_db(transaction=True)


@override_settings(**FAST, POLL_CONCURRENCY=2, POLL_BACKLOG=4)
def test_polling_waits_for_storing_rather_than_hold_every_reply_in_memory(farm):
    """At 25,000 rigs a shard, storing (with the pages' ready rows) fell behind polling and every reply
    waited in memory: 2.5 GB a poller. At most POLL_BACKLOG rigs are polled and not stored yet."""
    f = farm(count=12)
    register(f)
    asked, stored, most = [0], [0], [0]
    real_poll, real_store = poller.poll_rig, poller.store

    async def counting_poll(t, **kw):
        asked[0] += 1
        most[0] = max(most[0], asked[0] - stored[0])
        return await real_poll(t, **kw)

    def slow_store(results, **kw):
        import time

        time.sleep(0.3)  # storing slower than the simulator answers
        real_store(results, **kw)
        stored[0] += len(results)

    with mock.patch.object(poller, "poll_rig", counting_poll), mock.patch.object(poller, "store", slow_store):
        results, _ = asyncio.run(poller.poll_once(flush_every=0.05))
    assert len(results) == 12 and all(r.ok for r in results) and Snapshot.objects.count() == 12
    assert most[0] <= 4, most  # unbounded: the whole shard (12) asked while the first batch was stored


@override_settings(**FAST)
def test_a_stored_batch_keeps_only_the_sections_the_rounds_end_reads(farm):
    """Each result held every section of its reply until the round's end; the history reads four."""
    f = farm(count=1)
    register(f)
    results, _ = asyncio.run(poller.poll_once())
    kept = set(results[0].sections)
    assert {"SUMMARY", "DEVS", "POOLS"} <= kept and not kept & {"STATS", "CONFIG", "VERSION", "NOTIFY", "DEVDETAILS"}
    stored = Snapshot.objects.get().sections  # stored whole all the same
    assert {"STATS", "CONFIG", "VERSION", "NOTIFY", "DEVDETAILS", "SUMMARY"} <= set(stored)
