"""What every live socket shares: a consumer in the poller's group (rigs.polling.poller.GROUP) that pushes
its page again after a batch, at most once a gap (PushConsumer), and the check that its session still logs
its user in (logged_in_now), and one render per page shared by the sockets of a process (SharedRenders).
The tables' sockets are rigs/live.py's, the rack map's farm/live.py's."""

import asyncio
import time

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from rigs.polling.poller import GROUP


def logged_in_now(scope):
    """The socket's user as of now, or None: its session was logged out or expired, the account was
    disabled or its password changed."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.utils.crypto import constant_time_compare

    user = scope.get("user")
    if user is None or not user.is_authenticated:
        return None
    key = getattr(scope.get("session"), "session_key", None)
    data = import_module(settings.SESSION_ENGINE).SessionStore(key).load() if key else {}
    if str(data.get(SESSION_KEY)) != str(user.pk):
        return None
    fresh = get_user_model().objects.filter(pk=user.pk, is_active=True).first()
    if fresh is None or not constant_time_compare(data.get(HASH_SESSION_KEY, ""), fresh.get_session_auth_hash()):
        return None
    return fresh


class PushConsumer(AsyncWebsocketConsumer):
    """A socket in the poller's group that pushes a page again after a batch, at most once every ``gap``
    seconds: a subclass says what it pushes (push_after) and when a batch concerns it (rigs_updated)."""

    gap = 1.0  # seconds
    last = 0.0  # when the last push went out
    pending = None  # the push on its way; set before connect() can refuse: disconnect() follows a refusal
    joined = False  # in the group: a refused socket never was
    heard = 0.0  # when the last batch it shows was heard of

    async def join(self):
        await self.channel_layer.group_add(GROUP, self.channel_name)
        self.joined = True
        await self.accept()

    async def disconnect(self, code):
        if self.joined:
            self.joined = False
            await self.channel_layer.group_discard(GROUP, self.channel_name)
        if self.pending:
            self.pending.cancel()

    async def leave(self, code):
        """Close the socket from our side (its session ended): out of the group at once, not when the
        browser's disconnect arrives (with Redis, a member nobody reads fills its process's queue, and
        once full that process's other sockets miss their pushes)."""
        if self.joined:
            self.joined = False
            await self.channel_layer.group_discard(GROUP, self.channel_name)
        await self.close(code=code)

    def schedule(self):
        """A push after the gap. A batch heard of while a push is on its way is in that push when its
        render began after the batch, else in the push that follows it."""
        self.heard = time.monotonic()
        if self.pending is None:
            self.start_push()

    def start_push(self):
        wait = max(0.0, self.gap - (time.monotonic() - self.last))
        self.pending = asyncio.ensure_future(self.push(wait, self.heard))

    async def push(self, wait, since):
        started = None
        try:
            started = await self.push_after(wait, since)
        finally:
            self.pending = None
        if started is not None and self.heard > started:  # heard of after the render began: not shown
            self.start_push()

    async def push_after(self, wait, since):
        """Push the page after ``wait`` seconds if it changed since ``since``; returns when the render
        pushed began (None: the socket closed)."""
        raise NotImplementedError


class SharedRenders:
    """One render per key (a page, a tier, a query...) for every socket of this process that shows it:
    a render that began after a socket heard of a batch already shows that batch. 100 viewers of the
    same page cost one render. At most ``kept`` keys: past them, it starts again."""

    def __init__(self, kept):
        self.kept = kept
        self.rendered = {}  # key -> (monotonic time the render began, what it made)
        self.locks = {}  # key -> (event loop, asyncio.Lock): a lock belongs to one loop

    async def get(self, key, since, render):
        """(when the render began, ``render()``'s result) of one that began after ``since``."""
        loop = asyncio.get_running_loop()
        if len(self.locks) > self.kept:
            self.locks.clear()
            self.rendered.clear()
        if self.locks.get(key, (None,))[0] is not loop:
            self.locks[key] = (loop, asyncio.Lock())
        async with self.locks[key][1]:
            started, made = self.rendered.get(key, (-1.0, None))
            if started < since:
                started = time.monotonic()
                made = await sync_to_async(render)()
                self.rendered[key] = (started, made)
        return started, made
