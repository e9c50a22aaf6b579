"""HTTP/1.1 requests over the rig client's exchange(), for the drivers that speak
HTTP (xmrig, XMRigCC server): one request per connection, bounded in time and size.
"""

import json

from .cgminer import client
from .errors import BadReplyError

MAX_REPLY = 1024 * 1024


def request(method, host, path, auth="", body=None):
    """The bytes of one request. ``body`` is JSON-encoded unless it is bytes; a POST
    always says its Content-Length (cpp-httplib refuses one that does not)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: close", "Accept: application/json"]
    if auth:
        lines.append(f"Authorization: {auth}")
    data = b""
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        lines.append("Content-Type: application/json")
    if body is not None or method != "GET":
        lines.append(f"Content-Length: {len(data)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def parse(raw):
    """(status, body bytes); a RigError for what is not HTTP."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep or not head.startswith(b"HTTP/1."):
        raise BadReplyError("reply is not HTTP: is this the right port?")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        raise BadReplyError("reply has no HTTP status") from None
    return status, body


def json_body(body):
    """The body as JSON, None when empty."""
    if not body.strip():
        return None
    try:
        return json.loads(body.decode("utf-8", errors="replace"))
    except ValueError:
        raise BadReplyError("reply body is not JSON") from None


async def call(host, port, method, path, auth="", body=None, cap=MAX_REPLY, **limits):
    """(status, body bytes) of one request; the reply is at most ``cap`` bytes (and the rig limit)."""
    raw = await client.exchange(host, port, request(method, host, path, auth, body),
                                max_reply=min(limits.pop("max_reply", cap), cap), **limits)
    return parse(raw)
