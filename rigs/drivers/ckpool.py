"""The ckpool driver: its Unix sockets and the files it writes, in cgminer's shape.

ckpool (shared/PROTOCOLS.md section 1) answers few questions over its sockets:
``ping`` on each of listener/stratifier/connector/generator, counters from
``stats``, the chain tip from ``getbest``. Its hashrates, shares and best shares
live in files it rewrites in place every minute: ``logs/pool/pool.status`` (three
JSON lines) and ``logs/users/<user>`` (one JSON object each, with its workers),
read by ckpool_files.

Framing: a 4-byte little-endian length, then the text; one message and at most one
reply per connection, and "no reply" (EOF before the length) is normal for many
commands. We never send ``getuser=``/``getworker=`` (they create empty users), JSON,
or the commands the seed guide invents (see ABOUT).
"""

import asyncio
import json
import os
import struct
import time
from typing import Any, Unpack, cast

from . import fastjson
from .cgminer.repair import check_nesting
from .ckpool_files import parse_rate, permission_help, read_logs
from .described import Command, Param
from .errors import BadReplyError, ConnectError, NoReplyError, RigError, TimeoutError_
from .interface import Limits, Outcome, Record, Rig, Sections, Statuses

KIND = "ckpool"
LABEL = "ckpool (its Unix sockets and log files, on this machine)"
FIELDS = ("path", "logdir")
IS_POOL = True  # a pool's hashrate is its miners': adding it to the farm's would count it twice
NEEDS_SECRET = False
FLEET_SECTION, FLEET_UNIT = "WORKERS", "workers"  # the fleet alert counts its workers
# Its sections custom pages may name, and how they join (miner.php's joinsections() terms).
PAGE_SECTIONS = ("POOLSTATUS", "USERS", "WORKERS")
PAGE_JOINS = {("USERS", "WORKERS"): "user", ("POOLSTATUS", "USERS"): "all", ("POOLSTATUS", "WORKERS"): "all"}
# the built-in custom page of its kind (custompages/builtin.py), in a page's exported form
CUSTOM_PAGES = ({
    "name": "ckpool", "slug": "ckpool", "order": 30, "public": False,
    "sections": [
        {"section": "DATE"},
        {"section": "POOLSTATUS", "title": "Pools",
         "fields": "Users\nWorkers\nIdle\nMHS 1m\nMHS 1hr\nMHS 1d\nDifficulty Accepted=Accepted\nBest Share\n"
                   "Round Diff%\nListener\nStratifier\nGenerator",
         "totals": "Users\nWorkers\nMHS 1m\nMHS 1hr\nMHS 1d"},
        {"section": "USERS+WORKERS", "title": "Workers",
         "fields": "USERS.User=User\nWORKERS.Worker=Worker\nWORKERS.MHS 1m=MHS 1m\nWORKERS.MHS 1hr=MHS 1hr\n"
                   "GEN.Part=% of user\nWORKERS.Shares=Shares\nWORKERS.Best Share=Best Share\n"
                   "WORKERS.Last Share Time=Last Share Time",
         "totals": "WORKERS.MHS 1m\nWORKERS.MHS 1hr\nWORKERS.Shares",
         "gen": "Part=round(100*WORKERS.MHS 1hr/max(USERS.MHS 1hr,0.000001),1)",
         "sort": "USERS.User\nWORKERS.Worker"},
    ],
},)
# Its listener's commands (shared/PROTOCOLS.md 1.3); every one is confirmed: a pool's settings reach all its miners.
COMMANDS = (
    Command("loglevel", "Log level", "pool",
            (Param("level", "int", "Level (0 emergency ... 5 notice ... 7 debug)", 0, 7),),
            dangerous=True),
    Command("accept", "Accept miners", "pool", dangerous=True, help="New stratum connections are accepted."),
    Command("reject", "Reject miners", "pool", dangerous=True,
            help="New stratum connections are refused until 'Accept miners'."),
    Command("reconnect", "Reconnect all miners", "pool", dangerous=True,
            help="Every connected miner is told to reconnect."),
    Command("resetshares", "Reset shares", "pool", dangerous=True,
            help="Zeroes accepted, rejected and best shares of the pool, every user and worker."),
    Command("restart", "Restart", "miner", dangerous=True,
            help="ckpool restarts by handing its connections over to a new process."),
    Command("shutdown", "Shut down", "pool", dangerous=True,
            help="ckpool exits and stays down until something starts it."),
)

