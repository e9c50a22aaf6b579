"""Text for the operator's terminal. What a rig or a file supplied is shown, never obeyed: control
characters (ESC, BEL, C1, bidi overrides, line breaks inside a line) are written as visible escapes
such as \\x1b, and a long value keeps its start and end with the number of characters cut between."""

import re

LIMIT = 400  # characters of one line of output
_HIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]")


def _escape(match):
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text, limit=LIMIT):
    """``text`` safe to write to a terminal, at most about ``limit`` characters."""
    text = _HIDDEN.sub(_escape, str(text))
    if len(text) <= limit:
        return text
    keep = limit // 2 - 20
    return f"{text[:keep]} …[{len(text) - 2 * keep:,} characters cut]… {text[-keep:]}"
