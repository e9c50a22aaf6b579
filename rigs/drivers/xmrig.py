"""The xmrig driver: its HTTP API (v6, /2/summary and /2/backends), in cgminer's shape.

poll() returns sections like the cgminer API's (SUMMARY, POOLS, DEVS, VERSION), so
the pages and the custom page engine show xmrig rigs too. Hashrate windows that
xmrig reports as null (not enough samples yet) stay None and are flagged as
"warming up". pause/resume go through POST /json_rpc, which needs the token and
`Content-Type: application/json` exactly (shared/PROTOCOLS.md, section 3).
"""

import time
from typing import Any, Unpack

from . import curtailing, http
from .described import CURTAIL as CURTAIL_COMMAND
from .described import RESUME, Command, Curtailing
from .errors import BadReplyError, RigError
from .interface import Limits, Outcome, Rig, Sections, Statuses

KIND = "xmrig"
LABEL = "xmrig HTTP API"
FIELDS = ("host", "port", "token")
COMMANDS = (Command("pause", "Pause mining", "miner"), RESUME, CURTAIL_COMMAND)
CURTAIL = Curtailing(
    sleep="pauses mining (JSON-RPC `pause` on POST /json_rpc); Resume sends `resume`. The CPU or GPU idles: "
          "the machine stays on.",
    reads_back="`/2/summary` paused (true while paused).")

AUTH_HELP = {401: "the xmrig API wants a token: set the rig's API token (http.access-token)",
             403: "the xmrig API refused the token, or is restricted (http.restricted must be false to pause/resume)",
             415: "the xmrig API refused the request's content type"}


async def call(rig, method, path, body=None, **limits):
    status, raw = await http.call(rig.host, rig.port, method, path, f"Bearer {rig.token}" if rig.token else "",
                                  body, **limits)
    if status in AUTH_HELP:
        raise RigError(f"HTTP {status}: {AUTH_HELP[status]}")
    if status >= 400:
        raise RigError(f"HTTP {status} from the xmrig API")
    return http.json_body(raw)


def _mhs(hs):
    return None if hs is None else round(hs / 1e6, 8)


def to_sections(summary, backends):
    """xmrig's summary and backends -> cgminer-shaped sections."""
    if not isinstance(summary, dict):
        raise BadReplyError("summary is not a JSON object")
    rates = ((summary.get("hashrate") or {}).get("total") or [None, None, None]) + [None, None, None]
    h10, h60, h15 = rates[:3]
    results = summary.get("results") or {}
    conn = summary.get("connection") or {}
    good, total = results.get("shares_good") or 0, results.get("shares_total") or 0
    warming = any(r is None for r in (h10, h60, h15))
    paused = bool(summary.get("paused"))
    best = results.get("best") or [0]
    rec = {"Elapsed": summary.get("uptime"), "MHS 10s": _mhs(h10), "MHS 1m": _mhs(h60), "MHS 15m": _mhs(h15),
           "MHS av": _mhs(h15 if h15 is not None else h60 if h60 is not None else h10),
           "Accepted": good, "Rejected": max(0, total - good), "Best Share": best[0] if best else 0,
           "Algorithm": summary.get("algo"), "Paused": paused,
           "Hashrate": "paused" if paused else ("warming up" if warming else "ok"),
           "Highest": _mhs((summary.get("hashrate") or {}).get("highest"))}
    pool = {"POOL": 0, "URL": conn.get("pool") or "", "Status": "Alive" if conn.get("uptime") else "Dead",
            "Priority": 0, "Accepted": conn.get("accepted", 0), "Rejected": conn.get("rejected", 0),
            "Stratum Active": bool(conn.get("uptime")), "Difficulty": conn.get("diff"), "Ping": conn.get("ping"),
            "Failures": conn.get("failures"), "Algorithm": conn.get("algo")}
    devs = []
    for i, b in enumerate(backends if isinstance(backends, list) else []):
        if not isinstance(b, dict):
            continue
        brates = (b.get("hashrate") or [None, None, None]) + [None, None, None]
        devs.append({"Name": str(b.get("type", "?")).upper(), "ID": i, "Enabled": "Y" if b.get("enabled") else "N",
                     "Status": "Alive" if b.get("enabled") and not paused else ("Paused" if paused else "Disabled"),
                     "MHS 10s": _mhs(brates[0]), "MHS 1m": _mhs(brates[1]),
                     "MHS av": _mhs(brates[2] if brates[2] is not None else brates[1]),
                     "Threads": len(b.get("threads") or []), "Profile": b.get("profile")})
    version = {"Miner": f"xmrig {summary.get('version', '?')}", "API": "2", "Kind": summary.get("kind", "")}
    return {"SUMMARY": [rec], "POOLS": [pool], "DEVS": devs, "VERSION": [version]}


def algorithm(sections):
    """xmrig names its algorithm (rx/0, cn/r...) in its summary and its pool."""
    for name in ("SUMMARY", "POOLS"):
        for r in sections.get(name) or []:
            if isinstance(r, dict) and r.get("Algorithm"):
                return str(r["Algorithm"])
    return ""


async def poll(rig: Rig, **limits: Unpack[Limits]) -> tuple[Sections, Statuses]:
    """(sections, statuses) of one xmrig rig; RigError when it cannot be read."""
    summary = await call(rig, "GET", "/2/summary", **dict(limits))
    backends = await call(rig, "GET", "/2/backends", **dict(limits))
    when = int(time.time())
    return to_sections(summary,
                       backends), {"summary": {"STATUS": "S", "When": when, "Code": None, "Msg": "xmrig summary"}}


async def command(rig: Rig, name: str, values: dict[str, Any] | None = None,
                  **limits: Unpack[Limits]) -> Outcome:
    """pause or resume through JSON-RPC; returns (letter, message)."""
    if name == "curtail":
        return await curtail(rig, (values or {}).get("how") or "", (values or {}).get("value"), **limits)
    if name not in ("pause", "resume"):
        raise RigError(f"{name} is not an xmrig command")
    reply = await call(rig, "POST", "/json_rpc", {"method": name, "id": 1}, **limits)
    if isinstance(reply, dict) and (reply.get("result") or {}).get("status") == "OK":
        return "S", {"pause": "Mining paused.", "resume": "Mining resumed."}.get(name, "OK")
    err = (reply or {}).get("error") if isinstance(reply, dict) else None
    return "E", f"xmrig said: {err.get('message') if isinstance(err, dict) else 'no result'}"


async def curtail(rig: Rig, how: str, value: str | None = None, **limits: Unpack[Limits]) -> Outcome:
    curtailing.check(LABEL, CURTAIL, how, value)
    return await command(rig, "pause", {}, **limits)


async def resume(rig: Rig, **limits: Unpack[Limits]) -> Outcome:
    return await command(rig, "resume", {}, **limits)


def curtailed(sections: Sections, how: str | None = None, value: str | None = None) -> bool | None:
    return curtailing.yes(curtailing.summary(sections).get("Paused"))


async def detect(host: str, port: int, **limits: Unpack[Limits]) -> str | None:
    """"xmrig 6.21.0" when its API answers (a JSON error also tells it is there, wanting a token)."""
    try:
        status, raw = await http.call(host, port, "GET", "/2/summary", **limits)
        body = http.json_body(raw)
    except RigError:
        return None
    if status == 200 and isinstance(body, dict) and "algo" in body:
        return f"xmrig {body.get('version', '?')}"[:200]
    if status in (401, 403) and isinstance(body, dict) and body.get("status") == status:
        return "xmrig (its API wants the access token)"
    return None