SOCKETS = ("listener", "stratifier", "connector", "generator")
MAX_REPLY = 1 << 20  # ckpool allows 2 GiB frames; nothing we ask for is near 1 MB

ABOUT = (
    "ckpool has no summary, user.info=, dropuser=, current.workbase commands and no 'pool' socket, whatever some "
    "guides say. What this page shows comes from: POOLSTATUS and SUMMARY: logs/pool/pool.status (hashrates, "
    "shares, best share, users and workers), 'ping' on each of the four sockets (listener, stratifier, connector, "
    "generator), stratifier 'stats' (users known, clients connected) and generator 'getbest' (the chain tip). "
    "USERS and WORKERS: the files in logs/users/, which ckpool rewrites every minute. Hashrates are ckpool's "
    "decaying averages; shares are difficulty-weighted. The panel never sends getuser=/getworker=: they create "
    "empty users in ckpool."
)




def address(rig: Rig) -> str:
    return rig.path


def check(rig: Rig) -> dict[str, str]:
    """The admin's checks: both directories, absolute."""
    errors = {}
    for name in ("path", "logdir"):
        value = getattr(rig, name)
        if not value:
            errors[name] = "A ckpool rig needs its socket directory and its logs directory."
        elif not value.startswith("/"):
            errors[name] = "An absolute path, such as /tmp/ckpool or /home/ckpool/logs."
    rig.host = rig.host or "localhost"
    return errors


# ---------------------------------------------------------------- sockets


def frame(text):
    data = text.encode()
    return struct.pack("<I", len(data)) + data


async def ask(sockdir, name, text, *, connect_timeout=2.0, timeout=5.0, max_reply=MAX_REPLY):
    """Send one framed message to a ckpool socket; its reply text, or None when it
    closes without one (normal for many commands)."""
    path = os.path.join(sockdir, name)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    writer = None
    try:
        try:
            async with asyncio.timeout(min(connect_timeout, timeout)):
                reader, writer = await asyncio.open_unix_connection(path)
        except TimeoutError:
            raise TimeoutError_(f"{name}: no connection within {connect_timeout:g} s") from None
        except FileNotFoundError:
            raise ConnectError(f"{path} does not exist: is ckpool running with -s {sockdir}?") from None
        except PermissionError:
            raise ConnectError(permission_help(path)) from None
        except ConnectionRefusedError:
            raise ConnectError(f"{name} refused the connection: ckpool is not running "
                               "(its socket files stay behind after it stops)") from None
        except OSError as exc:
            raise ConnectError(f"cannot connect to {path}: {exc.strerror or exc}") from None
        writer.write(frame(text))  # the whole frame in one write
        try:
            async with asyncio.timeout_at(deadline):
                await writer.drain()
                writer.write_eof()
                try:
                    header = await reader.readexactly(4)
                except asyncio.IncompleteReadError as exc:
                    if not exc.partial:
                        return None
                    raise BadReplyError(f"{name}: reply cut inside its length") from None
                (size,) = struct.unpack("<I", header)
                if size == 0 or size > max_reply:
                    raise BadReplyError(f"{name}: reply length {size} is out of bounds")
                try:
                    body = await reader.readexactly(size)
                except asyncio.IncompleteReadError as exc:
                    raise BadReplyError(f"{name}: reply cut after {len(exc.partial)} of {size} bytes") from None
        except TimeoutError:
            raise TimeoutError_(f"{name}: no reply within {timeout:g} s") from None
        except (ConnectionResetError, BrokenPipeError):
            raise NoReplyError(f"{name} reset the connection") from None
        return body.decode("utf-8", errors="replace")
    finally:
        if writer is not None:
            writer.close()


# ---------------------------------------------------------------- sections


def _mhs(value):
    hs = parse_rate(value)
    return None if hs is None else round(hs / 1e6, 6)


