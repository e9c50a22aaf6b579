"""The asynchronous cgminer API client, and a small synchronous facade for scripts.

One request per TCP connection, sent in one write; the reply is read until the
rig closes or sends its NUL. Every failure is a RigError with a message a user
understands; nothing else escapes.

    >>> RigAPI("10.0.0.5").summary()            # doctest: +SKIP
    >>> RigAPI("10.0.0.5").command("addpool", "url,user,pass")   # doctest: +SKIP
"""

import asyncio
import errno
import functools
import os
import socket

from .protocol import (
    BadReplyError,
    ConnectError,
    JsonEnd,
    NoReplyError,
    RigError,
    TimeoutError_,
    TooLargeError,
    encode_request,
    join_members,
    parse_reply,
)

CONNECT_TIMEOUT = 2.0
TIMEOUT = 5.0
MAX_REPLY = 4 * 1024 * 1024


def _human_size(n):
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


class _Exchange:
    """One request and its reply on a non-blocking socket, driven by the event loop's reader and
    writer callbacks: no transport, stream or task per rig (the poller does this for every rig every
    round; asyncio's streams cost half as much again).

    The reply is done when the rig sends its NUL, ends a whole JSON reply with a newline (firmwares
    that keep the socket open), closes, or ``complete(bytes read)`` says it is whole (a
    length-prefixed protocol: then a NUL does not end it); or when it is too large."""

    __slots__ = ("loop", "sock", "fd", "payload", "done", "max_reply", "complete", "chunks", "size", "connected",
                 "timer", "scan", "scanned", "whole", "writing", "reading")

    def __init__(self, loop, sock, payload, max_reply, complete):
        self.loop, self.sock, self.fd, self.payload = loop, sock, sock.fileno(), payload
        self.done = loop.create_future()
        self.max_reply, self.complete = max_reply, complete
        self.chunks, self.size, self.connected, self.timer, self.scan, self.whole = [], 0, False, None, None, None
        self.writing = self.reading = False  # registered with the loop: each selector call costs a lookup

    def finish(self, exc=None):
        if not self.done.done():
            self.done.set_exception(exc) if exc else self.done.set_result(None)

    def start(self, address):
        err = self.sock.connect_ex(address)
        if err in (errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK):
            self.loop.add_writer(self.fd, self.on_connect)
            self.writing = True
        elif err:
            self.finish(OSError(err, os.strerror(err)))
        else:
            self.on_connect(writer=False)

    def on_connect(self, writer=True):
        if writer:
            self.loop.remove_writer(self.fd)
            self.writing = False
        self.send()  # a connection that failed says why to this first send

    def send(self):
        try:
            sent = self.sock.send(self.payload)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError as exc:
            if not self.connected:  # refused, unreachable...: the connection's error
                return self.finish(exc)
            return self.finish_reply(reset=True)  # the rig closed at once: what it said (nothing) decides
        self.connected = True
        self.payload = self.payload[sent:]
        if self.payload:  # a full send buffer (a long request): the rest when there is room
            self.loop.add_writer(self.fd, self.send)
            self.writing = True
        else:
            if self.writing:
                self.loop.remove_writer(self.fd)
                self.writing = False
            self.loop.add_reader(self.fd, self.on_read)
            self.reading = True

    def on_read(self):
        try:
            data = self.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            return self.finish_reply(reset=isinstance(exc, (ConnectionResetError, BrokenPipeError)))
        if not data:
            return self.finish_reply()
        self.chunks.append(data)
        self.size += len(data)
        try:
            if self.size > self.max_reply:
                self.finish(TooLargeError(f"reply larger than {_human_size(self.max_reply)}"))
            elif self.complete is not None:  # given everything so far, without joining it again per piece
                self.whole = self.whole or bytearray()
                self.whole += data
                if self.complete(self.whole):
                    self.finish()
            elif b"\0" in data or (data.endswith(b"\n") and self.json_ended()):
                self.finish()
        except Exception as exc:  # a bug of ours in a reply's end: the caller's, not the event loop's
            self.finish(exc)

    def json_ended(self):
        """Whether the chunks so far make a whole JSON reply; each chunk is scanned once."""
        if self.scan is None:
            self.scan, self.scanned = JsonEnd(), 0
        ended = any(self.scan.feed(chunk) for chunk in self.chunks[self.scanned:])
        self.scanned = len(self.chunks)
        return ended

    def finish_reply(self, reset=False):
        if reset and not self.chunks:
            return self.finish(NoReplyError("the rig closed the connection without answering: "
                                            "is the panel's address in its --api-allow?"))
        self.finish()

    def watch(self, deadline, connect_timeout, timeout):
        """One timer: the connection's deadline, moved on to the reply's once connected."""
        now = self.loop.time()
        if not self.connected:
            self.timer = self.loop.call_at(min(now + connect_timeout, deadline), self.expire, deadline,
                                           connect_timeout, timeout)
        elif now < deadline:
            self.timer = self.loop.call_at(deadline, self.expire, deadline, connect_timeout, timeout)
        else:
            self.finish(TimeoutError_(f"no reply within {timeout:g} s"))

    def expire(self, deadline, connect_timeout, timeout):
        if self.connected:
            self.watch(deadline, connect_timeout, timeout)
        else:
            self.finish(TimeoutError_(f"no connection within {connect_timeout:g} s"))

    def close(self):
        if self.timer is not None:
            self.timer.cancel()
        if self.writing:
            self.loop.remove_writer(self.fd)
        if self.reading:
            self.loop.remove_reader(self.fd)
        self.sock.close()


