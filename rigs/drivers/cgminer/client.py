"""The asynchronous cgminer API client, and a small synchronous facade for scripts.

One request per TCP connection, sent in one write; the reply is read until the
rig closes or sends its NUL. Every failure is a RigError with a message a user
understands; nothing else escapes.

    >>> RigAPI("10.0.0.5").summary()            # doctest: +SKIP
    >>> RigAPI("10.0.0.5").command("addpool", "url,user,pass")   # doctest: +SKIP
"""

import asyncio
import errno

from .protocol import (
    BadReplyError,
    ConnectError,
    NoReplyError,
    RigError,
    TimeoutError_,
    TooLargeError,
    encode_request,
    join_members,
    json_complete,
    parse_reply,
)

CONNECT_TIMEOUT = 2.0
TIMEOUT = 5.0
MAX_REPLY = 4 * 1024 * 1024


def _human_size(n):
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


class _Reply(asyncio.Protocol):
    """Collects one reply: done when the rig sends its NUL, ends a whole JSON reply with a newline
    (firmwares that keep the socket open), closes, or ``complete(bytes read)`` says the reply is
    whole (a length-prefixed protocol: then a NUL does not end it); or when it is too large."""

    def __init__(self, done, max_reply, complete=None):
        self.done, self.max_reply, self.complete = done, max_reply, complete
        self.chunks, self.size = [], 0

    def finish(self, exc=None):
        if not self.done.done():
            self.done.set_exception(exc) if exc else self.done.set_result(None)

    def data_received(self, data):
        self.chunks.append(data)
        self.size += len(data)
        if self.size > self.max_reply:
            self.finish(TooLargeError(f"reply larger than {_human_size(self.max_reply)}"))
        elif self.complete is not None:
            if self.complete(b"".join(self.chunks)):
                self.finish()
        elif b"\0" in data or (data.endswith(b"\n") and json_complete(b"".join(self.chunks))):
            self.finish()

    def eof_received(self):
        self.finish()

    def connection_lost(self, exc):
        if isinstance(exc, (ConnectionResetError, BrokenPipeError)) and not self.chunks:
            self.finish(NoReplyError("the rig closed the connection without answering: "
                                     "is the panel's address in its --api-allow?"))
        self.finish()


async def exchange(host, port, payload, *, connect_timeout=CONNECT_TIMEOUT, timeout=TIMEOUT, max_reply=MAX_REPLY,
                   complete=None):
    """Send ``payload`` and return the raw reply bytes (up to and including the NUL; see _Reply for
    the other ends of a reply).

    A protocol rather than streams: no reader, writer or future per chunk (the poller
    does this for every rig every round)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    done = loop.create_future()
    transport = None
    try:  # one timeout for both steps (it costs as much as the parse): the connection's, then the reply's
        async with asyncio.timeout(min(connect_timeout, timeout)) as limit:
            transport, reply = await loop.create_connection(lambda: _Reply(done, max_reply, complete), host, port)
            limit.reschedule(deadline)
            transport.write(payload)
            await done
    except TimeoutError:
        if transport is None:
            raise TimeoutError_(f"no connection within {connect_timeout:g} s") from None
        raise TimeoutError_(f"no reply within {timeout:g} s") from None
    except OSError as exc:
        if transport is not None:
            raise
        if isinstance(exc, ConnectionRefusedError):
            raise ConnectError("connection refused: is the miner running with --api-listen?") from None
        reason = exc.strerror or errno.errorcode.get(exc.errno, "") or str(exc)
        raise ConnectError(f"cannot connect: {reason}") from None
    finally:
        if transport is not None:
            transport.close()
    return b"".join(reply.chunks)


async def request(host, port, command, parameter=None, *, fmt="json", **limits):
    """Send one (possibly joined) command; return {command: Response}."""
    payload = encode_request(command, parameter, fmt)
    raw = await exchange(host, port, payload, **limits)
    return parse_reply(raw, command, fmt)


async def call(host, port, command, parameter=None, **kw):
    """One command, one Response."""
    replies = await request(host, port, command, parameter, **kw)
    return replies[command]


def join_rejected(replies):
    """True when a joined request came back as one 'Invalid command' (API < 3.1)."""
    responses = list(replies.values())
    if not responses:
        return True
    first = responses[0]
    same = all(r is first for r in responses)
    return same and len(responses) > 1 and first.code == 14


async def query(host, port, commands, *, join=True, **limits):
    """Ask several report commands in as few requests as the rig allows.

    Returns (replies, joined): replies is {command: Response}; joined says whether
    the rig took the join, so the caller can remember it.
    """
    if join and len(commands) > 1:
        replies = await request(host, port, "+".join(commands), **limits)
        if not join_rejected(replies):
            return {c: replies[c] for c in join_members("+".join(commands))}, True
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
