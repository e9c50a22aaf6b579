import asyncio
import logging

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser, User
from django.utils import timezone

from minerpanel.asgi import application
from rigs import live
from rigs.models import Rig, Snapshot
from rigs.polling.poller import GROUP
from rigs.readings.brief import make_brief
from rigs.web.changes import parse

pytestmark = pytest.mark.django_db(transaction=True)


def logged_in(user):
    """A stored session of this user, as the login view makes."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    if user.is_authenticated:
        session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "minerpanel.auth.ThrottledBackend",
                        HASH_SESSION_KEY: user.get_session_auth_hash()})
        session.create()
    return session


def communicator(user, path="/ws/live/summary/"):
    from channels.routing import URLRouter

    from minerpanel.routing import websocket_urlpatterns

    app = URLRouter(websocket_urlpatterns)

    from channels.db import database_sync_to_async

    class WithUser:
        async def __call__(self, scope, receive, send):
            scope["user"], scope["session"] = user, await database_sync_to_async(logged_in)(user)
            return await app(scope, receive, send)

    return WebsocketCommunicator(WithUser(), path)


def test_anonymous_sockets_are_refused():
    async def go():
        comm = communicator(AnonymousUser())
        connected, code = await comm.connect()
        assert not connected and code == 4403

    asyncio.run(go())


def test_refused_sockets_log_nothing(caplog):
    """50 anonymous sockets through the real ASGI stack (origin check, session, auth): each refused,
    closed by the visitor, and nothing in the log (each gave two ERROR tracebacks)."""

    async def go():
        for path in ["/ws/live/summary/", "/ws/live/rig/1/", "/ws/live/page/nope/"] * 17:
            comm = WebsocketCommunicator(application, path, headers=[(b"origin", b"http://127.0.0.1:8000"),
                                                                     (b"host", b"127.0.0.1:8000")])
            connected, code = await comm.connect()
            assert not connected and code == 4403
            await comm.disconnect()
            await comm.wait()

    with caplog.at_level(logging.DEBUG):
        asyncio.run(go())
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


def test_an_update_pushes_the_fragment_rendered_for_the_viewer():
    bob = User.objects.create_user("bob", password="x")
    rig = Rig.objects.create(name="rig-<b>a</b>", host="10.0.0.5")
    Snapshot.objects.create(rig=rig, polled_at=timezone.now(), last_ok_at=timezone.now(),
                            sections={"SUMMARY": [{"MHS av": 2500.0}]}, brief={"SUMMARY": [{"MHS av": 2500.0}]})

    async def go():
        comm = communicator(bob)
        connected, _ = await comm.connect()
        assert connected
        await get_channel_layer().group_send(GROUP, {"type": "rigs.updated", "rigs": [rig.id]})
        html = await comm.receive_from(timeout=5)
        await comm.disconnect()
        return html

    html = asyncio.run(go())
    assert 'id="live" hx-swap-oob="true"' in html
    assert "2.50 GH/s" in html
    assert "rig-&lt;b&gt;a&lt;/b&gt;" in html
    assert "10.0.0.5" not in html  # bob is usr


def test_rig_page_socket_ignores_other_rigs():
    bob = User.objects.create_user("bob", password="x")
    rig = Rig.objects.create(name="a", host="10.0.0.5")
    other = Rig.objects.create(name="b", host="10.0.0.6")

    async def go():
        comm = communicator(bob, f"/ws/live/rig/{rig.id}/")
        assert (await comm.connect())[0]
        await get_channel_layer().group_send(GROUP, {"type": "rigs.updated", "rigs": [other.id]})
        nothing = await comm.receive_nothing(timeout=1.2)
        await get_channel_layer().group_send(GROUP, {"type": "rigs.updated", "rigs": [rig.id]})
        html = await comm.receive_from(timeout=5)
        await comm.disconnect()
        return nothing, html

    nothing, html = asyncio.run(go())
    assert nothing and 'id="live"' in html


def test_foreign_origins_are_refused():
    async def go():
        comm = WebsocketCommunicator(application, "/ws/live/summary/", headers=[(b"origin", b"http://evil.example")])
        connected, _ = await comm.connect()
        return connected

    assert asyncio.run(go()) is False


def test_public_custom_pages_push_to_anonymous_visitors():
    from custompages.models import CustomPage, PageSection

    public = CustomPage.objects.create(name="Open", slug="open", public=True)
    PageSection.objects.create(page=public, section="DATE")
    CustomPage.objects.create(name="Closed", slug="closed", public=False)
    rig = Rig.objects.create(name="a", host="10.0.0.5")

    async def go():
        private = communicator(AnonymousUser(), "/ws/live/page/closed/")
        refused = not (await private.connect())[0]
        comm = communicator(AnonymousUser(), "/ws/live/page/open/")
        assert (await comm.connect())[0]
        await get_channel_layer().group_send(GROUP, {"type": "rigs.updated", "rigs": [rig.id]})
        html = await comm.receive_from(timeout=5)
        await comm.disconnect()
        return refused, html

    refused, html = asyncio.run(go())
    assert refused
    assert 'id="live" hx-swap-oob="true"' in html and "Date:" in html


def test_a_problems_only_page_gets_problems_only_pushes():
    from rigs.readings.brief import make_brief

    bob = User.objects.create_user("bob", password="x")
    now = timezone.now()
    for i, (name, status) in enumerate((("fine", "Alive"), ("sick", "Sick"))):
        sections = {"SUMMARY": [{"MHS av": 1.0}], "DEVS": [{"GPU": 0, "Enabled": "Y", "Status": status}]}
        Snapshot.objects.create(rig=Rig.objects.create(name=name, host=f"10.0.1.{i}"), polled_at=now,
                                last_ok_at=now, sections=sections, brief=make_brief(sections, {}))

    async def go(path):
        comm = communicator(bob, path)
        connected, _ = await comm.connect()
        assert connected
        await get_channel_layer().group_send(GROUP, {"type": "rigs.updated", "rigs": []})
        html = await comm.receive_from(timeout=5)
        await comm.disconnect()
        return html.split('id="rigs"')[1].split("</section>")[0]

    problems = asyncio.run(go("/ws/live/summary/?problems=1"))
    assert ">sick<" in problems and ">fine<" not in problems
    everything = asyncio.run(go("/ws/live/summary/"))
    assert ">sick<" in everything and ">fine<" in everything
def test_a_socket_closes_when_its_session_logs_out():
    bob = User.objects.create_user("bob", password="x")
    rig = Rig.objects.create(name="rig-a", host="10.0.0.5")

    async def go():
        comm = communicator(bob)
        assert (await comm.connect())[0]
        await get_channel_layer().group_send(GROUP, {"type": "rigs.updated", "rigs": [rig.id]})
        first = await comm.receive_from(timeout=5)
        from channels.db import database_sync_to_async
        from django.contrib.sessions.models import Session

        await database_sync_to_async(Session.objects.all().delete)()  # what logout does to the session
        await get_channel_layer().group_send(GROUP, {"type": "rigs.updated", "rigs": [rig.id]})
        closed = await comm.receive_output(timeout=5)
        members = dict(getattr(get_channel_layer(), "groups", {}).get(GROUP, {}))  # the in-memory layer's
        await comm.disconnect()
        return first, closed, members

    first, closed, members = asyncio.run(go())
    assert 'id="live"' in first
    assert closed == {"type": "websocket.close", "code": 4401}
    assert members == {}  # out of the group as it closed, before the browser's disconnect


def test_a_socket_closes_when_the_password_changes():
    bob = User.objects.create_user("bob", password="x")
    rig = Rig.objects.create(name="rig-a", host="10.0.0.5")

    async def go():
        comm = communicator(bob)
        assert (await comm.connect())[0]
        from channels.db import database_sync_to_async

        def change():
            bob.set_password("new-password")
            bob.save()

        await database_sync_to_async(change)()
        await get_channel_layer().group_send(GROUP, {"type": "rigs.updated", "rigs": [rig.id]})
        closed = await comm.receive_output(timeout=5)
        await comm.disconnect()
        return closed

    assert asyncio.run(go()) == {"type": "websocket.close", "code": 4401}


def test_viewers_of_one_page_and_tier_share_one_render(monkeypatch):
    from rigs import live

    calls = []
    real = live.fragment
    monkeypatch.setattr(live, "fragment",
                        lambda user, page, query=None: calls.append((user.username, page)) or real(user, page, query))
    bob = User.objects.create_user("bob", password="x")
    carol = User.objects.create_user("carol", password="x")
    rig = Rig.objects.create(name="rig-a", host="10.0.0.5")

    async def go():
        comms = [communicator(u) for u in (bob, carol, bob)]
        for c in comms:
            assert (await c.connect())[0]
        await get_channel_layer().group_send(GROUP, {"type": "rigs.updated", "rigs": [rig.id]})
        pages = [await c.receive_from(timeout=5) for c in comms]
        for c in comms:
            await c.disconnect()
        return pages

    pages = asyncio.run(go())
    assert len(calls) == 1  # three usr viewers of the summary: one render
    assert all('id="live"' in p for p in pages) and pages[0] == pages[1] == pages[2]


def test_a_page_is_pushed_only_when_the_batch_touched_what_it_shows():
    """The announcement says which rigs were stored and which tables' totals or counts changed: a page
    showing none of them is not rendered again nor pushed."""
    bob = User.objects.create_user("bob", password="x")
    now = timezone.now()
    rigs = []
    for i in range(2):
        sections = {"SUMMARY": [{"MHS av": 1.0}]}
        rigs.append(Rig.objects.create(name=f"r{i}", host=f"10.0.2.{i}"))
        Snapshot.objects.create(rig=rigs[-1], polled_at=now, last_ok_at=now, sections=sections,
                                brief=make_brief(sections, {}))

    async def go():
        comm = communicator(bob)
        assert (await comm.connect())[0]
        send = get_channel_layer().group_send
        await send(GROUP, {"type": "rigs.updated", "rigs": [rigs[0].id], "tables": []})
        first = await comm.receive_from(timeout=5)  # what it shows is not known yet: pushed
        await send(GROUP, {"type": "rigs.updated", "rigs": [99999], "tables": ["page:0:0"]})
        nothing = await comm.receive_nothing(timeout=live.MIN_GAP + 0.5)
        await send(GROUP, {"type": "rigs.updated", "rigs": [99999], "tables": ["summary"]})  # its totals
        totals = await comm.receive_from(timeout=5)
        await send(GROUP, {"type": "rigs.updated", "rigs": [rigs[1].id], "tables": []})  # a rig it shows
        rig = await comm.receive_from(timeout=5)
        await comm.disconnect()
        return first, nothing, totals, rig

    first, nothing, totals, rig = asyncio.run(go())
    assert 'id="live"' in first and nothing
    # pushed, and as nothing it shows changed: the time of the data only (rigs/web/changes.py)
    assert 'id="live-at"' in totals and "<section" not in totals and 'id="live-at"' in rig


def test_a_batch_that_changed_one_table_pushes_that_table():
    from channels.db import database_sync_to_async

    from rigs.polling import hooks

    bob = User.objects.create_user("bob", password="x")
    rig = Rig.objects.create(name="r0", host="10.0.2.1")
    now = timezone.now()

    def store(accepted):
        sections = {"SUMMARY": [{"MHS av": 1.0, "Accepted": accepted}]}
        Snapshot.objects.update_or_create(rig=rig, defaults={"polled_at": now, "last_ok_at": now,
                                                             "sections": sections, "brief": make_brief(sections, {})})
        hooks.after_batch([rig.id])

    store(111)

    async def go():
        comm = communicator(bob)
        assert (await comm.connect())[0]
        send = get_channel_layer().group_send
        await send(GROUP, {"type": "rigs.updated", "rigs": [rig.id], "tables": []})
        first = await comm.receive_from(timeout=5)
        await database_sync_to_async(store)(222)
        await send(GROUP, {"type": "rigs.updated", "rigs": [rig.id], "tables": ["summary"]})
        second = await comm.receive_from(timeout=5)
        await comm.disconnect()
        return first, second

    first, second = asyncio.run(go())
    assert 'id="live"' in first and ">111<" in first and 'id="pools"' in first
    assert 'id="live"' not in second and '<section class="table" id="summary" hx-swap-oob="true">' in second
    assert ">222<" in second and 'id="pools"' not in second  # (no pools: that table did not change)


def test_a_batch_heard_while_a_push_renders_is_pushed_after_it(monkeypatch):
    """A render shows what was stored when it began: a batch announced during it is not in it, so a
    second push follows (it was dropped: the page showed the older data until the next batch)."""
    import time

    renders = []

    async def slow(viewer, level, page, since, query=None):
        started = time.monotonic()
        renders.append(started)
        if len(renders) == 1:
            await asyncio.sleep(0.8)  # the first render is still going when the second batch is announced
        return started, parse(f'<div id="live">render {len(renders)}</div>'), None

    monkeypatch.setattr(live, "shared_render", slow)
    bob = User.objects.create_user("bob", password="x")
    rig = Rig.objects.create(name="a", host="10.0.0.5")

    async def go():
        comm = communicator(bob, f"/ws/live/rig/{rig.id}/")
        assert (await comm.connect())[0]
        await get_channel_layer().group_send(GROUP, {"type": "rigs.updated", "rigs": [rig.id]})
        await asyncio.sleep(0.3)
        await get_channel_layer().group_send(GROUP, {"type": "rigs.updated", "rigs": [rig.id]})
        first = await comm.receive_from(timeout=5)
        second = await comm.receive_from(timeout=live.MIN_GAP + 5)
        await comm.disconnect()
        return first, second

    assert asyncio.run(go()) == ('<div id="live">render 1</div>', '<div id="live">render 2</div>')
