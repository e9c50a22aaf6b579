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

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from rigs.polling.poller import GROUP


def still_logged_in(scope):
    """Whether the socket's session still logs its user in (as rigs/live.py current_viewer checks)."""
    from importlib import import_module

    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.utils.crypto import constant_time_compare

    user = scope.get("user")
    if user is None or not user.is_authenticated:
        return False
    key = getattr(scope.get("session"), "session_key", None)
    data = import_module(settings.SESSION_ENGINE).SessionStore(key).load() if key else {}
    if str(data.get(SESSION_KEY)) != str(user.pk):
        return False
    fresh = get_user_model().objects.filter(pk=user.pk, is_active=True).first()
    return fresh is not None and constant_time_compare(data.get(HASH_SESSION_KEY, ""), fresh.get_session_auth_hash())


class MapConsumer(AsyncWebsocketConsumer):
    last = 0.0  # when the last push went out
    pending = None
    joined = False
    sent = ""  # digest of the last fragment sent
    heard = 0.0  # when the last batch was heard of

    async def connect(self):
        user = self.scope.get("user")
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1")[:500])
        self.site = (query.get("site") or [""])[0][:64]
        self.metric = (query.get("metric") or ["health"])[0][:20]
        if user is None or not user.is_authenticated:
            await self.close(code=4403)
            return
        await self.channel_layer.group_add(GROUP, self.channel_name)
        self.joined = True
        await self.accept()

    async def disconnect(self, code):
        if self.joined:
            await self.channel_layer.group_discard(GROUP, self.channel_name)
        if self.pending:
            self.pending.cancel()

    async def rigs_updated(self, event):
        self.heard = time.monotonic()
        if self.pending is None:  # else the push on its way shows this batch, or is followed by one
            self.schedule()

    def schedule(self):
        wait = max(0.0, settings.MAP_PUSH_GAP - (time.monotonic() - self.last))
        self.pending = asyncio.ensure_future(self.push_after(wait, self.heard))

    async def push_after(self, wait, since):
        started = since
        try:
            await asyncio.sleep(wait)
            if not await database_sync_to_async(still_logged_in)(self.scope):
                await self.close(code=4401)
                return
            started, html = await shared_render(self.site, self.metric, since)
            self.last = time.monotonic()
            digest = hashlib.blake2b(UPDATED.sub("", html).encode(), digest_size=16).hexdigest()
            if html and digest != self.sent:  # the same map at another second: not sent again
                self.sent = digest
                await self.send(text_data=html)
        finally:
            self.pending = None
        if self.heard > started:  # a batch heard of after the render began: not shown yet
            self.schedule()


UPDATED = re.compile(r' data-updated="\d*"')  # when it was drawn: not a change of the map
_rendered: dict = {}  # (site, metric) -> (monotonic time the render started, html)
_locks: dict = {}
KEPT = 200


async def shared_render(site, metric, since):
    """(when the render began, the fragment): one render per site and metric for every socket that
    shows it; one started after this socket heard of the batch already shows it."""
    from .views import fragment

    key, loop = (site, metric), asyncio.get_running_loop()
    if len(_locks) > KEPT:
        _locks.clear()
        _rendered.clear()
    if _locks.get(key, (None,))[0] is not loop:
        _locks[key] = (loop, asyncio.Lock())
    async with _locks[key][1]:
        started, html = _rendered.get(key, (-1.0, ""))
        if started < since:
            started = time.monotonic()
            html = await sync_to_async(fragment)(site, metric)
            _rendered[key] = (started, html)
    return started, html
