"""A fake ckpool, after shared/PROTOCOLS.md sections 1 and 6.1.

Four Unix stream sockets (listener, stratifier, connector, generator) in a socket
directory (0750, sockets 0770) plus main.pid; ckpool's framing (4-byte LE length,
one message and at most one reply per connection, 5 s to send it); case-insensitive
prefix matching in ckpool's order; each socket's messages handled one at a time.
The files ckpool writes (logs/pool/pool.status, logs/users/<user>) are rewritten
every ``interval`` seconds by truncate-and-write, as ckpool does.

Faults (``sim.faults``): "half" (files written in two halves with a pause between),
"empty" (files left empty for a moment), "bigrate" (a "1e+03G" hashrate string),
"slow" (every reply delayed by ``delay`` seconds).
"""

import asyncio
import json
import math
import os
import struct
import time

from . import DemoRig, Served, Simulation
from .ckpool_numbers import real3, suffix_string

READ_TIMEOUT = 5.0
MAX_LEN = 0x80000000


class Worker:
    def __init__(self, name, rate, idle=False):
        self.name, self.rate, self.idle = name, rate, idle


class CkpoolSim:
    def __init__(self, sockdir, logdir, users=None, interval=60.0, clock=time.time, seed=0):
        self.sockdir, self.logdir, self.interval, self.clock = sockdir, logdir, interval, clock
        self.started = clock()
        self.seed = seed
        self.users = users if users is not None else {
            "bc1qdemoaddress0": [Worker("bc1qdemoaddress0.rig1", 13.5e12), Worker("bc1qdemoaddress0.rig2", 110e12)],
            "alice": [Worker("alice.s19", 95e12), Worker("alice_bitaxe", 1.2e12), Worker("alice.old", 0, idle=True)],
        }
        self.loglevel = 5
        self.accepting = True
        self.events = []  # reconnects, resets, restarts: what the pool was told
        self.reset_at = self.started
        self.phantoms = set()  # users created by getuser=/getworker=
        self.faults = set()
        self.delay = 0.0
        self.block = "00000000000000000001" + "a3f" * 14 + "b0"
        self.servers = {}
        self.locks = {}
        self._writer = None
        self.down = False

    # ------------------------------------------------------------ model

    def worker_rate(self, w, window):
        if w.idle or w.rate == 0:
            return 0.0
        wobble = 1 + 0.04 * math.sin(self.clock() / (7 + window) + len(w.name))
        return w.rate * wobble

    def worker_shares(self, w):
        """Difficulty-weighted shares since the last reset: diff-1 shares = H / 2^32."""
        if w.idle:
            return 0
        return int(w.rate * max(0.0, self.clock() - self.reset_at) / 2**32)

    def lastshare(self, w):
        now = int(self.clock())
        return now - 8 * 86400 if w.idle else now - (int(self.clock()) % 7)

    def best(self, w):
        return 0.0 if w.idle else round(self.worker_shares(w) * 0.37 + 1234.5, 2)

    def all_workers(self):
        return [w for ws in self.users.values() for w in ws]

    def pool_status(self):
        now = self.clock()
        ws = self.all_workers()
        total = sum(self.worker_rate(w, 0) for w in ws)
        acc = sum(self.worker_shares(w) for w in ws)
        rates = {k: suffix_string(total) for k in
                 ("hashrate1m", "hashrate5m", "hashrate15m", "hashrate1hr", "hashrate6hr", "hashrate1d", "hashrate7d")}
        if "bigrate" in self.faults:
            rates["hashrate1m"] = "1e+03G"
        sps = sum(0.2 for w in ws if not w.idle)
        lines = [
            {"runtime": int(now - self.started), "lastupdate": int(now), "Users": len(self.users) + len(self.phantoms),
             "Workers": len(ws), "Idle": sum(1 for w in ws if w.idle), "Disconnected": 0},
            rates,
            {"diff": round(acc / 1.1e14 * 100, 2), "accepted": acc, "rejected": acc // 500,
             "bestshare": max((self.best(w) for w in ws), default=0), "SPS1m": sps, "SPS5m": sps, "SPS15m": sps,
             "SPS1h": sps},
        ]
        out = []
        for obj in lines:
            parts = []
            for k, v in obj.items():
                val = real3(v) if isinstance(v, float) else json.dumps(v)
                parts.append(f"{json.dumps(k)}: {val}")
            out.append("{" + ", ".join(parts) + "}")
        return "\n".join(out) + "\n"

    def user_file(self, name, workers):
        def rates(items, rate):
            return {k: suffix_string(rate) for k in items}

        keys = ("hashrate1m", "hashrate5m", "hashrate1hr", "hashrate1d", "hashrate7d")
        live = [w for w in workers if self.clock() - self.lastshare(w) <= 600_000]
        obj = {**rates(keys, sum(self.worker_rate(w, 0) for w in workers)),
               "lastshare": max((self.lastshare(w) for w in workers), default=0), "workers": len(workers),
               "shares": sum(self.worker_shares(w) for w in workers),
               "bestshare": max((self.best(w) for w in workers), default=0.0),
               "bestever": int(max((self.best(w) for w in workers), default=0)) + 10,
               "authorised": int(self.started), "worker": []}
        for w in live:
            obj["worker"].append({"workername": w.name, **rates(keys, self.worker_rate(w, 0)),
                                  "lastshare": self.lastshare(w), "shares": self.worker_shares(w),
                                  "bestshare": self.best(w), "bestever": int(self.best(w)) + 10})
        return json.dumps(obj, indent=1) + "\n"

    # ------------------------------------------------------------ files

    async def write_files(self):
        os.makedirs(os.path.join(self.logdir, "pool"), mode=0o750, exist_ok=True)
        os.makedirs(os.path.join(self.logdir, "users"), mode=0o750, exist_ok=True)
        files = [(os.path.join(self.logdir, "pool", "pool.status"), self.pool_status())]
        files += [(os.path.join(self.logdir, "users", name),
                   self.user_file(name, ws)) for name, ws in self.users.items()]
        for path, text in files:
            with open(path, "w") as f:  # truncate and rewrite in place, not atomic: as ckpool does
                if "empty" in self.faults:
                    f.flush()
                    await asyncio.sleep(0.2)
                if "half" in self.faults:
                    f.write(text[: len(text) // 2])
                    f.flush()
                    await asyncio.sleep(0.1)
                    f.write(text[len(text) // 2:])
                else:
                    f.write(text)

    async def _rewrite_forever(self):
        while True:
            try:
                await self.write_files()
            except OSError:
                pass
            await asyncio.sleep(self.interval)

    # ------------------------------------------------------------ commands

    def handle(self, sock, msg):
        """The reply text for one message, or None to close without a reply."""
        low = msg.lower()

        def match(cmd):
            return low.startswith(cmd)

        if sock == "listener":
            if msg.startswith("{"):
                return "hang"
            if match("ping"):
                return "pong"
            if match("shutdown"):
                return "exiting"
            if match("loglevel"):
                try:
                    n = int(msg[9:].strip().split()[0])
                except (ValueError, IndexError):
                    return "Failed"
                if not 0 <= n <= 7:
                    return "Invalid"
                self.loglevel = n
                return "success"
            if match("accept"):
                self.accepting = True
                return "accepting"
            if match("reject"):
                self.accepting = False
                return "rejecting"
            if match("reconnect"):
                self.events.append(("reconnect", msg[10:]))
                return "reconnecting"
            if match("restart"):
                self.events.append(("restart", ""))
                return "restarting"
            if match("stratifierstats"):
                return self.stratifier_stats()
            if match("connectorstats"):
                return self.connector_stats()
            if match("resetshares"):
                self.reset()
                return "resetting"
            return "unknown"
        if match("ping"):
            return "pong"
        if sock == "stratifier":
            if match("stats"):
                return self.stratifier_stats()
            for cmd in ("getuser", "getworker", "userclients", "ucinfo", "workerclients", "wcinfo"):
                if match(cmd):
                    try:
                        arg = json.loads(msg[len(cmd) + 1:])
                        who = str(arg.get("user") or arg.get("worker") or "")
                    except (ValueError, AttributeError):
                        who = ""
                    user = who.split(".")[0].split("_")[0]
                    if user and user not in self.users:
                        self.phantoms.add(user)  # what real ckpool does, and why we never send these
                    return None
            if match("resetshares"):
                self.reset()
            return None
        if sock == "connector":
            if match("stats"):
                return self.connector_stats()
            if match("accept"):
                self.accepting = True
            elif match("reject"):
                self.accepting = False
            return None
        if sock == "generator":
            if match("getbest") or match("getlast"):
                return self.block
            return None
        return None

    def reset(self):
        self.reset_at = self.clock()
        self.events.append(("resetshares", ""))

    def stratifier_stats(self):
        n = len(self.all_workers())
        users = len(self.users) + len(self.phantoms)
        obj = {"workbases": {"count": 2, "memory": 5392, "generated": 2}, "remote_workbases": {"count": 0, "memory": 0},
               "users": {"count": users, "memory": 1360 * users},
               "clients": {"count": n, "memory": 632 * n, "generated": n}}
        for k in ("disconnected", "shares", "transactions", "ssends", "srecvs", "stxnq"):
            obj[k] = {"count": 0, "memory": 0, "generated": 0}
        return json.dumps(obj)  # jansson without JSON_COMPACT: ", " and ": "

    def connector_stats(self):
        n = len(self.all_workers())
        return json.dumps({k: {"count": n if k == "clients" else 0, "memory": 0, "generated": n}
                           for k in ("clients", "dead", "sends", "delays")})

    # ------------------------------------------------------------ sockets

    async def _serve_conn(self, sock, reader, writer):
        try:
            try:
                async with asyncio.timeout(READ_TIMEOUT):
                    header = await reader.readexactly(4)
                    (size,) = struct.unpack("<I", header)
                    if size == 0 or size > MAX_LEN:
                        raise ValueError
                    body = await reader.readexactly(size)
            except (asyncio.IncompleteReadError, TimeoutError, ValueError):
                if sock == "listener":
                    await self._reply(writer, "failed")
                return
            async with self.locks[sock]:  # one message at a time per socket, as ckpool's queues
                if self.delay:
                    await asyncio.sleep(self.delay)
                reply = self.handle(sock, body.decode("utf-8", errors="replace"))
                if reply is not None and reply != "hang":
                    await self._reply(writer, reply)
            if reply == "hang":  # JSON to the listener: never answered, the connection is leaked
                await asyncio.sleep(3600)
            if sock == "listener" and reply == "exiting":
                asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self.shutdown()))
            elif sock == "listener" and reply == "restarting":
                asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self.restart()))
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _reply(self, writer, text):
        data = text.encode()
        writer.write(struct.pack("<I", len(data)) + data)
        await writer.drain()

    async def start(self, write_files=True):
        os.makedirs(self.sockdir, mode=0o750, exist_ok=True)
        await self._listen()
        with open(os.path.join(self.sockdir, "main.pid"), "w") as f:
            f.write(f"{os.getpid()}\n")
        if write_files:
            await self.write_files()
            self._writer = asyncio.ensure_future(self._rewrite_forever())
        return self

    async def _listen(self):
        for sock in ("listener", "stratifier", "connector", "generator"):
            path = os.path.join(self.sockdir, sock)
            if os.path.exists(path):
                os.unlink(path)
            self.locks[sock] = asyncio.Lock()
            self.servers[sock] = await asyncio.start_unix_server(
                lambda r, w, s=sock: self._serve_conn(s, r, w), path)
            os.chmod(path, 0o770)
        self.down = False

    async def _close_servers(self):
        for server in self.servers.values():
            server.close()
        self.servers = {}
        self.down = True

    async def shutdown(self):
        """Stop everything; the socket files stay behind (connect -> ECONNREFUSED), main.pid goes."""
        if self._writer:
            self._writer.cancel()
            self._writer = None
        await self._close_servers()
        for sock in ("listener", "stratifier", "connector", "generator"):
            _leave_stale_socket(os.path.join(self.sockdir, sock))
        try:
            os.unlink(os.path.join(self.sockdir, "main.pid"))
        except FileNotFoundError:
            pass

    async def restart(self, pause=1.0):
        """Reply, then refuse connections briefly while the new process takes over."""
        await self._close_servers()
        for sock in ("listener", "stratifier", "connector", "generator"):
            _leave_stale_socket(os.path.join(self.sockdir, sock))
        await asyncio.sleep(pause)
        await self._listen()


