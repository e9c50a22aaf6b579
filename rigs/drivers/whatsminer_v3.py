"""Whatsminer API v3 (firmware from 2024-11 on), TCP 4433 (research: asic-dialects.md §3.3 and MicroBT's
API v3 manual): every message both ways is a 4-byte little-endian length then compact JSON; the socket
stays open (300 s idle), so a reply ends by its length, not by a close or a NUL.

Reads: `get.miner.status` with `summary+edevs+pools` in one request (rates in TH/s, kebab-case keys)
and `get.device.info` (model, firmware, error codes in mixed shapes). Writes (`set.*`) carry `ts`,
`account` (super) and a `token`: the first 8 characters of base64(sha256(command + password + salt +
ts)), the salt from `get.device.info` `salt`; `set.miner.pools` sends its list AES-256-ECB-encrypted
with that sha256 as the key. Pool passwords the miner reads back are dropped.
"""

import base64
import hashlib
import json
import time

from . import asic
from .cgminer import client
from .cgminer.protocol import load_json
from .errors import BadReplyError, NoReplyError, RigError
from .whatsminer_crypto import encrypt

PORT = 4433
TO_MHS = 1e6  # TH/s


def frame(obj):
    data = json.dumps(obj, separators=(",", ":")).encode()
    return len(data).to_bytes(4, "little") + data


def whole(buf):
    return len(buf) >= 4 and len(buf) >= 4 + int.from_bytes(buf[:4], "little")


async def call(host, port, obj, **limits):
    """One framed request, its framed JSON reply as a dict."""
    raw = await client.exchange(host, port, frame(obj), complete=whole, **limits)
    if len(raw) < 4:
        raise NoReplyError("the Whatsminer closed the connection without answering (API v3 on this port?)")
    size = int.from_bytes(raw[:4], "little")
    body = raw[4:4 + size]
    if len(body) < size:
        raise BadReplyError("the Whatsminer's reply was cut short")
    reply = load_json(body.decode("utf-8", errors="replace"))
    if not isinstance(reply, dict):
        raise BadReplyError("the Whatsminer's reply is not a JSON object")
    return reply


def message(reply, what):
    """The `msg` object of a successful reply; a RigError with the miner's words otherwise."""
    if reply.get("code") != 0:
        raise RigError(f"the Whatsminer refused {what}: {str(reply.get('msg') or 'no reason given')[:200]}")
    msg = reply.get("msg")
    return msg if isinstance(msg, dict) else {}


def token(cmd, password, salt, ts):
    """(token, AES key) of one write command."""
    digest = hashlib.sha256(f"{cmd}{password}{salt}{ts}".encode()).digest()
    return base64.b64encode(digest).decode()[:8], digest


def _flat(record):
    """A record's values as the pages show them: lists joined, objects left out."""
    return {k: (" / ".join(str(x) for x in v) if isinstance(v, list) else v)
            for k, v in record.items() if not isinstance(v, dict)}


def errors(value):
    """ERRORS records from `error-code`: strings, numbers, {"<code>": "<when>", "reason": ...}, or one
    plain string such as "btminer process is down err"."""
    if isinstance(value, str):
        return [{"Code": None, "Text": value[:200]}] if value else []
    out = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict):
            code = next((k for k in item if k != "reason"), None)
            out.append({"Code": code, "When": item.get(code), "Reason": item.get("reason")})
        elif isinstance(item, (str, int)) and not isinstance(item, bool):
            out.append({"Code": item})
    return out


STATUS_WORDS = {"alive": "Alive", "dead": "Dead", "disabled": "Disabled", "rejecting": "Rejecting"}


def pools_of(records):
    """POOLS as cgminer's: the firmware's lower-case `alive`/`dead` as cgminer's Alive/Dead, numbered by its
    `id` (from 1, as API v2's) or, where it gives none, by position, the priority in the order it lists
    them; the pool passwords it reads back in clear are never stored (Q24)."""
    out = []
    for i, p in enumerate(r for r in records or [] if isinstance(r, dict)):
        p = {k: v for k, v in p.items() if k != "passwd"}
        number, priority = asic.num(p.get("id")), asic.num(p.get("pool-priority"))
        status = str(p.get("status") or "")[:20]
        out.append({"POOL": int(number) if number is not None and number == int(number) else i + 1,
                    "URL": p.get("url"), "User": p.get("account"),
                    "Status": STATUS_WORDS.get(status.lower(), status.title()),
                    "Priority": int(priority) if priority is not None and priority == int(priority) else i,
                    "Stratum Active": p.get("stratum-active"), **_flat(p)})
    return out


