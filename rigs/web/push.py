"""What every live socket shares: a consumer in the poller's group (rigs.polling.poller.GROUP) that pushes
its page again after a batch, at most once a gap (PushConsumer), and the check that its session still logs
its user in (viewer_now: asked for every socket of a process at once, SharedChecks), and one render per page
shared by the sockets of a process (SharedRenders).
The tables' sockets are rigs/live.py's, the rack map's farm/live.py's."""

import asyncio
import random
import time

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from rigs.polling.poller import GROUP


def logged_in_all(keys):
    """{(session key, user pk): the user as of now} for those whose session still logs that user in (the
    others are missing), read in three queries whatever their number: the sessions, the users, their
    groups (minerpanel.tiers.tier reads them from there)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.utils import timezone
    from django.utils.crypto import constant_time_compare

    store = import_module(settings.SESSION_ENGINE).SessionStore
    session_keys = {k for k, _ in keys if k}
    if hasattr(store, "get_model_class"):  # sessions in the database: one query for them all
        rows = store.get_model_class().objects.filter(session_key__in=session_keys, expire_date__gt=timezone.now())
        sessions = {row.session_key: store().decode(row.session_data) for row in rows}
    else:
        sessions = {k: store(k).load() for k in session_keys}
    users = get_user_model().objects.filter(pk__in={pk for _, pk in keys}, is_active=True)
    users = {u.pk: u for u in users.prefetch_related("groups")}
    found = {}
    for key, pk in keys:
        data, user = sessions.get(key, {}), users.get(pk)
        if user is not None and str(data.get(SESSION_KEY)) == str(pk) \
                and constant_time_compare(data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()):
            found[(key, pk)] = user
    return found


class SharedChecks:
    """A question asked by many sockets at once, answered in one thread call for all of them: after a
    batch, the sockets of a process push within milliseconds of one another, and each asked the
    database whether its viewer is still logged in (four queries a socket, 4,000 for 1,000 viewers).
    ``answer(keys)`` returns {key: answer} for the keys gathered within ``wait`` seconds."""

    def __init__(self, answer, wait=0.02):
        self.answer = answer
        self.wait = wait
        self.loop = None
        self.asked = {}  # key -> future of its answer
        self.flush = None

    async def get(self, key):
        loop = asyncio.get_running_loop()
        if self.loop is not loop:  # (a future belongs to one loop)
            self.loop, self.asked, self.flush = loop, {}, None
        if key not in self.asked:
            self.asked[key] = loop.create_future()
            if self.flush is None:
                self.flush = asyncio.ensure_future(self.answer_all())
        return await asyncio.shield(self.asked[key])

    async def answer_all(self):
        await asyncio.sleep(self.wait)
        asked, self.asked, self.flush = self.asked, {}, None
        try:
            answers = await database_sync_to_async(self.answer)(list(asked))
        except Exception as error:  # every socket that asked hears of it
            for future in asked.values():
                future.set_exception(error)
            return
        for key, future in asked.items():
            future.set_result(answers.get(key))


_logins = SharedChecks(logged_in_all)


class Bounded:
    """At most ``n`` of a process's sockets at once in a call: the channel layer's group_add and
    group_discard. Each call in flight holds a Redis connection of its own, and a crowd of sockets joining
    (a web process started, a network blip ended) or leaving at once made one connection per socket:
    1,000 joining cost the event loop 1.4 s of CPU and left 1,000 connections open; 16 at a time, 0.26 s
    over 16 connections. Per event loop (a semaphore belongs to one)."""

    def __init__(self, n):
        self.n = n
        self.loop = None
        self.semaphore = None

    def __call__(self):
        loop = asyncio.get_running_loop()
        if self.loop is not loop:
            self.loop, self.semaphore = loop, asyncio.Semaphore(self.n)
        return self.semaphore


group_calls = Bounded(16)
SPREAD = 0.5  # seconds over which a batch's pushes of a process go out, with 500 sockets or more


async def viewer_now(scope):
    """The socket's user as of now, or None: its session was logged out or expired, the account was
    disabled or its password changed. Asked together with the other sockets of this process."""
    user = scope.get("user")
    if user is None or not user.is_authenticated:
        return None
    return await _logins.get((getattr(scope.get("session"), "session_key", None), user.pk))


class PushConsumer(AsyncWebsocketConsumer):
    """A socket in the poller's group that pushes a page again after a batch, at most once every ``gap``
    seconds: a subclass says what it pushes (push_after) and when a batch concerns it (rigs_updated)."""

    gap = 1.0  # seconds
    last = 0.0  # when the last push went out
    pending = None  # the push on its way; set before connect() can refuse: disconnect() follows a refusal
    joined = False  # in the group: a refused socket never was
    heard = 0.0  # when the last batch it shows was heard of
    sockets = 0  # of this process in the group, every kind (PushConsumer.sockets)

    async def dispatch(self, message):
        # A batch's news touches no database here (rigs_updated only schedules a push). Channels checks
        # the thread's connections before every message it hands on, a thread hop per socket per batch:
        # 1,000 sockets spent a fifth of their push CPU in it. The push's own calls check theirs.
        if message["type"] == "rigs.updated":
            await self.rigs_updated(message)
        else:
            await super().dispatch(message)

    async def join(self):
        async with group_calls():
            await self.channel_layer.group_add(GROUP, self.channel_name)
        self.joined = True
        PushConsumer.sockets += 1
        await self.accept()

    async def disconnect(self, code):
        if self.pending:
            self.pending.cancel()
        await self.discard()

    async def discard(self):
        """Out of the poller's group, once."""
        if self.joined:
            self.joined = False
            PushConsumer.sockets -= 1
            async with group_calls():
                await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def leave(self, code):
        """Close the socket from our side (its session ended): out of the group at once, not when the
        browser's disconnect arrives (with Redis, a member nobody reads fills its process's queue, and
        once full that process's other sockets miss their pushes)."""
        await self.discard()
        await self.close(code=code)

    async def spread(self):
        """Wait for this socket's moment within a short spread before it sends a push: a batch's pushes
        were all sent at once by the event loop, each send about half a millisecond, and a page request on
        this process waited behind all of them (a quarter of a second with 500 viewers). Up to SPREAD
        seconds with 500 sockets or more, a millisecond a socket with fewer. (The message is made after
        it, so that 500 sockets do not hold theirs meanwhile.)"""
        await asyncio.sleep(random.random() * min(SPREAD, PushConsumer.sockets * 0.001))  # noqa: S311

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