def _leave_stale_socket(path):
    """asyncio removes nothing on close, but make sure a bound, unlistened socket file is there."""
    import socket

    if os.path.exists(path):
        return
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.bind(path)
    finally:
        s.close()


# ---------------------------------------------------------------- the demo and simulate_rigs


def demo():
    # its port is only its address's (the panel reads its sockets and files)
    return [DemoRig("ckpool", dict(kind="ckpool", host="localhost",
                                   description="simulated ckpool (solo pool, 2 users)"),
                    folders={"path": "ckpool", "logdir": "logs"})]


async def serve_demo(rigs, host, folder):
    (_, where), = rigs
    sim = CkpoolSim(where["path"], where["logdir"], interval=15)
    served = Served([sim.shutdown])
    try:
        await sim.start()
    except OSError:
        await sim.shutdown()
        raise
    return served


def simulate(opts, bench):
    if not opts["ckpool"]:
        return []
    root = os.path.abspath(opts["ckpool"])
    sim = CkpoolSim(os.path.join(root, "ckpool"), os.path.join(root, "logs"), interval=opts["ckpool_interval"])
    sim.faults = set(opts["ckpool_fault"])
    sim.delay = 3.0 if "slow" in sim.faults else 0.0
    done = bench.register(name="ckpool", kind="ckpool", host="localhost", path=sim.sockdir, logdir=sim.logdir)
    bench.write(f"ckpool sockets in {sim.sockdir}, files in {sim.logdir} {done}")

    async def start():
        await sim.start()

    return [start]


SIMULATION = Simulation(
    "ckpool", demo=demo, serve_demo=serve_demo, simulate=simulate, options=(
        (("--ckpool",), dict(metavar="DIR", help="also a ckpool: sockets in DIR/ckpool, files in DIR/logs")),
        (("--ckpool-interval",), dict(type=float, default=60.0, help="seconds between file rewrites")),
        (("--ckpool-fault",), dict(action="append", choices=("half", "empty", "bigrate", "slow"), default=[])),
    ))
