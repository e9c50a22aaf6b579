"""A fake xmrig HTTP API (v6), after shared/PROTOCOLS.md sections 3 and 6.3.

The auth pipeline in xmrig's order (OPTIONS 200, favicon 404, 405, 401/403,
restricted 403, 415), /1/summary, /2/summary, /api.json, /2/backends, /1|2/config,
POST /json_rpc (pause, resume, stop; JSON-RPC errors are HTTP 200), 404 otherwise.
Hashrate windows are null until 10 s / 60 s / 15 min of samples exist.
"""

import json
import math
import time

from . import DemoRig, Served, Simulation, closing
from . import http as sim_http

REASONS = {200: "OK", 204: "NO_CONTENT", 400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN",
           404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 415: "UNSUPPORTED_MEDIA_TYPE"}


class XmrigSim:
    def __init__(self, index=0, token=None, restricted=True, clock=time.time, uptime=3600.0, rate=1850.0):
        self.index, self.token, self.restricted, self.clock = index, token, restricted, clock
        self.started = clock() - uptime
        self.rate = rate  # H/s
        self.paused = False
        self.stopped = False
        self.config = {"http": {"enabled": True, "access-token": token, "restricted": restricted},
                       "pools": [{"url": "pool.example.org:3333", "user": "wallet", "pass": "x"}]}

    def hashrate(self):
        up = self.clock() - self.started
        cur = 0.0 if self.paused or self.stopped else self.rate * (1 + 0.03 * math.sin(self.clock() / 11))
        windows = [cur if up >= w else None for w in (10, 60, 900)]
        return [None if h is None else math.floor(h * 100) / 100 for h in windows]

    def summary(self, v2=True):
        up = int(self.clock() - self.started)
        good = int(up * self.rate / 300_000) if not (self.paused or self.stopped) else int(up * self.rate / 400_000)
        total = good + good // 50
        rates = self.hashrate()
        out = {
            "id": f"sim{self.index:04x}", "worker_id": f"xmrig{self.index:02d}", "uptime": up,
            "restricted": self.restricted,
            "resources": {"memory": {"free": 8 << 30, "total": 16 << 30, "resident_set_memory": 2 << 30},
                          "load_average": [1.9, 1.8, 1.7], "hardware_concurrency": 8},
            "features": ["api", "asm", "http", "hwloc", "tls"],
            "results": {"diff_current": 120000, "shares_good": good, "shares_total": total, "avg_time": 30,
                        "avg_time_ms": 30000, "hashes_total": int(up * self.rate),
                        "best": [900000 + self.index, 500000, 400000, 0, 0, 0, 0, 0, 0, 0]},
            "algo": "rx/0",
            "connection": {"pool": "pool.example.org:3333", "ip": "192.0.2.10", "uptime": up, "uptime_ms": up * 1000,
                           "ping": 42, "failures": 0, "tls": None, "tls-fingerprint": None, "algo": "rx/0",
                           "diff": 120000, "accepted": good, "rejected": total - good, "avg_time": 30,
                           "avg_time_ms": 30000, "hashes_total": int(up * self.rate)},
            "version": "6.26.0", "kind": "miner", "ua": "XMRig/6.26.0 (Linux x86_64) libuv/1.48.0 gcc/13.2.0",
            "cpu": {"brand": "AMD Ryzen 7 5800X", "cores": 8, "threads": 16, "backend": "hwloc/2.10.0"},
            "donate_level": 1, "paused": self.paused, "algorithms": ["rx/0", "cn/r"],
            "hashrate": {"total": rates, "highest": round(self.rate * 1.05, 2)},
            "hugepages": [1168, 1168] if v2 else True,
        }
        if not v2:
            out["hashrate"]["threads"] = [rates] * 8
            out["results"]["error_log"] = []
            out["connection"]["error_log"] = []
        return out

    def backends(self):
        return [{"type": "cpu", "enabled": True, "algo": "rx/0", "profile": "rx", "hw-aes": True, "priority": -1,
                 "msr": True, "asm": "ryzen", "argon2-impl": "AVX2", "hugepages": [1168, 1168], "memory": 2 << 30,
                 "hashrate": self.hashrate(), "threads": [{"intensity": 1, "affinity": i, "av": 1,
                                                           "hashrate": self.hashrate()} for i in range(8)]}]

    def handle(self, method, path, headers, body):
        """(status, JSON or None) for one request, in xmrig's order of checks."""
        if method == "OPTIONS":
            return 200, None
        if method == "GET" and path == "/favicon.ico":
            return 404, {"status": 404, "error": "NOT_FOUND"}
        if method not in ("DELETE", "GET", "HEAD", "POST", "PUT"):
            return 405, {"status": 405, "error": "METHOD_NOT_ALLOWED"}
        auth = headers.get("authorization")
        needs_auth = (not self.restricted) or bool(self.token)
        if auth is None:
            if needs_auth:
                return 401, {"status": 401, "error": "UNAUTHORIZED"}
        elif not self.token:
            return 401, {"status": 401, "error": "UNAUTHORIZED"}
        elif auth != f"Bearer {self.token}":
            return 403, {"status": 403, "error": "FORBIDDEN"}
        if method != "GET":
            if self.restricted:
                return 403, {"status": 403, "error": "FORBIDDEN"}
            if headers.get("content-type") != "application/json":
                return 415, {"status": 415, "error": "UNSUPPORTED_MEDIA_TYPE"}
        if method == "GET" and path in ("/1/summary", "/api.json"):
            return 200, self.summary(v2=False)
        if method == "GET" and path == "/2/summary":
            return 200, self.summary()
        if method == "GET" and path == "/2/backends":
            return 200, self.backends()
        if path in ("/1/config", "/2/config"):
            if self.restricted:
                return 403, {"status": 403, "error": "FORBIDDEN"}
            if method == "GET":
                return 200, self.config
            try:
                new = json.loads(body or b"")
                assert isinstance(new, dict) and new
            except (ValueError, AssertionError):
                return 400, {"status": 400, "error": "BAD_REQUEST"}
            self.config = new
            return 204, None
        if method == "POST" and path == "/json_rpc":
            try:
                req = json.loads(body or b"")
            except ValueError:
                return 200, {"id": None, "jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}}
            rid = req.get("id") if isinstance(req, dict) else None
            name = req.get("method") if isinstance(req, dict) else None
            if not name:
                return 200, {"id": rid, "jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}}
            if name == "pause":
                self.paused = True
            elif name == "resume":
                self.paused = False  # a stop is not undone by resume
            elif name == "stop":
                self.stopped = True
            else:
                return 200, {"id": rid, "jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}}
            return 200, {"result": {"status": "OK"}, "jsonrpc": "2.0", "id": rid}
        return 404, {"status": 404, "error": "NOT_FOUND"}


def render(status, data):
    body = b"" if data is None else json.dumps(data, indent=4).encode()
    head = [f"HTTP/1.1 {status} {REASONS.get(status, 'UNKNOWN')}", "Connection: close",
            "Access-Control-Allow-Origin: *", "Access-Control-Allow-Methods: GET, PUT, POST, DELETE",
            "Access-Control-Allow-Headers: Authorization, Content-Type", f"Content-Length: {len(body)}"]
    if data is not None:
        head.append("Content-Type: application/json")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def serve(sims, host, base_port):
    def responder(sim):
        def respond(method, target, headers, body, peer):
            status, data = sim.handle(method, target, headers, body)
            return render(status, None if method == "HEAD" else data), False  # xmrig closes every connection
        return respond

    return [await sim_http.serve(responder(s), host, base_port + i) for i, s in enumerate(sims)]


# ---------------------------------------------------------------- the demo and simulate_rigs

# The demo xmrig's API token: it lives only on loopback, in the simulator the demo's process starts.
DEMO_TOKEN = "demo-xmrig-token"


def demo():
    return [DemoRig("xmrig00", dict(kind="xmrig", token=DEMO_TOKEN, description="simulated xmrig 6.26.0"))]


async def serve_demo(rigs, host, folder):
    (_, where), = rigs
    servers = await serve([XmrigSim(token=DEMO_TOKEN, restricted=False)], host, where["port"])
    return Served([closing(s) for s in servers])


def simulate(opts, bench):
    if not opts["xmrig"]:
        return []
    token = opts["xmrig_token"] or None
    sims = [XmrigSim(index=i, token=token, restricted=token is None) for i in range(opts["xmrig"])]
    host, base = bench.host, bench.take(len(sims))
    for i in range(len(sims)):
        done = bench.register(name=f"xmrig{i:02d}", kind="xmrig", host=host, port=base + i, token=opts["xmrig_token"])
        bench.write(f"xmrig{i:02d} {host}:{base + i} xmrig 6.26.0 HTTP API {done}")

    async def start():
        await serve(sims, host, base)

    return [start]


SIMULATION = Simulation(
    "xmrig", demo=demo, serve_demo=serve_demo, simulate=simulate, options=(
        (("--xmrig",), dict(type=int, default=0, metavar="N",
                            help="also N xmrig HTTP APIs, on the ports after the cgminer rigs")),
        (("--xmrig-token",), dict(default="", help="their http.access-token (unrestricted when given)")),
    ))
