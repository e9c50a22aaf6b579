"""The live sockets' "is my viewer still logged in?", asked for every socket of a process at once
(rigs/web/push.py: logged_in_all, SharedChecks, viewer_now)."""
import asyncio
import time
from types import SimpleNamespace

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.db import SessionStore

from minerpanel.tiers import SYS, USR, tier
from rigs.web import push
from rigs.web.push import SharedChecks, logged_in_all


def session_of(user):
    s = SessionStore()
    s.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "minerpanel.auth.ThrottledBackend",
              HASH_SESSION_KEY: user.get_session_auth_hash()})
    s.create()
    return s.session_key


@pytest.mark.django_db
def test_every_login_is_checked_in_three_queries(django_assert_num_queries):
    sys_group = Group.objects.create(name=SYS)
    users = [User.objects.create_user(f"u{i}", password="x-long-password-1") for i in range(12)]
    for u in users[:3]:
        u.groups.add(sys_group)
    keys = [(session_of(u), u.pk) for u in users]
    with django_assert_num_queries(3):  # the sessions, the users, their groups
        found = logged_in_all(keys)
        tiers = [tier(found[k]) for k in keys]  # from the groups read with the users
    assert [found[k].username for k in keys] == [u.username for u in users]
    assert tiers == [SYS] * 3 + [USR] * 9


@pytest.mark.django_db
def test_logged_out_disabled_or_changed_logins_are_not_found():
    users = [User.objects.create_user(f"u{i}", password="x-long-password-1") for i in range(5)]
    keys = [(session_of(u), u.pk) for u in users]
    SessionStore(keys[0][0]).delete()                                    # logged out
    User.objects.filter(pk=users[1].pk).update(is_active=False)          # disabled
    users[2].set_password("another-long-password-2")                     # password changed
    users[2].save()
    stranger = (keys[3][0], users[4].pk)                                # a session of someone else
    found = logged_in_all([*keys, stranger, (None, users[4].pk)])
    assert set(found) == {keys[3], keys[4]}


@pytest.mark.django_db(transaction=True)  # (answered as the database is: in a thread, its connection checked)
def test_questions_asked_together_are_answered_in_one_call():
    calls = []

    def answer(keys):
        calls.append(sorted(keys))
        return {k: k * 10 for k in keys if k != 3}

    checks = SharedChecks(answer, wait=0.01)

    async def go():
        first = await asyncio.gather(*(checks.get(k) for k in [1, 2, 3, 2, 1]))
        second = await checks.get(4)  # a later question: a call of its own
        return first, second

    first, second = asyncio.run(go())
    assert first == [10, 20, None, 20, 10]
    assert second == 40
    assert calls == [[1, 2, 3], [4]]


@pytest.mark.django_db(transaction=True)
def test_a_failed_answer_reaches_every_socket_that_asked():
    def answer(keys):
        raise RuntimeError("database gone")

    checks = SharedChecks(answer, wait=0.01)

    async def go():
        return await asyncio.gather(checks.get(1), checks.get(2), return_exceptions=True)

    assert [str(e) for e in asyncio.run(go())] == ["database gone"] * 2


@pytest.mark.django_db(transaction=True)
def test_sockets_of_one_process_share_the_check(monkeypatch):
    users = [User.objects.create_user(f"u{i}", password="x-long-password-1") for i in range(4)]
    scopes = [{"user": u, "session": SimpleNamespace(session_key=session_of(u))} for u in users]
    SessionStore(scopes[1]["session"].session_key).delete()
    calls = []
    checks = SharedChecks(lambda keys: calls.append(len(keys)) or logged_in_all(keys))
    monkeypatch.setattr(push, "_logins", checks)

    async def go():
        return await asyncio.gather(*(push.viewer_now(s) for s in scopes * 5))  # 20 sockets, 4 sessions

    viewers = asyncio.run(go())
    assert calls == [4]
    assert [v and v.username for v in viewers[:4]] == ["u0", None, "u2", "u3"]
    assert [v and v.pk for v in viewers] == [v and v.pk for v in viewers[:4]] * 5


