"""JSON through orjson where it gives the same answer as the standard library, several times
faster: the poller parses and writes every rig's sections every round.

orjson turns integers beyond 64 bits into floats (cgminer reports 2^64 difficulties) and
refuses NaN, trailing commas and the like; those go to the standard library.
"""

import json
import math
import re

import orjson

# The text's shape, one byte per byte: digits and "-" become "0", ":", "," and "[" stay, white space
# becomes " " and everything else "x". A run of 19 such, in a number's place (after ":", "," or
# "["), may be an integer orjson would not keep exact: beyond 64 bits, or below -2^63. Block hashes
# and other strings full of zeros are not in a number's place and keep the fast path (a regular
# expression over the whole text would cost more than the parse itself).
_KEEP = {ord(c): ord(c) for c in ":,["} | {ord(c): 32 for c in " \t\r\n"} | {d: 48 for d in b"0123456789-"}
_SHAPE = bytes.maketrans(bytes(range(256)), bytes(_KEEP.get(i, 120) for i in range(256)))
_RUN = b"0" * 19
_BEFORE_A_NUMBER = b":,["


def _big_number(shape):
    """Whether the shape holds a long run of digits in a number's place (a false alarm only costs
    the standard library's slower parse)."""
    at = shape.find(_RUN)
    while at >= 0:
        j = at - 1
        while j >= 0 and shape[j] == 32:
            j -= 1
        if j < 0 or shape[j] in _BEFORE_A_NUMBER:
            return True
        run = shape[at:at + 256]  # past this run (a hash's); a longer one is found again
        at = shape.find(_RUN, at + len(run) - len(run.lstrip(b"0")))
    return False


# Deeper than any rig's reply (a joined cgminer reply nests 5 levels, an XMRigCC fleet 7): the parsers
# recurse (the standard library's to Python's limit of 1,000 frames, orjson's to 1,024 levels) and so
# do the walkers after them (storable, the encoders, a page's repr); a reply 100,000 deep was a
# RecursionError in every one of them.
MAX_DEPTH = 64
_SKELETON = bytes(c for c in range(256) if c not in b'"[]{}')  # what too_deep deletes
_SQUARE = bytes.maketrans(b"{}", b"[]")


def too_deep(text, limit=MAX_DEPTH):
    """Whether the JSON text nests deeper than ``limit`` (brackets in strings are text), at C speed
    whatever the reply: escaped quotes and backslashes are dropped, then everything but quotes and
    brackets; two quotes side by side go (an empty string, or the end of one string and the start of
    the next: what lies inside a string stays inside), then what lies between the quotes left; each
    pass then removes the innermost pairs, one level a pass. What stays open (a reply never closed)
    counts as deep; broken JSON that nests past the limit before breaking may be called deep (the
    parsers refuse it anyway)."""
    b = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    if b"\\" in b:
        b = b.replace(b"\\\\", b"").replace(b'\\"', b"")
    t = b.translate(None, _SKELETON)
    if len(t.translate(None, b'"]}')) <= limit:  # the usual case: too few brackets to nest that deep
        return False
    t = t.replace(b'""', b"")
    if b'"' in t:
        t = b"".join(t.split(b'"')[::2])
    t = t.translate(_SQUARE)
    if b"[" * (limit + 1) in t:  # the usual attack, at once
        return True
    for passes in range(limit + 1):
        if b"[]" not in t:
            return passes + t.count(b"[") > limit
        t = t.replace(b"[]", b"")
    return True


def loads(text):
    """orjson.loads, or None when the standard library must decide (or refuse: too_deep)."""
    raw = text if isinstance(text, bytes) else text.encode()
    if _big_number(raw.translate(_SHAPE)) or too_deep(raw):
        return None
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return obj


def rig_int(digits):
    """``parse_int`` for the standard library's parser: a rig's integer, exact, unless no float can
    hold it. 10**400 is valid JSON, and every float() of it raised: it is None, as inf and NaN are
    (and int() itself refuses 4,300 digits)."""
    return int(digits) if len(digits) <= 300 else None


_SURROGATES = re.compile("[\ud800-\udfff]")


def storable(o):
    """``o`` as a database keeps it: in its strings (keys too) a NUL or a lone surrogate becomes
    U+FFFD, and a float that is not finite becomes None (as orjson writes it). PostgreSQL's jsonb
    refuses all three, and one such pool name failed the whole batch's write; SQLite kept the text,
    and its JSON functions then refused the row."""
    if isinstance(o, str):
        return _SURROGATES.sub("\ufffd", o.replace("\0", "\ufffd"))
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {storable(k): storable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [storable(v) for v in o]
    return o


class Encoder(json.JSONEncoder):
    """orjson where it can, and what a database keeps (``storable``)."""

    def encode(self, o):
        text = self._orjson(o)
        # None: integers beyond 64 bits, keys that are not strings, lone surrogates. "\\u0000": a NUL (or
        # a backslash before "u0000": then this only costs time); most texts have no backslash at all,
        # and looking for one character is ten times cheaper than for six
        if text is None or ("\\" in text and "\\u0000" in text):
            clean = storable(o)
            text = self._orjson(clean) or super().encode(clean)
        return text

    @staticmethod
    def _orjson(o):
        try:
            return orjson.dumps(o).decode()
        except TypeError:
            return None


class Decoder(json.JSONDecoder):
    def __init__(self, *args, **kw):
        kw.setdefault("parse_int", rig_int)  # what was stored before rig_int, and any other writer
        super().__init__(*args, **kw)

    def decode(self, s, *args):
        obj = loads(s)
        return super().decode(s, *args) if obj is None else obj
