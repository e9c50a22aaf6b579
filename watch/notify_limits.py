"""What a notification destination's reply may cost the panel: at most MAX_REPLY bytes kept and
TIMEOUT seconds, whatever the scheme. A webhook answering 400 MB grew the web process (the admin's
test action) or the poller's (real alerts) by all of it, and kept it.

apprise speaks HTTP through requests (a new Session per call: every web, chat and push scheme) and mail
through smtplib, in a worker thread of its own that gets a copy of the caller's context. Inside
``bounded()``, and only for what runs in its context (not other threads of the process):

- an HTTP body is streamed and cut at MAX_REPLY (requests' adapter, the one every Session uses);
- a mail server's replies are cut at MAX_REPLY (smtplib reads them line by line, as many as it is sent);
- every socket these open is shut down when TIMEOUT has passed since ``bounded()`` began, so neither a
  trickle nor a server that never answers holds the sender longer (a read already blocked ends then).
"""

import contextvars
import smtplib
import socket
import threading
import time
from contextlib import contextmanager

import requests.adapters
from urllib3.util import connection as urllib3_connection

MAX_REPLY = 64 * 1024
TIMEOUT = 30.0

class _Scope:
    def __init__(self):
        self.sockets, self.deadline, self.expired = [], time.monotonic() + TIMEOUT, False


_scope = contextvars.ContextVar("notify_limits", default=None)


@contextmanager
def bounded():
    """Yields the scope: ``.expired`` tells that TIMEOUT cut the sending short (a reply cut in its
    headers may still look whole to http.client)."""
    scope = _Scope()
    token = _scope.set(scope)
    watchdog = threading.Timer(TIMEOUT, _expire, args=(scope,))
    watchdog.daemon = True
    watchdog.start()
    try:
        yield scope
    finally:
        watchdog.cancel()
        _scope.reset(token)


def _expire(scope):
    scope.expired = True
    _shut(scope.sockets)


def _shut(sockets):
    for sock in list(sockets):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _watched(sock):
    scope = _scope.get()
    if scope is not None:
        scope.sockets.append(sock)
        if time.monotonic() >= scope.deadline:  # opened after the watchdog went off
            _shut([sock])
    return sock


class TooLarge(OSError):
    pass


def _read_capped(response, deadline):
    """The body of a streamed response, at most MAX_REPLY bytes; the rest is never read."""
    kept, size = [], 0
    try:
        for chunk in response.raw.stream(16384, decode_content=True):
            kept.append(chunk[:MAX_REPLY - size])
            size += len(chunk)
            if size >= MAX_REPLY or time.monotonic() >= deadline:
                break
    finally:
        response.close()  # the connection is not reused: what was left unread dies with it
    return b"".join(kept)


# ---------------------------------------------------------------- the patches, inert outside bounded()

_create_connection = urllib3_connection.create_connection
_adapter_send = requests.adapters.HTTPAdapter.send
_get_socket = smtplib.SMTP._get_socket
_getreply = smtplib.SMTP.getreply


def create_connection(*args, **kwargs):
    return _watched(_create_connection(*args, **kwargs))


def adapter_send(self, request, stream=False, **kwargs):
    scope = _scope.get()
    if scope is None:
        return _adapter_send(self, request, stream=stream, **kwargs)
    response = _adapter_send(self, request, stream=True, **kwargs)
    response._content = _read_capped(response, scope.deadline)  # what .content and .text give apprise
    response._content_consumed = True
    return response


def get_socket(self, *args, **kwargs):
    return _watched(_get_socket(self, *args, **kwargs))


class _CappedFile:
    """smtplib's reply file, refusing to read past MAX_REPLY (a reply of endless "250-" lines)."""

    def __init__(self, f):
        self.f, self.size = f, 0

    def readline(self, limit=-1):
        line = self.f.readline(limit)
        self.size += len(line)
        if self.size > MAX_REPLY:
            raise TooLarge(f"the mail server's reply is larger than {MAX_REPLY // 1024} KB")
        return line

    def close(self):
        self.f.close()


def getreply(self):
    if _scope.get() is not None and self.file is None and self.sock is not None:
        self.file = _CappedFile(self.sock.makefile("rb"))
    return _getreply(self)


urllib3_connection.create_connection = create_connection
requests.adapters.HTTPAdapter.send = adapter_send
smtplib.SMTP._get_socket = get_socket
smtplib.SMTP.getreply = getreply
