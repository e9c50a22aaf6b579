"""A fake XMRigCC server (v3.4.9) and a fleet of XMRigCC miners reporting to it,
after shared/PROTOCOLS.md sections 2 and 6.2.

Server: HTTP/1.1 with keep-alive, routes matched by prefix, Basic auth for /admin
and / (403 + HTML when no admin user/pass is configured, 401 otherwise), Bearer for
/client (open when no token is configured), CORS and two WWW-Authenticate headers
on every reply, the odd status codes (400/404 for unknown paths, 500 empty for a
missing config, 200 empty for an unknown log, 400 for a POST without
Content-Length), START stored for unknown commands, START/STOP sticky and the
others erased after one delivery, configs written pretty and served compact,
file names sanitised, default_miner protected.

Miners report through the same function the /client/setClientStatus route calls
(in-process, no sockets) and obey what comes back: STOP pauses and the hashrates
fall to 0, RESTART/UPDATE/REBOOT stop reporting for a while and reset the uptime,
SHUTDOWN stops reporting, EXECUTE logs the script between ###START EXECUTE### and
###END EXECUTE### (it is never run).
"""

import asyncio
import base64
import json
import math
import os
import re
import secrets
import time
from urllib.parse import parse_qs, urlsplit

from . import DemoRig, Served, Simulation, closing
from . import http as sim_http

REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           500: "Internal Server Error"}
UNSAFE = re.compile(r'[\\/:?"<>|~;]|[^\x20-\x7e]')
ONE_SHOT = {"UPDATE_CONFIG", "PUBLISH_CONFIG", "RESTART", "SHUTDOWN", "REBOOT", "EXECUTE", "UPDATE"}
KNOWN = ONE_SHOT | {"START", "STOP"}


