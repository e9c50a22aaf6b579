"""The cgminer RPC API wire format: requests, replies, and what real firmwares send.

Plain functions over bytes and dicts, no I/O: the client (client.py beside it) and the
simulator (rigs/simulators/cgminer/) both use them. Reference: the sgminer API README
(shared/seeds/002) and the byte-exact captures in shared/fixtures/real/.

A parsed reply is always a mapping ``command -> Response``: a single command gives
one entry, a joined ``summary+devs`` one entry per command.
"""

import functools
import json
import re
from dataclasses import dataclass, field

from .. import fastjson
from ..errors import BadReplyError, ConnectError, NoReplyError, RigError, TimeoutError_, TooLargeError  # noqa: F401
from .framing import JsonEnd, cut_reply  # noqa: F401  (the client and drivers take them from here)
from .repair import load_json  # noqa: F401  (the ASIC drivers take load_json from here)

# Section names as the JSON replies of real miners spell them, keyed by command.
# Text replies name list items by their item key (POOL=0, ASC=0), so the section
# name has to come from the command.
DEVICE_KINDS = ("ASC", "PGA", "GPU", "CPU")
LIST_SECTION = {"devs": "DEVS", "edevs": "DEVS", "procs": "DEVS", "pools": "POOLS"}
# bfgminer names the devdetails section DEVS (its items are keyed DEVDETAILS);
# cgminer names it DEVDETAILS. We store one name.
RENAME_SECTION = {"devdetails": {"DEVS": "DEVDETAILS"}, "procdetails": {"DEVS": "DEVDETAILS"}}


@dataclass(slots=True)
class Response:
    """One command's answer: its STATUS record and its data sections."""

    status: dict
    sections: dict = field(default_factory=dict)
    raw: bytes = b""  # the reply as it came (rigs/readings/digits.py reads how the rig writes its numbers from it)

    @property
    def letter(self):
        return self.status.get("STATUS", "")

    @property
    def ok(self):
        return self.letter in ("S", "I")

    @property
    def code(self):
        return self.status.get("Code")

    @property
    def msg(self):
        return str(self.status.get("Msg", ""))

    def as_dict(self):
        return {"STATUS": [self.status], **self.sections}


# ---------------------------------------------------------------- requests


def encode_request(command, parameter=None, fmt="json"):
    """The bytes of one request. Real miners read a single recv() of <= 8191 bytes."""
    if parameter is None:  # the poller's: the same few requests to every rig, every round
        return _encode_bare(command, fmt)
    return _encode(command, parameter, fmt)


def _encode(command, parameter, fmt):
    if fmt == "json":
        body = {"command": command}
        if parameter is not None:
            body["parameter"] = str(parameter)
        data = json.dumps(body, separators=(",", ":")).encode()
    else:
        data = (command if parameter is None else f"{command}|{parameter}").encode()
    if len(data) > 8191:
        raise RigError("request longer than the 8191 bytes a miner reads")
    return data


@functools.lru_cache(maxsize=64)
def _encode_bare(command, fmt):
    return _encode(command, None, fmt)


def escape_param(value):
    """Escape one addpool/ascset value: a comma or backslash would split it."""
    return str(value).replace("\\", "\\\\").replace(",", "\\,")


# ---------------------------------------------------------------- replies


def parse_reply(raw, command, fmt="json"):
    """Parse the raw bytes of a reply to ``command`` into {command: Response}."""
    if fmt == "json":
        end = raw.find(b"\0")
        obj = fastjson.loads(raw if end < 0 else raw[:end])  # well-formed JSON, from the bytes as they came
        if isinstance(obj, dict):
            return from_json(obj, command)
    text = cut_reply(raw)
    if not text.strip():
        raise NoReplyError(
            "the rig closed the connection without answering: "
            "is the panel's address in its --api-allow?"
        )
    if fmt == "json" and text.lstrip().startswith(","):  # Avalon: the opening brace lost to a comma
        text = "{" + text.lstrip()[1:]
    if fmt == "json" and text.lstrip().startswith("{"):
        return from_json(load_json(text), command)
    return from_text(text, command)


