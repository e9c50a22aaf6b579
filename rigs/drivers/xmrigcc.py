"""The XMRigCC server driver: one rig of kind "xmrigcc-server" is a whole fleet.

Polls GET /admin/getClientStatusList with HTTP Basic auth (shared/PROTOCOLS.md
section 2). Every client becomes a row of CLIENTS (and of DEVS, for the summary
page); a client whose last report is older than OFFLINE_AFTER is offline.

Commands are stored by the server and delivered in the reply to the miner's next
report: START and STOP are sticky, every other command is delivered once and the
slot then reverts to START (so a one-shot command ends a STOP). EXECUTE runs a
shell script on the miner: the panel offers it only behind its own permission.

Secrets (current_pool_pass, tokens and passwords in configs) never leave this
module unredacted: not in snapshots, pages, the audit log or logs.
"""

import base64
import json
import re
from typing import Any, Unpack
from urllib.parse import quote

from . import curtailing, fastjson, http
from .described import CLIENT, RESUME, SECRET, Command, Curtailing, Param
from .described import CURTAIL as CURTAIL_COMMAND
from .errors import BadReplyError, RigError
from .interface import Limits, Outcome, Rig, Sections, Statuses

KIND = "xmrigcc-server"
LABEL = "XMRigCC server (a fleet of XMRigCC miners)"
FIELDS = ("host", "port", "username", "token")
FLEET_SECTION, FLEET_UNIT = "CLIENTS", "clients"  # the fleet alert counts its clients alive
PAGE_SECTIONS = ("CLIENTS",)  # its section custom pages may name, and how it joins
PAGE_JOINS = {("SUMMARY", "CLIENTS"): "all"}
# the built-in custom page of its kind (custompages/builtin.py), in a page's exported form
CUSTOM_PAGES = ({
    "name": "XMRigCC", "slug": "xmrigcc", "order": 40, "public": False,
    "sections": [
        {"section": "DATE"},
        {"section": "CLIENTS", "title": "XMRigCC miners",
         "fields": "Client\nStatus\nMHS 10s\nMHS 1m\nMHS 15m\nAccepted\nRejected\nPool\nAlgorithm\nVersion\n"
                   "Elapsed\nCPU\nGPUs",
         "totals": "MHS 10s\nMHS 1m\nMHS 15m\nAccepted\nRejected"},
    ],
},)
CLIENT_ACTIONS = ("ccstart", "ccstop", "ccrestart", "ccshutdown")  # quick actions on each client's row
XMRIGCC_COMMANDS = [  # (XMRigCC word, label, dangerous, help, extra params, permission)
    ("START", "Start", False, "Sticky: the miner mines until STOP.", (), ""),
    ("STOP", "Stop", False, "Sticky: the miner stays paused until START.", (), ""),
    ("RESTART", "Restart", True, "Once: the miner restarts (its uptime resets).", (), ""),
    ("SHUTDOWN", "Shut down", True, "Once: the miner exits and shows offline.", (), ""),
    ("REBOOT", "Reboot machine", True, "Once: the miner runs its reboot command.", (), ""),
    ("UPDATE_CONFIG", "Send config", False, "Once: the miner fetches its config from the server.", (), ""),
    ("PUBLISH_CONFIG", "Fetch config", False, "Once: the miner uploads its config to the server.", (), ""),
    ("UPDATE", "Update miner", True, "Once: the miner downloads the server's update and restarts.", (), ""),
    ("EXECUTE", "Run script", True, "Once: runs a shell script on the miner's machine.",
     (Param("script", "script", "Shell script"),), "rigs.execute_scripts"),
    ("REMOVE", "Remove from list", True, "Forgets the client until it reports again.", (), ""),
]
# Commands for one client, stored by the server and delivered at the miner's next report.
COMMANDS = tuple(Command(f"cc{word.lower().replace('_', '')}", label, "client", (CLIENT, *extra), dangerous=dangerous,
                         help=help_, permission=perm)
                 for word, label, dangerous, help_, extra, perm in XMRIGCC_COMMANDS) + (CURTAIL_COMMAND, RESUME)
CURTAIL = Curtailing(
    sleep="stores STOP for every client the server lists (sticky: each miner pauses at its next report, 10 s by "
          "default); Resume stores START for each.",
    reads_back="the clients' status (`PAUSED` / `RUNNING`) at the polls after their next report: curtailed when "
               "none runs.")


def check(rig: Rig) -> dict[str, str]:
    if not (rig.username and rig.token):
        return {"username": "The XMRigCC server's admin user and password (its API has no anonymous access)."}
    return {}

OFFLINE_AFTER = 60  # seconds, as XMRigCC's own dashboard
MAX_LIST = 8 * 1024 * 1024
SECRET_KEY = re.compile(r"pass|token|secret|password|api[-_]?key", re.IGNORECASE)

