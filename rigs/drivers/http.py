"""HTTP/1.1 requests over the rig client's exchange(), for the drivers that speak
HTTP (xmrig, XMRigCC server): one request per connection, bounded in time and size.
"""

import json

from . import fastjson
from .cgminer import client
from .cgminer.repair import check_nesting
from .errors import BadReplyError, RigError

MAX_REPLY = 1024 * 1024


def request(method, host, path, auth="", body=None):
    """The bytes of one request. ``body`` is JSON-encoded unless it is bytes; a POST
    always says its Content-Length (cpp-httplib refuses one that does not)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: close", "Accept: application/json"]
    if auth:
        if len(auth) > 4096 or any(ord(c) < 32 or ord(c) > 126 for c in auth):
            raise RigError("the token to send is not a plain printable value (a rig handed out a bad one?)")
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
    if not check_nesting(body).strip():
        return None
    try:
        return json.loads(body.decode("utf-8", errors="replace"), parse_int=fastjson.rig_int)
    except ValueError:
        raise BadReplyError("reply body is not JSON") from None


async def call(host, port, method, path, auth="", body=None, cap=MAX_REPLY, **limits):
    """(status, body bytes) of one request; the reply is at most ``cap`` bytes (and the rig limit)."""
    raw = await client.exchange(host, port, request(method, host, path, auth, body),
                                max_reply=min(limits.pop("max_reply", cap), cap), **limits)
    return parse(raw)


def digest_authorization(challenge, method, path, user, password, cnonce=None):
    """The Authorization header answering a ``WWW-Authenticate: Digest ...`` challenge (RFC 7616,
    MD5, qop=auth), as Antminer's web CGI wants it; None when the challenge is not Digest."""
    import hashlib
    import secrets

    scheme, _, rest = challenge.partition(" ")
    if scheme.lower() != "digest" or len(rest) > 4096:  # a real challenge is a few hundred bytes
        return None
    fields = dict((k.strip().lower(), v.strip().strip('"')) for k, _, v in
                  (part.partition("=") for part in _split_header(rest)) if k.strip())
    realm, nonce, qop = fields.get("realm", ""), fields.get("nonce", ""), fields.get("qop", "")

    def md5(text):
        return hashlib.md5(text.encode()).hexdigest()

    ha1, ha2 = md5(f"{user}:{realm}:{password}"), md5(f"{method}:{path}")
    header = f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{path}"'
    if "auth" in [q.strip() for q in qop.split(",")]:
        cnonce = cnonce or secrets.token_hex(8)
        response = md5(f"{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}")
        header += f', qop=auth, nc=00000001, cnonce="{cnonce}", response="{response}"'
    else:
        header += f', response="{md5(f"{ha1}:{nonce}:{ha2}")}"'
    if fields.get("opaque"):
        header += f', opaque="{fields["opaque"]}"'
    return header + ", algorithm=MD5"


def _split_header(text):
    """Comma-separated key=value pairs of an auth header, commas inside quotes kept."""
    parts, cur, quoted = [], "", False
    for c in text:
        if c == '"':
            quoted = not quoted
        if c == "," and not quoted:
            parts.append(cur)
            cur = ""
        else:
            cur += c
    return [*parts, cur]


def header(raw, name):
    """One response header's value from the raw reply, "" when absent."""
    head = raw.partition(b"\r\n\r\n")[0].decode("latin-1")
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return ""


async def call_digest(host, port, method, path, user, password, body=None, cap=MAX_REPLY, **limits):
    """(status, body) of a request behind HTTP Digest: ask, answer the 401's challenge; a challenge
    connection the device drops is asked again once (Antminer quirk Q20)."""
    from .errors import NoReplyError

    limits.pop("max_reply", None)
    for attempt in (1, 2):
        try:
            raw = await client.exchange(host, port, request(method, host, path, body=body), max_reply=cap, **limits)
            break
        except NoReplyError:
            if attempt == 2:
                raise
    status, data = parse(raw)
    if status != 401:
        return status, data
    auth = digest_authorization(header(raw, "WWW-Authenticate"), method, path, user, password)
    if auth is None:
        return status, data
    return parse(await client.exchange(host, port, request(method, host, path, auth, body), max_reply=cap, **limits))