# ------------------------------------------------------------------ JSON


def _status_of(obj):
    """The STATUS record of a reply object, whatever shape the firmware used (the parsed reply's
    own dict: nothing else holds it)."""
    status = obj.get("STATUS") if isinstance(obj, dict) else None
    if isinstance(status, list) and status and isinstance(status[0], dict):
        return status[0]
    if isinstance(status, dict):
        return status
    if isinstance(status, str):
        # quit answers {"STATUS":"BYE"}, restart {"STATUS":"RESTART"}
        return {"STATUS": "S", "Code": None, "Msg": status}
    return {"STATUS": "E", "Code": None, "Msg": "reply has no STATUS section"}


_NOT_SECTIONS = frozenset(("STATUS", "id"))


def _response_of(obj, command):
    if not isinstance(obj, dict):
        raise BadReplyError("reply is JSON but not an object")
    status = obj.get("STATUS")
    if not (status.__class__ is list and status and status[0].__class__ is dict):  # the usual shape, else
        status = _status_of(obj)
    else:
        status = status[0]
    rename = RENAME_SECTION.get(command)
    sections = {}
    for key, value in obj.items():
        if key in _NOT_SECTIONS:
            continue
        if value.__class__ is list:  # as parsed JSON has them: a list of records, anything else dropped
            records = [r for r in value if r.__class__ is dict]
        elif value.__class__ is dict:
            records = [value]
        else:
            continue
        if records:  # an empty array is absent, as in the text format
            sections[rename.get(key, key) if rename else key] = records
    return Response(status, sections)


@functools.lru_cache(maxsize=256)
def _members(command):
    seen = []
    for part in command.split("+"):
        if part and part not in seen:
            seen.append(part)
    return tuple(seen)


def join_members(command):
    """The commands of a joined request, as the miner sees them (no dups, no blanks)."""
    return list(_members(command))


def from_json(obj, command):
    if not isinstance(obj, dict):
        raise BadReplyError("reply is JSON but not an object")
    members = _members(command) if "+" in command else (command,)
    if "+" in command and "STATUS" not in obj:
        # {"summary":[{STATUS.., SUMMARY.., "id":1}], "devs":[...], "id":1}
        result = {}
        for name in members:
            part = obj.get(name)
            if isinstance(part, list):
                part = part[0] if part else None
            if part is None:
                result[name] = Response({"STATUS": "E", "Code": None, "Msg": "missing from the reply"})
            else:
                result[name] = _response_of(part, name)
        return result
    response = _response_of(obj, command)
    # A joined request answered in the single layout: an old API (< 3.1) that
    # rejected the join as one unknown command, or a JSON-level error.
    return {name: response for name in members}


# ------------------------------------------------------------------ text

_INT = re.compile(r"-?\d+\Z")
_FLOAT = re.compile(r"-?(\d+\.\d*|\d*\.\d+)([eE][-+]?\d+)?\Z|-?\d+[eE][-+]?\d+\Z")


def split_escaped(text, sep, limit=-1):
    """Split on unescaped ``sep``, keeping the escapes in the parts."""
    if "\\" not in text:  # nothing escaped: the string's own split
        return text.split(sep, limit)
    parts = []
    cur = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            cur.append(text[i : i + 2])
            i += 2
            continue
        if c == sep and limit != 0:
            parts.append("".join(cur))
            cur = []
            limit -= 1
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return parts


# Text-format values that JSON replies carry as strings even when they look numeric.
TEXT_FIELDS = {"User", "URL", "Stratum URL", "Name", "Proxy", "Current Block Hash", "Description",
               "Device Code", "Mining Goal", "Kernel", "Driver", "Model", "Device Path", "Current Pool"}


