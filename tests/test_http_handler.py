"""Pages served through the ASGI application (minerpanel/http_handler.py), as daphne serves them."""
import asyncio
import threading

import pytest
from channels.testing import HttpCommunicator
from django.contrib.auth.models import User
from django.db import connection
from django.db.backends.signals import connection_created

from minerpanel.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

HOST = [(b"host", b"testserver")]


def served(method, path, headers=(), body=b""):
    async def go():
        return await HttpCommunicator(application, method, path, body=body, headers=[*HOST, *headers]).get_response(10)
    return asyncio.run(go())


def session_cookie(user):
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    s = SessionStore()
    s.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "minerpanel.auth.ThrottledBackend",
              HASH_SESSION_KEY: user.get_session_auth_hash()})
    s.create()
    return (b"cookie", f"sessionid={s.session_key}".encode())


def test_a_page_is_served_with_every_middleware():
    user = User.objects.create_user("op", password="x-long-password-1")
    page = served("GET", "/overview/", [session_cookie(user)])
    assert page["status"] == 200
    assert b"Overview" in page["body"] and b"op</a>" in page["body"]  # the session and the user were read
    headers = {name.lower(): value for name, value in page["headers"]}
    assert headers[b"x-frame-options"] == b"DENY"                    # the clickjacking middleware
    assert b"content-security-policy" in headers                    # the CSP middleware
    assert served("GET", "/overview/")["status"] == 302             # to the login page, without a session


def test_a_post_without_its_csrf_token_is_refused():
    user = User.objects.create_user("op", password="x-long-password-1")
    form = (b"content-type", b"application/x-www-form-urlencoded")
    refused = served("POST", "/refresh/", [session_cookie(user), form], b"refresh=5")
    assert refused["status"] == 403


def test_requests_keep_their_thread_and_its_database_connection():
    user = User.objects.create_user("op", password="x-long-password-1")
    cookie = session_cookie(user)
    opened = []

    def count(sender, connection, **kwargs):
        opened.append(threading.current_thread().name)

    connection_created.connect(count)
    try:
        for _ in range(4):
            assert served("GET", "/overview/", [cookie])["status"] == 200
    finally:
        connection_created.disconnect(count)
    # Django's own handler ran each request in a new thread, which opened a connection of its own
    assert all(name.startswith("request") for name in opened), opened
    if not connection.settings_dict.get("OPTIONS", {}).get("pool"):
        assert len(opened) <= 1, opened  # kept by its thread (with PostgreSQL's pool: lent by the pool each time)


def test_a_view_that_fails_answers_500_and_the_next_request_is_served(monkeypatch):
    import custompages.views

    user = User.objects.create_user("op", password="x-long-password-1")
    cookie = session_cookie(user)

    def broken(user):
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(custompages.views, "visible_pages", broken)  # the header's list of pages
    failed = served("GET", "/overview/", [cookie])
    monkeypatch.undo()
    assert failed["status"] == 500
    assert b"broken on purpose" not in failed["body"]  # no traceback for the visitor
    assert served("GET", "/overview/", [cookie])["status"] == 200