def _num(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


POOL_RATES = (("1m", "hashrate1m"), ("5m", "hashrate5m"), ("15m", "hashrate15m"), ("1hr", "hashrate1hr"),
              ("6hr", "hashrate6hr"), ("1d", "hashrate1d"), ("7d", "hashrate7d"))
USER_RATES = (("1m", "hashrate1m"), ("5m", "hashrate5m"), ("1hr", "hashrate1hr"), ("1d", "hashrate1d"),
              ("7d", "hashrate7d"))
IDLE_AFTER = 60  # ckpool's own "Idle": no share for more than a minute


def to_sections(pool, users, alive, stats, best, now):
    """ckpool's files and socket answers -> POOLSTATUS, USERS, WORKERS (and SUMMARY,
    DEVS, VERSION in cgminer's shape for the summary page)."""
    rates = {f"MHS {w}": _mhs(pool.get(k)) for w, k in POOL_RATES}
    acc, rej = _num(pool.get("accepted")), _num(pool.get("rejected"))
    status = {
        "Elapsed": _num(pool.get("runtime")), "Last Update": _num(pool.get("lastupdate")),
        "Users": _num(pool.get("Users")), "Workers": _num(pool.get("Workers")), "Idle": _num(pool.get("Idle")),
        "Disconnected": _num(pool.get("Disconnected")), **rates,
        "Round Diff%": _num(pool.get("diff")), "Difficulty Accepted": acc, "Difficulty Rejected": rej,
        "Best Share": _num(pool.get("bestshare")),
        "SPS 1m": _num(pool.get("SPS1m")), "SPS 5m": _num(pool.get("SPS5m")),
        "SPS 15m": _num(pool.get("SPS15m")), "SPS 1h": _num(pool.get("SPS1h")),
        **{name.title(): state for name, state in alive.items()},
        "Clients": ((stats or {}).get("clients") or {}).get("count"),
        "Known Users": ((stats or {}).get("users") or {}).get("count"),
        "Best Block": best,
    }
    summary = {"Elapsed": status["Elapsed"], "MHS av": rates["MHS 1hr"], "MHS 1m": rates["MHS 1m"],
               "MHS 5m": rates["MHS 5m"], "MHS 15m": rates["MHS 15m"],
               "Difficulty Accepted": acc, "Difficulty Rejected": rej,
               "Pool Rejected%": round(100 * rej / (acc + rej), 2) if acc is not None and rej and acc + rej else 0.0,
               "Best Share": status["Best Share"], "Users": status["Users"], "Workers": status["Workers"],
               "Idle": status["Idle"]}
    user_rows: list[Record] = []
    worker_rows: list[Record] = []
    devs: list[Record] = []
    for name, data in users:
        user_rows.append({
            "User": name, **{f"MHS {w}": _mhs(data.get(k)) for w, k in USER_RATES},
            "Last Share Time": _num(data.get("lastshare")), "Workers": _num(data.get("workers")),
            "Shares": _num(data.get("shares")), "Best Share": _num(data.get("bestshare")),
            "Best Ever": _num(data.get("bestever")), "Authorised": _num(data.get("authorised")),
        })
        for w in data.get("worker") if isinstance(data.get("worker"), list) else []:
            if not isinstance(w, dict):
                continue
            wname = str(w.get("workername", ""))
            row = {"User": name, "Worker": wname, **{f"MHS {x}": _mhs(w.get(k)) for x, k in USER_RATES},
                   "Last Share Time": _num(w.get("lastshare")), "Shares": _num(w.get("shares")),
                   "Best Share": _num(w.get("bestshare")), "Best Ever": _num(w.get("bestever"))}
            worker_rows.append(row)
            last = row["Last Share Time"] or 0
            devs.append({"Name": wname, "ID": len(devs), "Enabled": "Y",
                         "Status": "Alive" if now - last <= IDLE_AFTER else "Idle",
                         "MHS av": row["MHS 1hr"], "MHS 1m": row["MHS 1m"], "Accepted": row["Shares"],
                         "Last Share Time": row["Last Share Time"]})
    version = {"Miner": "ckpool pool", "API": "unix sockets"}
    return {"SUMMARY": [summary], "POOLSTATUS": [status], "USERS": user_rows, "WORKERS": worker_rows,
            "DEVS": devs, "VERSION": [version]}


async def _ping(sockdir, name, limits):
    try:
        reply = await ask(sockdir, name, "ping", **limits)
    except RigError as exc:
        return exc
    return "up" if reply == "pong" else RigError(f"{name} answered {str(reply)[:40]!r} to ping")


async def poll(rig: Rig, **limits: Unpack[Limits]) -> tuple[Sections, Statuses]:
    """(sections, statuses) of one ckpool; RigError when it is down or unreadable."""
    limits = cast(Limits, {k: v for k, v in limits.items() if k in ("connect_timeout", "timeout")})
    pings = dict(zip(SOCKETS, await asyncio.gather(*(_ping(rig.path, s, limits) for s in SOCKETS))))
    if isinstance(pings["listener"], RigError):
        raise pings["listener"]
    statuses = {}
    alive = {}
    for name, result in pings.items():
        alive[name] = "up" if result == "up" else "down"
        if result != "up":
            statuses[name] = {"STATUS": "E", "Msg": result.message}

    async def optional(sock, text):
        """A reply from a socket that answered ping; a warning instead of an error."""
        if alive[sock] != "up":
            return None
        try:
            return await ask(rig.path, sock, text, **limits)
        except RigError as exc:
            statuses[text] = {"STATUS": "W", "Msg": f"{sock} {text}: {exc.message}"}
            return None

    stats, best, (pool, users, notes) = await asyncio.gather(
        optional("stratifier", "stats"), optional("generator", "getbest"), asyncio.to_thread(read_logs, rig.logdir))
    try:
        stats = json.loads(check_nesting(stats or "null"), parse_int=fastjson.rig_int)
    except BadReplyError as exc:
        statuses["stats"] = {"STATUS": "W", "Msg": f"stratifier stats: {exc.message}"}
        stats = None
    except ValueError:
        statuses["stats"] = {"STATUS": "W", "Msg": "stratifier stats: not JSON"}
        stats = None
    stats = stats if isinstance(stats, dict) else None
    best = best[:80] if best else None
    if notes:
        statuses["files"] = {"STATUS": "I", "Msg": "; ".join(notes)[:1000]}
    now = int(time.time())
    statuses["summary"] = {"STATUS": "S", "When": now, "Code": None, "Msg": "ckpool"}
    return to_sections(pool, users, alive, stats, best, now), statuses


# ---------------------------------------------------------------- control

# What the listener answers when a command worked (shared/PROTOCOLS.md 1.3).
EXPECTED = {"accept": ("accepting", "ckpool accepts new miner connections."),
            "reject": ("rejecting", "ckpool refuses new miner connections."),
            "reconnect": ("reconnecting", "ckpool told every miner to reconnect."),
            "resetshares": ("resetting", "ckpool zeroed the shares and best shares."),
            "restart": ("restarting", "ckpool is restarting (handover to a new process)."),
            "shutdown": ("exiting", "ckpool is shutting down."),
            "loglevel": ("success", "Log level set.")}


async def command(rig: Rig, name: str, values: dict[str, Any], **limits: Unpack[Limits]) -> Outcome:
    """One listener command; (letter, message)."""
    limits = cast(Limits, {k: v for k, v in limits.items() if k in ("connect_timeout", "timeout")})
    if name not in EXPECTED:
        return "E", f"{name} is not a ckpool command"
    text = f"loglevel={int(values['level'])}" if name == "loglevel" else name
    reply = await ask(rig.path, "listener", text, **limits)
    if reply is None:
        return "E", "ckpool closed the connection without answering"
    want, message = EXPECTED[name]
    if reply == want:
        return "S", message
    if name == "loglevel" and reply in ("Invalid", "Failed"):
        return "E", f"ckpool refused the log level ({reply}); it takes 0 to 7"
    return "E", f"ckpool answered {reply[:100]!r}"


CANNOT_CURTAIL = ("a ckpool is a pool server, not a miner: it draws no mining power. Curtail the miners that "
                  "mine on it.")
