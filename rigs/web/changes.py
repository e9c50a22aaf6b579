"""What a live push sends (rigs/live.py): the parts of a page's live fragment that changed since the
socket's last push, not the whole fragment again.

A fragment (templates/rigs/_live.html, templates/custompages/_live.html) is made of parts, each an
element with an id: its tables' sections and its date boxes; and of the rest: the "Data as of" line
(id live-at), headings, banners. When the rest changed apart from the time, or the parts are not the
same ones (a section appeared, another went), or nothing was sent yet, the whole fragment goes. Else
the "Data as of" line goes, with the parts that changed, each swapped in by its id (htmx out of band):
a batch that changed one table of four sends that table. An age that only grew (a cell the browser
ticks itself) is no change. A fragment without the live-at line (the rig page) always goes whole.
A fragment is taken apart once per render (parse()), not once per socket. Plain strings: no Django
here."""

import hashlib
import re
from typing import NamedTuple

PART = re.compile(r'<section class="table" id="(?P<table>[^"]+)">.*?</section>'
                  r'|<p class="datebox" id="(?P<date>[^"]+)">.*?</p>', re.S)
AT = re.compile(r'<p class="updated" id="live-at"[^>]*>.*?</p>', re.S)
TIME = re.compile(r' data-updated="\d*"|Data as of \d\d:\d\d:\d\d')
TICKS = re.compile(r'( ticks at-\d+"[^>]*>)[^<]*')  # an age the browser ticks itself (live.js)


def digest(text):
    """What a part shows that the browser does not work out itself: ages are not a change."""
    return hashlib.blake2b(TICKS.sub(r"\1", text).encode(), digest_size=16).digest()


def out_of_band(element):
    """An element swapped in by its id: hx-swap-oob after its id attribute."""
    return re.sub(r'( id="[^"]+")', r'\1 hx-swap-oob="true"', element, count=1)


class Fragment(NamedTuple):
    """A fragment taken apart once for every socket that is sent it (parse())."""

    html: str
    at: str | None  # the "Data as of" line, out of band; None: the fragment always goes whole
    parts: dict  # id -> (digest, the part out of band)
    rest: bytes


def parse(html):
    at = AT.search(html or "")
    parts = {m["table"] or m["date"]: (digest(m[0]), out_of_band(m[0])) for m in PART.finditer(html or "")}
    return Fragment(html or "", out_of_band(at[0]) if at else None, parts,
                    digest(TIME.sub("", PART.sub("", html or ""))))


class Sent:
    """What one socket was last sent: each part's digest by id, and the rest's."""

    def __init__(self):
        self.parts = None
        self.rest = None

    def message(self, fragment):
        """What to send of ``fragment`` (parse()'s: the whole of it, or its changes), remembered as sent."""
        if not fragment.html:
            return ""
        sums = {key: part[0] for key, part in fragment.parts.items()}
        whole = (fragment.at is None or self.parts is None or fragment.rest != self.rest
                 or sums.keys() != self.parts.keys())
        changed = [] if whole else [part[1] for key, part in fragment.parts.items() if part[0] != self.parts[key]]
        self.parts, self.rest = sums, fragment.rest
        if whole:
            return fragment.html
        return fragment.at + "".join(changed)