ABOUT = ("An XMRigCC server knows its miners only from their reports (every 10 s by default); it forgets them when "
         "it restarts. A client is shown offline when its last report is over a minute old. START and STOP stay in "
         "force until changed; every other command is delivered once at the miner's next report, after which the "
         "miner runs (START) again. Pool passwords and tokens are never shown.")


def basic(rig):
    return "Basic " + base64.b64encode(f"{rig.username}:{rig.token}".encode()).decode()


STATUS_HELP = {401: "the XMRigCC server refused the user or password (config_cc.json user/pass)",
               403: "the XMRigCC server has no admin user and password configured "
                    "(set user and pass in config_cc.json)"}


async def call(rig, method, path, body=None, cap=http.MAX_REPLY, **limits):
    """(status, body bytes); RigError for auth failures and server errors."""
    status, raw = await http.call(rig.host, rig.port, method, path, basic(rig), body, cap=cap, **limits)
    if status in STATUS_HELP:
        raise RigError(f"HTTP {status}: {STATUS_HELP[status]}")
    return status, raw


def client_path(endpoint, client_id):
    return f"/admin/{endpoint}?clientId={quote(client_id, safe='')}"


# ---------------------------------------------------------------- poll


def _num(value, default=0):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def _mhs(value):
    return round(_num(value) / 1e6, 8)


def state_of(cs, now):
    last = _num(cs.get("last_status_update"))
    if now - last > OFFLINE_AFTER:
        return "OFFLINE"
    return "RUNNING" if cs.get("current_status") == "RUNNING" else "PAUSED"


def client_row(cs, now):
    """One client_status as a CLIENTS row; the pool password is left out."""
    gpus: list[Any] = [g.get("gpu_info") for g in cs.get("gpu_info_list") or [] if isinstance(g, dict)]
    gpus = [g for g in gpus if isinstance(g, dict)]
    good, total = _num(cs.get("shares_good")), _num(cs.get("shares_total"))
    return {
        "Client": str(cs.get("client_id", "")), "Status": state_of(cs, now),
        "Last Report": _num(cs.get("last_status_update"), None),
        "MHS 10s": _mhs(cs.get("hashrate_short")), "MHS 1m": _mhs(cs.get("hashrate_medium")),
        "MHS 15m": _mhs(cs.get("hashrate_long")), "MHS highest": _mhs(cs.get("hashrate_highest")),
        "Accepted": good, "Rejected": max(0, total - good), "Avg Share Seconds": _num(cs.get("avg_time")),
        "Pool": str(cs.get("current_pool", "")), "Pool User": str(cs.get("current_pool_user", "")),
        "Rig ID": str(cs.get("current_pool_rig_id", "")), "Algorithm": str(cs.get("current_algo_name", "")),
        "Version": str(cs.get("version", "")), "Elapsed": _num(cs.get("uptime")) // 1000,
        "CPU": str(cs.get("cpu_brand", "")), "CPU Cores": _num(cs.get("cpu_cores")),
        "CPU Threads": _num(cs.get("cpu_threads")), "Threads": _num(cs.get("current_threads")),
        "Huge Pages": ("on" if cs.get("hugepages_enabled")
                       else "available" if cs.get("hugepages_available") else "off"),
        "Free Memory": _num(cs.get("free_memory")), "Total Memory": _num(cs.get("total_memory")),
        "GPUs": ", ".join(str(g.get("name", "?")) for g in gpus), "External IP": str(cs.get("external_ip", "")),
    }


def device_label(record):
    """A client's name, alone: it is the client's id (no device number beside it)."""
    return str(record.get("Name", "device"))[:40]


def to_sections(data):
    if not isinstance(data, dict) or not isinstance(data.get("client_status_list"), list):
        raise BadReplyError("getClientStatusList did not return a client_status_list")
    now = _num(data.get("current_server_time"))
    rows = []
    for entry in data["client_status_list"]:
        cs = entry.get("client_status") if isinstance(entry, dict) else None
        if isinstance(cs, dict):
            rows.append(client_row(cs, now))
    devs = [{"Name": r["Client"], "ID": i, "Enabled": "Y",
             "Status": {"RUNNING": "Alive", "PAUSED": "Paused", "OFFLINE": "Offline"}[r["Status"]],
             "MHS av": r["MHS 15m"] or r["MHS 1m"], "MHS 10s": r["MHS 10s"],
             "Accepted": r["Accepted"], "Rejected": r["Rejected"]} for i, r in enumerate(rows)]
    count = {s: sum(1 for r in rows if r["Status"] == s) for s in ("RUNNING", "PAUSED", "OFFLINE")}
    live = [r for r in rows if r["Status"] != "OFFLINE"]
    summary = {"Clients": len(rows), "Running": count["RUNNING"], "Paused": count["PAUSED"],
               "Offline": count["OFFLINE"],
               "MHS 10s": round(sum(r["MHS 10s"] for r in live), 8), "MHS 1m": round(sum(r["MHS 1m"] for r in live), 8),
               "MHS 15m": round(sum(r["MHS 15m"] for r in live), 8),
               "MHS av": round(sum(r["MHS 15m"] or r["MHS 1m"] for r in live), 8),
               "Accepted": sum(r["Accepted"] for r in rows), "Rejected": sum(r["Rejected"] for r in rows)}
    version = {"Miner": f"XMRigCC server {str(data.get('current_version', '?'))[:20]}", "API": "admin"}
    return {"SUMMARY": [summary], "CLIENTS": rows, "DEVS": devs, "VERSION": [version]}, now


