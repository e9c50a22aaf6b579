"""Where a reply ends: up to its first NUL, or, on a socket the rig keeps open, when a whole JSON
object or array has arrived (quirk Q1)."""


def cut_reply(raw):
    """The reply up to its first NUL, as text.

    cgminer 4.11 sometimes sends a second, broken blob after the first NUL.
    Invalid UTF-8 is replaced, never fatal.
    """
    end = raw.find(b"\0")
    if end >= 0:
        raw = raw[:end]
    return raw.decode("utf-8", errors="replace")


class JsonEnd:
    """Whether the bytes fed so far hold one whole JSON object or array (braces balanced outside
    strings): how a reply ended by a newline on a socket the rig keeps open is known to be over
    (quirk Q1). Fed piece by piece, each byte is looked at once, however the reply arrives: a rig
    that sends a megabyte in newline-ended pieces must not make the poller scan it again and again."""

    __slots__ = ("state", "depth", "in_string", "escaped")

    def __init__(self):
        self.state, self.depth, self.in_string, self.escaped = "start", 0, False, False

    def feed(self, data):
        if self.state == "start":
            data = data.lstrip()
            if not data:
                return False
            self.state = "inside" if data[:1] in (b"{", b"[") else "not json"
        if self.state != "inside":
            return self.state == "done"
        depth, in_string, escaped = self.depth, self.in_string, self.escaped
        for c in data:
            if in_string:
                if escaped:
                    escaped = False
                elif c == 0x5C:
                    escaped = True
                elif c == 0x22:
                    in_string = False
            elif c == 0x22:
                in_string = True
            elif c in (0x7B, 0x5B):
                depth += 1
            elif c in (0x7D, 0x5D):
                depth -= 1
                if depth == 0:
                    self.state = "done"
                    return True
        self.depth, self.in_string, self.escaped = depth, in_string, escaped
        return False