def to_sections(status, info):
    s = status.get("summary") if isinstance(status.get("summary"), dict) else {}
    if not s:
        raise BadReplyError("the Whatsminer's status has no summary")
    boards = s.get("board-temperature", s.get("board-tempurature"))  # pyasic's models know both spellings
    boards = [asic.num(b) for b in boards] if isinstance(boards, list) else []
    devs = []
    for i, d in enumerate(e for e in status.get("edevs") or [] if isinstance(e, dict)):
        rate = asic.mhs(d.get("hash-average"), "T")
        devs.append(asic.board(i, rate, "SM", asic.hottest(boards[i]) if i < len(boards) else None,
                               asic.hottest(asic.num(d.get("chip-temp-max"))), _flat(d)))
    pools = pools_of(status.get("pools"))
    power, rate = asic.num(s.get("power-realtime")), asic.mhs(s.get("hash-realtime"), "T")
    summary = {"Elapsed": asic.num(s.get("elapsed")), "MHS 5s": rate, "MHS av": asic.mhs(s.get("hash-average"), "T"),
               "MHS 1m": asic.mhs(s.get("hash-1min"), "T"), "MHS 15m": asic.mhs(s.get("hash-15min"), "T"),
               **_flat(s)}
    miner, system = ({} if not isinstance(info.get(k), dict) else info[k] for k in ("miner", "system"))
    return asic.mapped({}, summary, devs, {
        "Nominal MHS": asic.mhs(s.get("factory-hash"), "T"), "Power": power,
        "Efficiency J/TH": asic.num(s.get("power-rate")) or asic.efficiency(power, rate),
        "Temperature": asic.hottest(*boards), "Chip Temp": asic.hottest(asic.num(s.get("chip-temp-max"))),
        "Power Limit": asic.num(s.get("power-limit")),
        "Power Mode": (info.get("power") or {}).get("mode") if isinstance(info.get("power"), dict) else None,
        "Working": miner.get("working"), "Boards": len(devs)},
        POOLS=pools, FANS=asic.fans([(0, asic.num(s.get("fan-speed-in"))), (1, asic.num(s.get("fan-speed-out")))]),
        VERSION=[{"Miner": "btminer", "Type": miner.get("type"), "Firmware": system.get("fwversion"),
                  "API": system.get("api"), "Platform": system.get("platform")}] if system else [],
        ERRORS=errors(info.get("error-code")))


async def poll(host, port, **limits):
    status = message(await call(host, port, {"cmd": "get.miner.status", "param": "summary+edevs+pools"}, **limits),
                     "get.miner.status")
    try:
        info = message(await call(host, port, {"cmd": "get.device.info"}, **limits), "get.device.info")
    except RigError:
        info = {}  # the figures do not need it
    return to_sections(status, info), {"summary": {"STATUS": "S", "When": int(time.time()), "Code": 0,
                                                   "Msg": "get.miner.status"}}


async def write(rig, port, cmd, param=None, **limits):
    """Send one set.* command: (letter, message, code)."""
    salt = message(await call(rig.host, port, {"cmd": "get.device.info", "param": "salt"}, **limits),
                   "get.device.info").get("salt")
    if not isinstance(salt, str) or not salt:
        raise RigError("the Whatsminer gave no salt for a write token")
    ts = int(time.time())
    tok, key = token(cmd, rig.token or "super", salt, ts)
    request = {"cmd": cmd, "ts": ts, "token": tok, "account": getattr(rig, "username", "") or "super"}
    if param is not None:
        request["param"] = encrypt(key, param) if cmd == "set.miner.pools" else param
    reply = await call(rig.host, port, request, **limits)
    code = reply.get("code")
    if code == 0:
        return "S", "", 0
    return "E", f"the Whatsminer refused it: {str(reply.get('msg') or 'no reason given')[:200]}", code
