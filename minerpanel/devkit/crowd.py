"""What a crowd of live sockets joining and leaving the poller's group at once costs the event loop, on
the Redis channel layer: every call at once (as before rigs/web/push.py's group_calls), then at most
group_calls.n at a time. A fresh layer each, so each starts with an empty connection pool.

    python -m minerpanel.devkit.engines python -m minerpanel.devkit.crowd [SOCKETS]
"""

import asyncio
import os
import sys
import time
from contextlib import nullcontext


def main(sockets):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minerpanel.settings")
    import django

    django.setup()
    from channels.layers import get_channel_layer

    from rigs.web.push import group_calls

    if "REDIS_URL" not in os.environ:
        sys.exit("needs REDIS_URL: run it under python -m minerpanel.devkit.engines")

    async def crowd(bounded):
        layer = get_channel_layer()
        names = [await layer.new_channel() for _ in range(sockets)]

        async def call(method, name):
            async with group_calls() if bounded else nullcontext():
                await method("crowd", name)

        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(call(layer.group_add, n) for n in names))
        joined = time.process_time() - cpu, time.perf_counter() - wall
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(call(layer.group_discard, n) for n in names))
        left = time.process_time() - cpu, time.perf_counter() - wall
        pool = layer._layers[asyncio.get_running_loop()]._connections[0].connection_pool  # noqa: SLF001
        opened = len(pool._available_connections) + len(pool._in_use_connections)  # noqa: SLF001
        await layer.flush()
        return joined, left, opened

    for bounded in (False, True, False, True):
        (jc, jw), (lc, lw), opened = asyncio.run(crowd(bounded))
        how = f"at most {group_calls.n} at a time" if bounded else "all at once"
        print(f"{sockets:,} sockets, {how:>18}: joining {jc:.2f} s CPU ({jw:.2f} s), leaving {lc:.2f} s CPU "
              f"({lw:.2f} s); {opened:,} Redis connections opened")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
