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
