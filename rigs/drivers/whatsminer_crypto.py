"""The Whatsminer's crypto, for both of its APIs and their simulators: btminer's md5-crypt, the API
v2 token keys made from it, and the AES-256-ECB (zero-padded, base64) that v2 wraps commands and
replies in and v3 wraps `set.miner.pools` in."""

import base64
import hashlib
import json

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from . import fastjson
from .cgminer.repair import check_nesting
from .errors import BadReplyError

_ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def md5_crypt(password, salt):
    """The FreeBSD md5-crypt hash ("$1$salt$hash") of ``password`` (what btminer's tokens are made of)."""
    pw, salt = password.encode(), salt.encode()[:8]
    alt = hashlib.md5(pw + salt + pw).digest()
    ctx = pw + b"$1$" + salt + b"".join(alt[:min(16, n)] for n in range(len(pw), 0, -16))
    i = len(pw)
    while i:
        ctx += b"\0" if i & 1 else pw[:1]
        i >>= 1
    final = hashlib.md5(ctx).digest()
    for i in range(1000):
        c = (pw if i & 1 else final) + (salt if i % 3 else b"") + (pw if i % 7 else b"") + (final if i & 1 else pw)
        final = hashlib.md5(c).digest()
    out = ""
    for a, b, c in ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5), (None, None, 11)):
        v = final[c] if a is None or b is None else (final[a] << 16) | (final[b] << 8) | final[c]
        for _ in range(2 if a is None else 4):
            out += _ITOA64[v & 0x3F]
            v >>= 6
    return f"$1${salt.decode()}${out}"


def keys(password, salt, newsalt, when):
    """(AES key bytes, sign) for a token: the key is the hash part of md5-crypt(password, salt)."""
    key = md5_crypt(password, salt).split("$")[3]
    sign = md5_crypt(key + str(when), newsalt).split("$")[3]
    return hashlib.sha256(key.encode()).digest(), sign


def encrypt(aes_key, obj):
    data = json.dumps(obj).encode()
    data += b"\0" * (-len(data) % 16)
    enc = Cipher(algorithms.AES(aes_key), modes.ECB()).encryptor()
    return base64.b64encode(enc.update(data) + enc.finalize()).decode()


def decrypt(aes_key, text):
    """The JSON inside an encrypted field; BadReplyError if it is not."""
    try:
        raw = base64.b64decode(text, validate=False)
        dec = Cipher(algorithms.AES(aes_key), modes.ECB()).decryptor()
        plain = check_nesting((dec.update(raw[: len(raw) // 16 * 16]) + dec.finalize()).rstrip(b"\0"))
        return json.loads(plain.decode(), parse_int=fastjson.rig_int)
    except (ValueError, TypeError):
        raise BadReplyError("the miner's encrypted reply could not be read: is the API password right?") from None