def algorithm(sections):
    """The algorithm most of the online clients mine."""
    names = [str(c.get("Algorithm")) for c in sections.get("CLIENTS") or []
             if isinstance(c, dict) and c.get("Algorithm") and c.get("Status") != "OFFLINE"]
    return max(set(names), key=names.count) if names else ""


async def poll(rig: Rig, **limits: Unpack[Limits]) -> tuple[Sections, Statuses]:
    limits.pop("max_reply", None)  # a fleet's list is bigger than one rig's reply: ~1.1 KB per client
    status, raw = await call(rig, "GET", "/admin/getClientStatusList", cap=MAX_LIST, **limits)
    if status != 200:
        raise RigError(f"HTTP {status} from the XMRigCC server")
    sections, now = to_sections(http.json_body(raw))
    return sections, {"summary": {"STATUS": "S", "When": now, "Code": None, "Msg": "XMRigCC client list"}}


# ---------------------------------------------------------------- commands

ONE_SHOT = {"RESTART", "SHUTDOWN", "REBOOT", "UPDATE_CONFIG", "PUBLISH_CONFIG", "UPDATE", "EXECUTE"}
WORDS = {"ccstart": "START", "ccstop": "STOP", "ccrestart": "RESTART", "ccshutdown": "SHUTDOWN", "ccreboot": "REBOOT",
         "ccupdateconfig": "UPDATE_CONFIG", "ccpublishconfig": "PUBLISH_CONFIG", "ccupdate": "UPDATE",
         "ccexecute": "EXECUTE"}


async def current_command(rig, client_id, **limits):
    status, raw = await call(rig, "GET", client_path("getClientCommand", client_id), **limits)
    data = http.json_body(raw) if status == 200 else None
    cmd = (data or {}).get("control_command") if isinstance(data, dict) else None
    return str(cmd.get("command", "")) if isinstance(cmd, dict) else ""


async def command(rig: Rig, name: str, values: dict[str, Any], **limits: Unpack[Limits]) -> Outcome:
    """(letter, message) for one client command (curtail and resume: every client)."""
    if name == "curtail":
        return await curtail(rig, values.get("how") or "", values.get("value"), **limits)
    if name == "resume":
        return await resume(rig, **limits)
    client_id = values["client"]
    if name == "ccremove":
        status, _ = await call(rig, "POST", client_path("removeClientStatus", client_id), **limits)
        return ("S", f"{client_id} removed from the server's list (it returns at its next report).") if status == 200 \
            else ("E", f"HTTP {status} from the XMRigCC server")
    word = WORDS.get(name)
    if word is None:
        return "E", f"{name} is not an XMRigCC command"
    note = ""
    if word in ONE_SHOT and await current_command(rig, client_id, **limits) == "STOP":
        note = " It replaces the standing STOP: after it the miner mines again; send Stop again to keep it paused."
    body = {"control_command": {"command": word, "payload": values.get("script") or ""}}
    status, _ = await call(rig, "POST", client_path("setClientCommand", client_id), body, **limits)
    if status != 200:
        return "E", f"HTTP {status} from the XMRigCC server"
    if word in ONE_SHOT:
        return "S", f"{word} queued for {client_id}: delivered once, at its next report.{note}"
    return "S", f"{word} stored for {client_id}: it takes effect at the miner's next report and stays until changed."


async def every_client(rig, name, **limits):
    """Send a client command to every client the server lists: (letter, message)."""
    sections, _ = await poll(rig, **limits)
    clients = [str(c["Client"]) for c in sections.get("CLIENTS") or [] if c.get("Client")]
    if not clients:
        return "W", "The XMRigCC server lists no client: nothing to send."
    failed = []
    for client_id in clients:
        letter, message = (await command(rig, name, {"client": client_id}, **limits))[:2]
        if letter != "S":
            failed.append(f"{client_id}: {message}")
    word = WORDS[name]
    if failed:
        stored = len(clients) - len(failed)
        return "E", f"{word} stored for {stored} of {len(clients)} clients; " + "; ".join(failed)[:400]
    return "S", f"{word} stored for {len(clients)} client(s): each takes it at its next report."