_NONBLOCK = getattr(socket, "SOCK_NONBLOCK", 0)  # Linux: non-blocking from the start, one system call less


@functools.lru_cache(maxsize=4096)
def _numeric(host, port):
    """The socket address of an IP address written out, without a lookup; None for a name."""
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                      flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV)[0]
    except (socket.gaierror, UnicodeError, ValueError):
        return None
    return family, address


async def _addresses(loop, host, port, connect_timeout):
    numeric = _numeric(host, port)
    if numeric is not None:
        return [numeric]
    try:
        async with asyncio.timeout(connect_timeout):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except TimeoutError:
        raise TimeoutError_(f"no connection within {connect_timeout:g} s") from None
    except (OSError, UnicodeError) as exc:
        raise ConnectError(f"cannot connect: {getattr(exc, 'strerror', None) or exc}") from None
    return [(family, address) for family, _, _, _, address in infos]


async def exchange(host, port, payload, *, connect_timeout=CONNECT_TIMEOUT, timeout=TIMEOUT, max_reply=MAX_REPLY,
                   complete=None):
    """Send ``payload`` and return the raw reply bytes (up to and including the NUL; see _Exchange
    for the other ends of a reply). A name with several addresses is tried address by address."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    refused = None
    for family, address in await _addresses(loop, host, port, min(connect_timeout, timeout)):
        try:
            sock = socket.socket(family, socket.SOCK_STREAM | _NONBLOCK)
        except OSError as exc:  # out of file descriptors: said like any failure to connect
            refused = exc
            continue
        if not _NONBLOCK:
            sock.setblocking(False)
        one = _Exchange(loop, sock, payload, max_reply, complete)
        one.watch(deadline, connect_timeout, timeout)
        try:
            one.start(address)
            await one.done
            return b"".join(one.chunks)
        except OSError as exc:  # before the connection: the next address, or the error in words
            refused = exc
        finally:
            one.close()
    if refused is None:
        raise ConnectError(f"cannot connect: {host} has no address")
    if isinstance(refused, ConnectionRefusedError) or getattr(refused, "errno", None) == errno.ECONNREFUSED:
        raise ConnectError("connection refused: is the miner running with --api-listen?")
    code = errno.errorcode.get(refused.errno, "") if refused.errno is not None else ""
    reason = refused.strerror or code or str(refused)
    raise ConnectError(f"cannot connect: {reason}")


async def request(host, port, command, parameter=None, *, fmt="json", **limits):
    """Send one (possibly joined) command; return {command: Response}."""
    payload = encode_request(command, parameter, fmt)
    raw = await exchange(host, port, payload, **limits)
    replies = parse_reply(raw, command, fmt)
    for response in replies.values():
        response.raw = raw
    return replies


async def call(host, port, command, parameter=None, **kw):
    """One command, one Response."""
    replies = await request(host, port, command, parameter, **kw)
    return replies[command]


def join_rejected(replies):
    """True when a joined request came back as one 'Invalid command' (API < 3.1)."""
    responses = list(replies.values())
    if not responses:
        return True
    first = responses[0]  # the code first: every rig, every round, the answer is no
    return first.code == 14 and len(responses) > 1 and all(r is first for r in responses)


async def query(host, port, commands, *, join=True, **limits):
    """Ask several report commands in as few requests as the rig allows.

    Returns (replies, joined): replies is {command: Response}; joined says whether
    the rig took the join, so the caller can remember it.
    """
    if join and len(commands) > 1:
        joined = "+".join(commands)
        replies = await request(host, port, joined, **limits)
        if not join_rejected(replies):
            members = join_members(joined)
            # a JSON reply answers each member once, in order: no copy; text ones may differ
            return (replies if list(replies) == members else {c: replies[c] for c in members}), True
    replies = {}
    for command in commands:
        replies[command] = await call(host, port, command, **limits)
    return replies, False


class RigAPI:
    """Synchronous access for scripts and the Django shell, in pycgminer's spirit.

    ``RigAPI(host).summary()`` returns the reply as the miner's JSON dict
    ({"STATUS": [...], "SUMMARY": [...]}); ``.asc(0)`` passes a parameter;
    ``.command("addpool", "url,user,pass")`` sends anything.
    """

    def __init__(self, host="127.0.0.1", port=4028, timeout=TIMEOUT, connect_timeout=CONNECT_TIMEOUT):
        self.host, self.port = host, port
        self.limits = {"timeout": timeout, "connect_timeout": connect_timeout}

    def command(self, name, *params):
        parameter = ",".join(str(p) for p in params) if params else None
        response = asyncio.run(call(self.host, self.port, name, parameter, **self.limits))
        return response.as_dict()

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *params: self.command(name, *params)


__all__ = [
    "BadReplyError", "ConnectError", "NoReplyError", "RigAPI", "RigError", "TimeoutError_",
    "TooLargeError", "call", "exchange", "query", "request",
]
