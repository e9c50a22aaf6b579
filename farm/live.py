"""The rack map's live push: a WebSocket per open map (/ws/map/?site=&metric=) in the poller's group
(rigs.polling.poller.GROUP, as rigs/live.py's sockets are). When a batch of snapshots is stored, the
map's fragment is rendered again, at most once every MAP_PUSH_GAP seconds per socket, once for
every viewer of the same site and metric, and sent only when it differs from the last one sent.

Only logged-in users connect; a socket whose session was logged out, expired or whose account was
disabled is closed at its next push."""

import asyncio
import hashlib
import re
import time
from urllib.parse import parse_qs

from django.conf import settings

from rigs.web.push import PushConsumer, SharedRenders, viewer_now


class MapConsumer(PushConsumer):
    sent = ""  # digest of the last fragment sent

    @property
    def gap(self):
        return settings.MAP_PUSH_GAP

    async def connect(self):
        user = self.scope.get("user")
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1")[:500])
        self.site = (query.get("site") or [""])[0][:64]
        self.metric = (query.get("metric") or ["health"])[0][:20]
        if user is None or not user.is_authenticated:
            await self.close(code=4403)
            return
        await self.join()

    async def rigs_updated(self, event):
        self.schedule()

    async def push_after(self, wait, since):
        await asyncio.sleep(wait)
        if await viewer_now(self.scope) is None:
            await self.leave(4401)
            return None
        started, html = await shared_render(self.site, self.metric, since)
        self.last = time.monotonic()
        # the render's time (data-updated, a second's) is no change: the same map is not sent again
        digest = hashlib.blake2b(RENDERED_AT.sub("", html).encode(), digest_size=16).hexdigest()
        if html and digest != self.sent:
            self.sent = digest
            await self.spread()
            await self.send(text_data=html)
        return started


RENDERED_AT = re.compile(r' data-updated="\d*"', re.ASCII)
_renders = SharedRenders(kept=200)  # sites × metrics


async def shared_render(site, metric, since):
    """(when the render began, the fragment): one render per site and metric for every socket."""
    from .views import fragment

    return await _renders.get((site, metric), since, lambda: fragment(site, metric))