def test_a_batch_news_is_handed_on_without_a_connection_check(monkeypatch):
    """Channels checks the database connections before each message; a batch's news (to every socket)
    needs none: 1,000 sockets spent a fifth of their push CPU in those checks."""
    import channels.consumer

    from rigs.web.push import PushConsumer

    checked, heard = [], []

    async def check():
        checked.append(1)

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", check)

    class Socket(PushConsumer):
        async def rigs_updated(self, event):
            heard.append(event["rigs"])

        async def websocket_receive(self, message):
            heard.append(message["text"])

    async def go():
        socket = Socket()
        await socket.dispatch({"type": "rigs.updated", "rigs": [1, 2]})
        await socket.dispatch({"type": "websocket.receive", "text": "hello"})

    asyncio.run(go())
    assert heard == [[1, 2], "hello"]
    assert checked == [1]  # the other messages are checked as channels does


@pytest.mark.django_db(transaction=True)
def test_a_crowd_of_sockets_joins_and_leaves_the_group_a_few_at_a_time(monkeypatch):
    """Each group_add or group_discard in flight holds a Redis connection of its own: 60 sockets joining
    at once made 60 connections (1,000 made 1,000, and cost the event loop 1.4 s). At most
    push.group_calls.n are in flight, and every socket still joins and leaves."""
    from channels.layers import InMemoryChannelLayer

    from tests.test_consumers import communicator

    class Slow(InMemoryChannelLayer):
        flight = top = 0

        async def timed(self, call, *args):
            Slow.flight += 1
            Slow.top = max(Slow.top, Slow.flight)
            await asyncio.sleep(0.01)  # a round trip to Redis
            Slow.flight -= 1
            return await call(*args)

        async def group_add(self, group, channel):
            return await self.timed(super().group_add, group, channel)

        async def group_discard(self, group, channel):
            return await self.timed(super().group_discard, group, channel)

    layer = Slow()
    monkeypatch.setattr("channels.consumer.get_channel_layer", lambda alias=None: layer)
    user = User.objects.create_user("crowd", password="x-long-password-1")

    async def crowd():
        comms = [communicator(user) for _ in range(60)]
        joined = await asyncio.gather(*(c.connect(timeout=60) for c in comms))
        members = len(layer.groups.get(push.GROUP, {}))
        await asyncio.gather(*(c.disconnect(timeout=60) for c in comms))
        return joined, members

    joined, members = asyncio.run(crowd())
    assert [ok for ok, _ in joined] == [True] * 60 and members == 60
    assert layer.groups.get(push.GROUP, {}) == {}
    assert 1 < Slow.top <= push.group_calls.n


def test_a_batchs_pushes_are_spread_so_other_work_runs_between_them(monkeypatch):
    """The sends of a batch's pushes ran back to back in the event loop (about 0.5 ms each), and a page
    request on the process waited behind all of them. With 500 sockets they are spread over up to
    push.SPREAD seconds and a page's turn comes between them; with 5, over at most 5 ms."""

    def sends(sockets):
        monkeypatch.setattr(push.PushConsumer, "sockets", sockets)
        events = []

        class Socket(push.PushConsumer):
            async def send(self, text_data=None, bytes_data=None, close=False):
                events.append(("push", time.monotonic()))

        async def page():
            await asyncio.sleep(0)
            events.append(("page", time.monotonic()))

        async def batch():
            async def push(socket):
                await socket.spread()
                await socket.send(text_data="x")

            await asyncio.gather(*(push(Socket()) for _ in range(100)), page())

        asyncio.run(batch())
        pushes = [t for what, t in events if what == "push"]
        return max(pushes) - min(pushes), [what for what, _ in events].index("page")

    spread, page_at = sends(500)
    assert 0.1 < spread <= push.SPREAD + 0.1 and page_at < 20  # not behind the hundred pushes
    spread, _ = sends(5)
    assert spread < 0.05