def unescape(text):
    return re.sub(r"\\(.)", r"\1", text)


def text_value(raw):
    value = unescape(raw)
    if _INT.match(value):
        return fastjson.rig_int(value)
    if _FLOAT.match(value):
        return float(value)
    if value == "true":
        return True
    if value == "false":
        return False
    return value


def _text_records(segment_text):
    """One ``|``-separated segment: (item key, is_bare_name, record)."""
    fields = split_escaped(segment_text, ",")
    first = split_escaped(fields[0], "=", 1)
    record = {}
    if len(first) == 1:
        name, rest = unescape(first[0]), fields[1:]
    else:
        name, rest = unescape(first[0]), fields
    for f in rest:
        if not f:
            continue
        kv = split_escaped(f, "=", 1)
        key = unescape(kv[0])
        if len(kv) < 2:
            record[key] = ""
        elif (name == "STATUS" and key not in ("When", "Code")) or name == "VERSION" or key in TEXT_FIELDS:
            record[key] = unescape(kv[1])  # Msg "126", API "3.1", a user "1234": strings, as in JSON
        else:
            record[key] = text_value(kv[1])
    return name, record


def _text_response(segments, command):
    status = None
    sections: dict[str | None, list[dict]] = {}
    for seg in segments:
        name, record = _text_records(seg)
        section: str | None
        if name == "STATUS" and status is None:
            status = record
            continue
        if command in ("devs", "edevs", "procs") and name in DEVICE_KINDS:
            section = "DEVS"
        elif command in ("cpu", "pga", "asc", "gpu") and name in DEVICE_KINDS:
            section = command.upper()  # bfgminer's cpu|0 answers a PGA item in a CPU section
        else:
            section = LIST_SECTION.get(command) if name == "POOL" else name
        sections.setdefault(section, []).append(record)
    if status is None:
        status = {"STATUS": "E", "Code": None, "Msg": "reply has no STATUS section"}
    return Response(status=status, sections=sections)


TEXT_LIMIT = 512 * 1024  # characters: a text reply is parsed field by field, in the poller's event loop


def from_text(text, command):
    if len(text) > TEXT_LIMIT:
        raise BadReplyError(f"text reply larger than {TEXT_LIMIT // 1024} kB")
    text = text.strip("\r\n")
    if text in ("BYE", "RESTART"):
        members = join_members(command) if "+" in command else [command]
        return {m: Response({"STATUS": "S", "Code": None, "Msg": text}) for m in members}
    if not text.startswith(("STATUS=", "CMD=")):
        raise BadReplyError("reply is neither JSON nor the API's text format")
    segments = [s for s in split_escaped(text, "|") if s]
    if segments[0].startswith("CMD="):
        result = {}
        current = None
        chunk: list[str] = []
        for seg in segments + ["CMD="]:
            if seg.startswith("CMD="):
                if current is not None:
                    result[current] = _text_response(chunk, current)
                current, chunk = unescape(seg[4:]), []
            else:
                chunk.append(seg)
        return result
    response = _text_response(segments, command)
    members = join_members(command) if "+" in command else [command]
    return {m: response for m in members}


# ------------------------------------------------------------------ values


def as_number(value):
    """A rig value as a float, or None: "Y", "inf", None and garbage are not numbers, nor is anything
    beyond ±1e308 (10**400 is valid JSON)."""
    t = type(value)
    if t is float:
        return value if -1e308 < value < 1e308 else None  # NaN too: it compares false
    if t is int:
        return float(value) if -1e308 < value < 1e308 else None
    if t is bool or value is None:
        return None
    if isinstance(value, (int, float)):  # their subclasses
        return float(value) if -1e308 < value < 1e308 else None
    try:
        f = float(str(value).strip())
    except ValueError:
        return None
    return f if -1e308 < f < 1e308 else None


def as_bool(value):
    """Booleans come as "Y"/"N" or true/false depending on the field."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("y", "yes", "true", "1")
