"""JSON as firmwares really send it: parsed fast where it is well formed, repaired where it is not
(trailing commas, ``}{`` between objects, bare inf/nan, ``\\'`` in strings)."""

import json
import re

from .. import fastjson
from ..errors import BadReplyError

REPAIR_LIMIT = 512 * 1024  # characters: the firmwares' broken replies are tens of kB; repairing 512 kB takes 0.1 s
_BAD_CONSTANT = re.compile(r"(?<![\w\"])-?(inf|nan|Infinity|NaN)(?![\w\"])", re.IGNORECASE)


def check_nesting(text):
    """``text``, unless its JSON nests deeper than any rig's reply: every parser and walker of a reply
    recurses (fastjson.too_deep). Each driver's JSON passes here before it is parsed."""
    if fastjson.too_deep(text):
        raise BadReplyError(f"reply nested too deeply (more than {fastjson.MAX_DEPTH} levels)")
    return text


def load_json(text):
    """json.loads, repairing what firmwares really send when it fails.

    Trailing commas before } or ], ``}{`` between objects, bare inf/nan. Integers
    of any size (2^64) are exact in Python. The error names the byte where the
    original reply stopped being JSON.
    """
    obj = fastjson.loads(check_nesting(text))  # the fast path: what well-behaved firmwares send
    if obj is not None:
        return obj
    try:
        return json.loads(text, parse_constant=lambda c: None, parse_int=fastjson.rig_int)
    except ValueError as exc:
        first = exc
    pos = getattr(first, "pos", 0)
    if len(text) > REPAIR_LIMIT:  # the repair reads character by character, in the poller's event loop
        raise BadReplyError(f"reply is not valid JSON at byte {pos} (too large to repair)")
    try:
        return json.loads(repair_json(text), parse_constant=lambda c: None, parse_int=fastjson.rig_int)
    except ValueError:
        raise BadReplyError(f"reply is not valid JSON at byte {pos}") from None


def repair_json(text):
    """Fix the known firmware JSON defects outside of strings."""
    out = []
    in_string = False
    escaped = False
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if in_string:
            if c == "\\" and not escaped and text.startswith("'", i + 1):  # \' (Whatsminer 20200917): not JSON
                out.append("'")
                i += 2
                continue
            out.append(c)
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
            i += 1
            continue
        if c == '"':
            in_string = True
            out.append(c)
        elif c == ",":
            j = i + 1
            while j < n and text[j] in " \t\r\n":
                j += 1
            if j < n and text[j] in "}]":
                pass  # trailing comma: drop it
            else:
                out.append(c)
        elif c == "}":
            out.append(c)
            j = i + 1
            while j < n and text[j] in " \t\r\n":
                j += 1
            if j < n and text[j] == "{":
                out.append(",")
        elif c.isalpha() or (c == "-" and i + 1 < n and text[i + 1].isalpha()):
            m = _BAD_CONSTANT.match(text, i)
            if m:
                out.append("null")
                i = m.end()
                continue
            out.append(c)
        else:
            out.append(c)
        i += 1
    return "".join(out)
