"""What the ASIC firmware simulators share: the 4028 socket (one request, one reply ended by a NUL,
then close, or kept open when asked: the client must stop at the terminator, quirk Q1), the faults
tests give them, and a machine's slowly drifting figures. Each family's replies, auth and state
changes are in its own module (antminer.py, whatsminer.py, ...)."""

import asyncio
import json
import math
import random
import secrets
import time

from rigs import drivers

from . import Served, Simulation, closing
from . import http as sim_http

FAULTS = ("refuse", "hang", "garbage", "keepopen", "denied")


def dumps(obj):
    """Compact JSON, as the firmwares send it."""
    return json.dumps(obj, separators=(",", ":"))


def status(letter, code, msg, description="", when=None):
    return {"STATUS": letter, "When": int(when or time.time()), "Code": code, "Msg": msg, "Description": description}


class Machine:
    """A mining machine's figures: hashboards whose rates wobble, counters that grow with time."""

    def __init__(self, index=0, seed=1, boards=3, rate_ghs=36_600.0, clock=time.time, uptime=None):
        self.index, self.clock = index, clock
        self.rnd = random.Random(f"{seed}-{index}-{type(self).__name__}")
        self.rates = [rate_ghs * self.rnd.uniform(0.97, 1.03) for _ in range(boards)]
        self.temps = [self.rnd.uniform(58, 66) for _ in range(boards)]
        self.started = clock() - (uptime if uptime is not None else self.rnd.uniform(3600, 400_000))
        self.sleeping = False
        self.fault = None
        self.led = False

    @property
    def elapsed(self):
        return max(0, int(self.clock() - self.started))

    def board_ghs(self, i):
        if self.sleeping:
            return 0.0
        return self.rates[i] * (1 + 0.01 * math.sin(self.clock() / 7 + i))

    def total_ghs(self):
        return sum(self.board_ghs(i) for i in range(len(self.rates)))

    def accepted(self):
        return 0 if self.sleeping and self.elapsed < 60 else int(self.elapsed * len(self.rates) / 9)

    def restart(self):
        self.started = self.clock()


class RpcConnection(asyncio.Protocol):
    """One connection on 4028: the first request is answered by ``sim.rpc(bytes) -> bytes | None``."""

    def __init__(self, sim):
        self.sim, self.transport, self.answered = sim, None, False

    def connection_made(self, transport):
        self.transport = transport
        if self.sim.fault == "denied":
            transport.close()  # outside the allowed addresses: accepted, then nothing

    def data_received(self, data):
        if self.answered or self.sim.fault == "hang":
            return
        self.answered = True
        if self.sim.fault == "garbage":
            self.transport.write(bytes(random.Random(len(data)).randrange(1, 256) for _ in range(200)) + b"\0")
            self.transport.close()
            return
        reply = self.sim.rpc(data[:8191])
        if reply is None:
            self.transport.close()
            return
        if self.sim.fault == "keepopen":  # end with a newline and keep the socket open (Q1)
            self.transport.write(reply.rstrip(b"\0") + b"\n")
            return
        self.transport.write(reply)
        self.transport.close()


async def serve_rpc(sim, host, port):
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: RpcConnection(sim), host, port, reuse_address=True)


async def serve_web(respond, host, port):
    return await sim_http.serve(respond, host, port)


def http_reply(status_code, body=None, headers=()):
    """(bytes, keep open=False) of an HTTP reply with a JSON (or bytes) body."""
    reasons = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
               405: "Method Not Allowed", 429: "Too Many Requests"}
    data = body if isinstance(body, bytes) else (b"" if body is None else dumps(body).encode())
    head = [f"HTTP/1.1 {status_code} {reasons.get(status_code, 'Error')}", "Connection: close",
            f"Content-Length: {len(data)}", *headers]
    if data and not isinstance(body, bytes):
        head.append("Content-Type: application/json")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data, False


# ---------------------------------------------------------------- simulate_rigs and the demo


def family(label, option, prefix, kind, make, serve, web, user, what, help, demo=None, serve_demo=None):
    """The Simulation of one ASIC family: ``--OPTION N`` serves N of ``make`` (rigs PREFIX00...) from the next
    ports of simulate_rigs' block, one each, or two with a ``web`` interface (RPC, then web), with the
    password all the ASIC simulators share (none for a kind whose driver takes none); the demo's rigs if given."""

    def simulate(opts, bench):
        password = bench.shared.setdefault("asic_password", opts["asic_password"] or secrets.token_urlsafe(9))
        secret = password if drivers.needs_secret(kind) else ""  # LuxOS, Avalon: none
        starts = []
        for i in range(opts[option]):
            sim = make(index=i, seed=opts["seed"], **({"password": secret} if secret else {}))
            port = bench.take(2 if web else 1)
            ports = (port, port + 1) if web else (port,)

            async def start(sim=sim, ports=ports):
                await serve(sim, bench.host, *ports)

            starts.append(start)
            bench.register(name=f"{prefix}{i:02d}", kind=kind, host=bench.host, port=port,
                           web_port=port + 1 if web else None, username=user, token=secret)
            second = f", second port {port + 1}" if web else ""
            bench.write(f"{prefix}{i:02d} {bench.host}:{port} {what}{second}")
        if starts and not opts["asic_password"]:
            bench.note(f"ASIC simulators' web/API password: {password}")
        return starts

    return Simulation(label, demo=demo, serve_demo=serve_demo, simulate=simulate, options=(
        ((f"--{option}",), dict(type=int, default=0, metavar="N", help=help)),
        (("--asic-password",), dict(default="",
                                    help="the ASIC simulators' web/API password (else generated and printed)")),
    ))


def serving(make, serve):
    """The demo's serve_demo of one rig of a family: ``make(password=its token)`` on its port(s)."""

    async def serve_demo(rigs, host, folder):
        (_, where), = rigs
        ports = [where[name] for name in ("port", "web_port") if where.get(name)]
        return Served([closing(s) for s in await serve(make(password=where["token"]), host, *ports)])

    return serve_demo
