"""Django's ASGI handler with a request's whole synchronous path run in one thread hop.

Django's own ASGIHandler runs the middleware chain in async mode. Our middleware and views are all
synchronous (WhiteNoise has no async mode), so each middleware's request and response hooks hopped
between the event loop and a thread, and every request got a thread of its own (ThreadSensitiveContext),
hence a new database connection. Served by daphne, /login/ cost 18 ms of CPU, where the same work
called in one thread takes a fraction of it.

Here the chain is loaded in sync mode and run once in a small pool of long-lived threads, which keep
their database connections between requests (CONN_MAX_AGE, or the PostgreSQL pool), checked before
and handed back after each request as Django's request signals would.
"""
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.db import close_old_connections

_threads = None


def request_threads():
    """The process's request threads, made at the first request (after the server forked, if it does)."""
    global _threads
    if _threads is None:
        _threads = ThreadPoolExecutor(max_workers=settings.WEB_THREADS, thread_name_prefix="request")
    return _threads


class OneHopHandler(ASGIHandler):
    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        # Without Django's ThreadSensitiveContext, which started and joined a thread per request: what is
        # left thread-sensitive (the request signals' handlers, response.close) is short and runs in
        # asgiref's one shared thread; the request itself runs in request_threads().
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def get_response_async(self, request):
        return await sync_to_async(self.respond, thread_sensitive=False, executor=request_threads())(request)

    def respond(self, request):
        close_old_connections()  # a connection broken or too old since this thread's last request
        try:
            return self.get_response(request)
        finally:
            close_old_connections()  # handed back (or closed, with CONN_MAX_AGE=0) as at request_finished