class Server:
    def __init__(self, folder, user="admin", password="", token="", clock=time.time, log_lines=1000):
        self.folder, self.user, self.password, self.token, self.clock = folder, user, password, token, clock
        self.log_lines = log_lines
        self.status = {}  # clientId -> client_status
        self.commands = {}  # clientId -> {"command", "payload"}
        self.logs = {}  # clientId -> [lines]
        os.makedirs(folder, exist_ok=True)

    # ------------------------------------------------------------ state

    def report(self, client_id, status, peer="127.0.0.1"):
        """What POST /client/setClientStatus does; returns the command to deliver."""
        status = dict(status)
        status["external_ip"] = peer
        status["last_status_update"] = int(self.clock())
        algo = status.get("current_algo_name", "")
        status["current_algo_name"] = algo.replace("randomx", "rx").replace("cryptonight", "cn")
        lines = [ln for ln in str(status.get("log", "")).split("\n") if ln]
        if lines:
            self.logs[client_id] = (self.logs.get(client_id, []) + lines)[-self.log_lines:]
        status["log"] = ""
        self.status[client_id] = status
        cmd = self.commands.setdefault(client_id, {"command": "START", "payload": ""})
        if cmd["command"] in ONE_SHOT:
            del self.commands[client_id]
        return {"control_command": cmd}

    def config_path(self, client_id):
        return os.path.join(self.folder, UNSAFE.sub("_", client_id) + "_config.json")

    # ------------------------------------------------------------ HTTP

    def auth(self, path, headers):
        """None when allowed, else (status, body, content type)."""
        got = headers.get("authorization")
        if path.startswith("/client/"):
            if not self.token:
                return None
            if got is None:
                return 401, b"", ""
            return None if got == f"Bearer {self.token}" else (403, b"", "")
        if not self.user or not self.password:
            return (403, b"<html><body>Please configure admin user and pass to view this Page.</body></html>",
                    "text/html")
        if got is None:
            return 401, b"", ""
        want = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return None if got == want else (401, b"", "")

    def handle(self, method, target, headers, body, peer="127.0.0.1"):
        """(status, body bytes, content type) for one request."""
        parts = urlsplit(target)
        path = parts.path
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if method == "POST" and "content-length" not in headers:
            return 400, b"", ""
        denied = self.auth(path, headers)
        if denied:
            return denied
        if method == "OPTIONS":
            return 200, b"", ""
        if method in ("PUT", "DELETE"):
            return 200, b"", ""
        cid = query.get("clientId")
        if method == "GET":
            return self.get(path, cid)
        if method == "POST":
            return self.post(path, cid, body, peer)
        return 400, b"", ""

    def get(self, path, cid):
        def js(obj):
            return 200, json.dumps(obj, separators=(",", ":")).encode(), "application/json"

        if path == "/":
            return 200, b"<html><body>Please configure a Dashboard</body></html>", "text/html"
        if path.startswith("/admin/getClientStatusList"):
            return js({"current_server_time": int(self.clock()), "current_version": "3.4.9",
                       "client_status_list": [{"client_status": self.status[k]} for k in sorted(self.status)]})
        if path.startswith("/admin/getClientStatistics"):
            return js({"client_statistics": []})
        if path.startswith("/admin/getClientConfigTemplates"):
            names = sorted(f[len("template_"):-len("_config.json")] for f in os.listdir(self.folder)
                           if f.startswith("template_") and f.endswith("_config.json"))
            return js({"templates": names})
        if cid is None:
            return 400, b"", ""
        if path.startswith(("/admin/getClientConfig", "/client/getConfig")):
            for p in (self.config_path(cid), os.path.join(self.folder, "default_miner_config.json")):
                try:
                    with open(p) as f:
                        return js(json.load(f))
                except (OSError, ValueError):
                    continue
            return 500, b"", ""
        if path.startswith("/admin/getClientCommand"):
            return js({"control_command": self.commands.setdefault(cid, {"command": "START", "payload": ""})})
        if path.startswith("/admin/getClientLog"):
            if cid not in self.status:
                return 200, b"", ""
            return js({"client_log": "".join(ln + "\n" for ln in self.logs.get(cid, []))})
        return 404, b"", ""

    def post(self, path, cid, body, peer):
        def parsed():
            try:
                return json.loads(body or b"")
            except ValueError:
                return None

        if path.startswith("/admin/resetClientStatusList"):
            self.status.clear()
            return 200, b"", ""
        if cid is None:
            return 404, b"", ""
        if path.startswith("/client/setClientStatus"):
            data = parsed()
            if not isinstance(data, dict):
                return 400, b"", ""
            reply = self.report(cid, data.get("client_status") or {}, peer)
            return 200, json.dumps(reply).encode(), "application/json"
        if path.startswith(("/admin/setClientConfig", "/client/setClientConfig")):
            data = parsed()
            if data is None or cid == "default_miner":
                return 400, b"", ""
            try:
                with open(self.config_path(cid), "w") as f:
                    json.dump(data, f, indent=4)  # pretty on write, compact on read
            except OSError:
                return 400, b"", ""
            return 200, b"", ""
        if path.startswith("/admin/setClientCommand"):
            data = parsed()
            if data is None:
                return 400, b"", ""
            cmd = data.get("control_command") if isinstance(data, dict) else None
            word = cmd.get("command") if isinstance(cmd, dict) else None
            payload = cmd.get("payload", "") if isinstance(cmd, dict) else ""
            self.commands[cid] = {"command": word if word in KNOWN else "START", "payload": payload or ""}
            return 200, b"", ""
        if path.startswith("/admin/deleteClientConfig"):
            try:
                os.unlink(self.config_path(cid))
                return 200, b"", ""
            except OSError:
                return 404, b"", ""
        if path.startswith("/admin/removeClientStatus"):
            self.status.pop(cid, None)
            return 200, b"", ""
        return 400, b"", ""