async def curtail(rig: Rig, how: str, value: str | None = None, **limits: Unpack[Limits]) -> Outcome:
    curtailing.check(LABEL, CURTAIL, how, value)
    return await every_client(rig, "ccstop", **limits)


async def resume(rig: Rig, **limits: Unpack[Limits]) -> Outcome:
    return await every_client(rig, "ccstart", **limits)


def curtailed(sections: Sections, how: str | None = None, value: str | None = None) -> bool | None:
    summary = curtailing.summary(sections)
    running, paused = summary.get("Running"), summary.get("Paused")
    if running is None or not (running or paused):
        return None  # no client online: the server cannot say
    return not running


# ---------------------------------------------------------------- config, log, templates


def redact(value):
    """A copy of a config with every password and token replaced by SECRET."""
    if isinstance(value, dict):
        return {k: (SECRET if SECRET_KEY.search(str(k)) and isinstance(v, str) and v else redact(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def unredact(new, old):
    """Put back the secrets the user left as SECRET, from the config they were hidden from."""
    if isinstance(new, dict):
        old = old if isinstance(old, dict) else {}
        return {k: (old[k] if v == SECRET and k in old else unredact(v, old.get(k))) for k, v in new.items()}
    if isinstance(new, list):
        old = old if isinstance(old, list) else []
        return [unredact(v, old[i] if i < len(old) else None) for i, v in enumerate(new)]
    return new


async def get_config(rig, client_id, **limits):
    """A client's config as the server serves it (unredacted: callers redact), or RigError."""
    status, raw = await call(rig, "GET", client_path("getClientConfig", client_id), **limits)
    if status == 500:
        raise RigError("the server has no config for this client (and no default_miner_config.json)")
    if status != 200:
        raise RigError(f"HTTP {status} from the XMRigCC server")
    data = http.json_body(raw)
    if not isinstance(data, dict):
        raise BadReplyError("the config is not a JSON object")
    return data


def parse_config(text):
    """The edited config text -> an object, or ValueError with where it went wrong."""
    def no_constant(word):
        raise ValueError(f"{word} is not a number JSON allows")

    def whole(digits):  # what the user typed goes to the miner as typed, or is refused: never null
        if fastjson.rig_int(digits) is None:
            raise ValueError(f"{digits[:20]}... is too long a number")
        return int(digits)

    try:
        data = json.loads(text, parse_constant=no_constant, parse_int=whole)
    except ValueError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise ValueError("not valid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise ValueError("a config is a JSON object { ... }")
    return data


async def set_config(rig, client_id, config, **limits):
    """Write a client's config; the secrets left as SECRET are restored from the current one."""
    if client_id == "default_miner":
        raise RigError("the server protects default_miner's config")
    try:
        current = await get_config(rig, client_id, **limits)
    except RigError:
        current = {}
    body = json.dumps(unredact(config, current)).encode()
    status, _ = await call(rig, "POST", client_path("setClientConfig", client_id), body, **limits)
    if status != 200:
        raise RigError(f"HTTP {status}: the server did not save the config")


async def get_log(rig, client_id, **limits):
    status, raw = await call(rig, "GET", client_path("getClientLog", client_id), **limits)
    if status != 200:
        raise RigError(f"HTTP {status} from the XMRigCC server")
    data = http.json_body(raw)  # an unknown client: 200 with an empty body
    return str((data or {}).get("client_log", "")) if isinstance(data, dict) else ""


async def templates(rig, **limits):
    status, raw = await call(rig, "GET", "/admin/getClientConfigTemplates", **limits)
    data = http.json_body(raw) if status == 200 else None
    names = (data or {}).get("templates") if isinstance(data, dict) else None
    return [str(n) for n in names] if isinstance(names, list) else []


async def detect(host: str, port: int, **limits: Unpack[Limits]) -> str | None:
    """An XMRigCC server asks for Basic auth on /admin/ with an empty 401 (or 403 + HTML when it has no admin)."""
    try:
        status, raw = await http.call(host, port, "GET", "/admin/getClientStatusList", **limits)
    except RigError:
        return None
    if (status == 401 and not raw.strip()) or (status == 403 and b"admin user and pass" in raw):
        return "XMRigCC server (needs its admin user and password)"
    if status == 200:
        try:
            body = http.json_body(raw)
        except RigError:
            return None
        if isinstance(body, dict) and "client_status_list" in body:
            return "XMRigCC server"
    return None
