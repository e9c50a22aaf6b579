"""The Redis channel layer under `make test-engines`: a viewer's consumer waits for pushes as long as none
comes, without its read of Redis timing out (found by `benchload --web`: sockets closed with 1011)."""

import asyncio
import os

import pytest
from channels.layers import get_channel_layer

WHY = os.environ.get("ENGINES_UNAVAILABLE") or "needs Redis: `make test-engines` starts it"


@pytest.mark.skipif("REDIS_URL" not in os.environ, reason=WHY)
def test_a_receive_with_nothing_to_read_outlasts_the_blocking_pop():
    """channels_redis blocks in BZPOPMIN for brpop_timeout (5 s), then asks again; redis-py 8 reads with a
    5 s socket timeout by default, so an idle consumer raised redis' TimeoutError and its socket closed."""
    layer = get_channel_layer()
    wait = layer.brpop_timeout + 3

    async def idle():
        channel = await layer.new_channel()
        try:
            await asyncio.wait_for(layer.receive(channel), wait)
        except TimeoutError:  # asyncio's: nothing came in ``wait`` seconds, and nothing failed
            return "waited"

    assert asyncio.run(idle()) == "waited"


@pytest.mark.skipif("REDIS_URL" not in os.environ, reason=WHY)
def test_many_viewers_joining_at_once_all_join():
    """Each socket that connects joins the group through a pooled connection of its own while it waits;
    redis-py 8 caps a pool at 100 by default, so the 101st of a crowd failed its handshake (benchload
    --web 2 with 1,000 viewers on a busy web process: 982 of them)."""
    layer = get_channel_layer()

    async def crowd():
        channels = [await layer.new_channel() for _ in range(300)]
        await asyncio.gather(*(layer.group_add("crowd", name) for name in channels))
        await asyncio.gather(*(layer.group_discard("crowd", name) for name in channels))
        return len(channels)

    assert asyncio.run(crowd()) == 300