def render(status, body, ctype, keep_alive):
    head = [f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}",
            "Access-Control-Allow-Origin: *", "Access-Control-Allow-Methods: POST, GET, OPTIONS",
            "Access-Control-Allow-Headers: Content-Type, Authorization",
            'WWW-Authenticate: Basic realm="XMRigCC Server"', "WWW-Authenticate: Bearer",
            "Keep-Alive: timeout=5, max=5" if keep_alive else "Connection: close", f"Content-Length: {len(body)}"]
    if ctype:
        head.append(f"Content-Type: {ctype}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def serve(server, host, port):
    def respond(method, target, headers, body, peer):
        status, data, ctype = server.handle(method, target, headers, body, peer)
        keep = headers.get("connection", "").lower() != "close"
        return render(status, data, ctype, keep), keep

    return await sim_http.serve(respond, host, port)


# ---------------------------------------------------------------- miners


class Miner:
    """One XMRigCC miner: reports its status and obeys the command in the reply."""

    def __init__(self, server, client_id, rate=2400.0, clock=time.time, index=0, gpus=0, report_as=None,
                 pool="pool.supportxmr.com:443", password="x-fake-pool-pass"):
        self.server, self.client_id, self.rate, self.clock, self.index = server, client_id, rate, clock, index
        self.report_as = report_as or client_id
        self.gpus, self.pool, self.password = gpus, pool, password
        self.started = clock() - 3600 * (index + 1)
        self.paused = False
        self.down_until = 0.0  # restarting: silent until then
        self.gone = False  # shut down: silent for good
        self.pending_log = []
        self.donating = False

    def rates(self):
        if self.paused:
            return 0.0, 0.0, 0.0
        up = self.clock() - self.started
        base = self.rate * (1 + 0.02 * math.sin(self.clock() / 13 + self.index))
        return base, (base if up >= 60 else 0.0), (base if up >= 900 else 0.0)

    def status(self):
        short, medium, long_ = self.rates()
        up = self.clock() - self.started
        good = int(up * self.rate / 120_000)
        out = {
            "current_status": "PAUSED" if self.paused else "RUNNING", "client_id": self.report_as,
            "current_pool": "dev.donate" if self.donating else self.pool,
            "current_pool_user": "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaB"
                                 "YBb98uNbr2VBBEt7f2wfn3RVGQBEP3A",
            "current_pool_pass": self.password, "current_pool_rig_id": "",
            "current_algo_name": "randomx", "current_pow_variant_name": "",
            "cpu_brand": "AMD Ryzen 9 7950X 16-Core Processor", "external_ip": "", "version": "3.4.9",
            "hugepages_available": True, "hugepages_enabled": True, "cpu_is_x64": True, "cpu_has_aes": True,
            "cpu_is_vm": False, "hashrate_short": round(short, 2), "hashrate_medium": round(medium, 2),
            "hashrate_long": round(long_, 2), "hashrate_highest": round(self.rate * 1.04, 2), "hash_factor": 1,
            "total_pages": 1168, "total_hugepages": 1168, "current_threads": 16, "current_ways": 16,
            "cpu_sockets": 1, "cpu_cores": 16, "cpu_threads": 32, "cpu_l2": 16384, "cpu_l3": 65536, "cpu_nodes": 1,
            "max_cpu_usage": 100, "total_memory": 64 << 30, "free_memory": 40 << 30,
            "gpu_info_list": [{"gpu_info": {"name": "NVIDIA GeForce RTX 3070", "type": "cuda", "busId": f"0{i}:00.0",
                                            "device_idx": i, "intensity": 0, "work_size": 0, "threads": 40,
                                            "compute_units": 46, "block": 46, "bfactor": 0, "bsleep": 0,
                                            "clock": 1725, "memory": 7000, "free_mem": 7 << 30}}
                              for i in range(self.gpus)],
            "shares_good": good, "shares_total": good + good // 80, "hashes_total": int(up * self.rate),
            "avg_time": 30, "uptime": int(up * 1000),
            "log": "".join(ln + "\n" for ln in self.pending_log),
        }
        self.pending_log = []
        return out

    def tick(self):
        """Report once, if up, and obey the reply."""
        now = self.clock()
        if self.gone or now < self.down_until:
            return
        reply = self.server.report(self.client_id, self.status())
        self.obey(reply["control_command"])

    def obey(self, cmd):
        word, now = cmd.get("command"), self.clock()
        stamp = time.strftime("[%Y-%m-%d %H:%M:%S]", time.gmtime(now))
        if word == "START" and self.paused:
            self.paused = False
            self.pending_log.append(f"{stamp} resumed")
        elif word == "STOP" and not self.paused:
            self.paused = True
            self.pending_log.append(f"{stamp} paused, press r to resume")
        elif word in ("RESTART", "UPDATE", "REBOOT"):
            self.down_until = now + 5
            self.started = now + 5
            self.paused = False
            self.pending_log.append(f"{stamp} {word.lower()} requested")
        elif word == "SHUTDOWN":
            self.gone = True
        elif word == "EXECUTE":
            self.pending_log += [f"{stamp} ###START EXECUTE###", *str(cmd.get("payload", "")).splitlines()[:50],
                                 f"{stamp} ###END EXECUTE###"]
        elif word == "PUBLISH_CONFIG":
            self.server.handle("POST", f"/client/setClientConfig?clientId={self.client_id}",
                               {"content-length": "1", "authorization": f"Bearer {self.server.token}"},
                               json.dumps(self.config()).encode())
        elif word == "UPDATE_CONFIG":
            status, body, _ = self.server.handle("GET", f"/client/getConfig?clientId={self.client_id}",
                                                 {"authorization": f"Bearer {self.server.token}"}, b"")
            self.pending_log.append(f"{stamp} config updated from the server" if status == 200
                                    else f"{stamp} failed to fetch the config: HTTP {status}")

    def config(self):
        return {"autosave": True, "cpu": {"enabled": True, "huge-pages": True},
                "pools": [{"url": self.pool, "user": "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33", "pass": self.password,
                           "tls": True}],
                "http": {"enabled": False, "access-token": "fake-miner-http-token"},
                "cc-client": {"enabled": True, "url": "127.0.0.1:3344", "access-token": self.server.token or None,
                              "worker-id": self.client_id, "update-interval-s": 10}}


def write_demo_configs(server):
    """A default config and a template in the server's config folder, as an operator would have."""
    base = Miner(server, "default").config()
    for name in ("default_miner_config.json", "template_lowpower_config.json"):
        path = os.path.join(server.folder, name)
        if not os.path.exists(path):
            with open(path, "w") as f:
                json.dump(base, f, indent=4)


def demo_fleet(server, clock=time.time, n=4):
    names = (["farm-a-01", "farm-a-02", "gpu-box", "office&pc"] + [f"rig-{i:04d}" for i in range(4, n)])[:n]
    return [Miner(server, name, rate=2400.0 + 900 * i, clock=clock, index=i, gpus=2 if name == "gpu-box" else 0)
            for i, name in enumerate(names)]


async def run_fleet(miners, interval=10.0):
    """Every miner reports every ``interval`` seconds, until cancelled."""
    while True:
        for m in miners:
            m.tick()
        await asyncio.sleep(interval)


# ---------------------------------------------------------------- the demo and simulate_rigs


def demo():
    return [DemoRig("xmrigcc", dict(kind="xmrigcc-server", username="admin", token=secrets.token_urlsafe(12),
                                    description="simulated XMRigCC server 3.4.9, 4 miners"))]


async def serve_demo(rigs, host, folder):
    """The server, its fleet reported once (the first poll finds its miners), then every 5 s."""
    (_, where), = rigs
    server = Server(os.path.join(folder, "xmrigcc"), user=where["username"], password=where["token"])
    write_demo_configs(server)
    listening = await serve(server, host, where["port"])
    miners = demo_fleet(server)
    for miner in miners:
        miner.tick()
    return Served([closing(listening)], [lambda: run_fleet(miners, interval=5)])


def simulate(opts, bench):
    if not opts["xmrigcc_port"]:
        return []
    host, port = bench.host, opts["xmrigcc_port"]
    password = os.environ.get("XMRIGCC_PASSWORD") or secrets.token_urlsafe(12)
    server = Server(os.path.abspath("var/xmrigcc-sim"), user="admin", password=password)
    write_demo_configs(server)
    miners = demo_fleet(server, n=opts["xmrigcc_miners"])
    done = bench.register(name="xmrigcc", kind="xmrigcc-server", host=host, port=port, username="admin",
                          token=password)
    bench.write(f"XMRigCC server {host}:{port} user admin, password {password}, {len(miners)} miners {done}")

    async def start():
        await serve(server, host, port)
        asyncio.ensure_future(run_fleet(miners, opts["xmrigcc_interval"]))

    return [start]


SIMULATION = Simulation(
    "XMRigCC", demo=demo, serve_demo=serve_demo, simulate=simulate, options=(
        (("--xmrigcc-port",), dict(type=int, help="also an XMRigCC server on this port")),
        (("--xmrigcc-miners",), dict(type=int, default=4)),
        (("--xmrigcc-interval",), dict(type=float, default=10.0, help="seconds between miner reports")),
    ))
