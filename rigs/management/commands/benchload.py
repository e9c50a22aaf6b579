"""Load the running panel as people do: WebSocket viewers and page requests, over loopback.

Three processes: the simulated rigs (simulate_rigs --register), the panel (serve, the poller
inside, as `make run`) and this one, the load generator. Everything lives in a throw-away
directory; the counts and the duration are bounded. Prints page times (p50/p95/max), the
pushes the viewers received and every error.
"""

import asyncio
import base64
import os
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from minerpanel.devkit.bench import cpu_seconds, free_base, wait_listening

HOST = "127.0.0.1"  # loopback only
MAX_BODY = 32 * 1024 * 1024
PASSWORD = "bench-load-password-1"


async def http(port, method, path, headers=(), body=b"", timeout=30.0):
    """One HTTP/1.0 request; returns (status, {header: value}, body, seconds)."""
    started = time.perf_counter()

    async def go():
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            head = [f"{method} {path} HTTP/1.0", f"Host: {HOST}:{port}", f"Content-Length: {len(body)}", *headers]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
            raw = await reader.read(MAX_BODY)
            while chunk := await reader.read(MAX_BODY):
                raw += chunk
                if len(raw) > MAX_BODY:
                    raise ValueError("reply larger than 32 MB")
        finally:
            writer.close()
        top, _, content = raw.partition(b"\r\n\r\n")
        lines = top.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        found = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            found.setdefault(name.strip().lower(), []).append(value.strip())
        return status, found, content

    status, found, content = await asyncio.wait_for(go(), timeout)
    return status, found, content, time.perf_counter() - started


def listening(port, proc, timeout=180):
    """Whether ``port`` listens before ``proc`` exits or the time is up."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        try:
            socket.create_connection((HOST, port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.3)
    proc.kill()
    proc.wait()
    return False


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def cookies(found):
    return {c.split("=", 1)[0]: c.split("=", 1)[1].split(";", 1)[0] for c in found.get("set-cookie", [])}


async def login(port, username):
    status, found, content, _ = await http(port, "GET", "/login/")
    csrf = cookies(found)["csrftoken"]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1).decode()
    body = urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}).encode()
    status, found, _, _ = await http(port, "POST", "/login/", [f"Cookie: csrftoken={csrf}",
                                                               "Content-Type: application/x-www-form-urlencoded"], body)
    session = cookies(found).get("sessionid")
    if status != 302 or not session:
        raise CommandError(f"could not log in to the panel (HTTP {status})")
    return f"sessionid={session}; csrftoken={csrf}"


async def handshake(port, path, cookie):
    reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 10)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://{HOST}:{port}\r\n"
                  f"Cookie: {cookie}\r\n\r\n").encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        writer.close()
        raise ConnectionRefusedError(head.split(b"\r\n", 1)[0].decode("latin-1"))
    return reader, writer


async def viewer(port, path, cookie, stats, stop, delay):
    """A WebSocket viewer (connecting after ``delay``, three tries): counts pushes, answers pings."""
    await asyncio.sleep(delay)
    for attempt in range(3):
        try:
            reader, writer = await handshake(port, path, cookie)
            break
        except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
            stats["retries"][f"websocket handshake: {type(exc).__name__}"] += 1
            await asyncio.sleep(1 + attempt)
    else:
        stats["errors"]["websocket: no handshake in three tries"] += 1
        return
    try:
        stats["connected"] += 1
        while not stop.is_set():
            try:
                b1, b2 = await asyncio.wait_for(reader.readexactly(2), 1.0)
            except TimeoutError:
                continue
            size = b2 & 0x7F
            if size == 126:
                size = struct.unpack(">H", await reader.readexactly(2))[0]
            elif size == 127:
                size = struct.unpack(">Q", await reader.readexactly(8))[0]
            if size > MAX_BODY:
                stats["errors"]["push larger than 32 MB"] += 1
                return
            payload = await reader.readexactly(size)
            opcode = b1 & 0x0F
            if opcode == 9:  # ping: a client's frames are masked
                writer.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
            elif opcode == 8:
                code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
                stats["errors"][f"socket closed by the panel ({code})"] += 1
                return
            elif b1 & 0x80 and opcode in (0, 1, 2):
                stats["pushes"] += 1
        writer.close()
    except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
        stats["errors"][f"websocket: {type(exc).__name__}"] += 1


async def requester(port, paths, cookie, pause, stats, stop, offset):
    i = offset
    while not stop.is_set():
        path, extra = paths[i % len(paths)]
        i += 1
        try:
            status, _, content, took = await http(port, "GET", path, [f"Cookie: {cookie}", *extra])
            if status != 200:
                stats["errors"][f"HTTP {status} {path}"] += 1
            else:
                stats["times"].append(took)
                stats["by_page"].setdefault(path + (" (htmx)" if extra else ""), []).append(took * 1000)
                stats["bytes"] += len(content)
        except (TimeoutError, OSError, ValueError) as exc:
            stats["errors"][f"{path}: {type(exc).__name__}"] += 1
        await asyncio.sleep(pause)


def cpu_of(pid):
    """CPU seconds a process used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def children_of(pid):
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def pct(values, q):
    return sorted(values)[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


class Command(BaseCommand):
    help = ("Serve N simulated rigs and the panel in their own processes, then hold V WebSocket viewers and "
            "R page requesters against it for S seconds (loopback only). Prints p50/p95/max page time, pushes "
            "delivered and errors.")

    def add_arguments(self, parser):
        parser.add_argument("--rigs", type=int, default=1000)
        parser.add_argument("--viewers", type=int, default=100)
        parser.add_argument("--requesters", type=int, default=10, help="clients loading pages one after another")
        parser.add_argument("--pause", type=float, default=5.0,
                            help="seconds a requester waits between pages (5: a browser polling at the shortest "
                                 "refresh the panel offers)")
        parser.add_argument("--seconds", type=float, default=30.0)
        parser.add_argument("--poll-interval", type=float, default=10.0)
        parser.add_argument("--profile", metavar="FILE", help="run the panel under cProfile, its stats written to FILE")

    def handle(self, *args, **opts):
        bounds = {"rigs": (1, 5000), "viewers": (0, 500), "requesters": (0, 50), "seconds": (5, 300),
                  "pause": (0.0, 60.0), "poll_interval": (1.0, 60.0)}
        for name, (lo, hi) in bounds.items():
            if not lo <= opts[name] <= hi:
                raise CommandError(f"--{name.replace('_', '-')} must be between {lo} and {hi}")
        from rigs.management.commands.simulate_rigs import raise_file_limit

        raise_file_limit(opts["viewers"] + 1024)
        tmp = tempfile.mkdtemp(prefix="benchload-")
        own = ("DATABASE_URL", "REDIS_URL", "SQLITE_PATH", "SECRET_KEY")
        env = {k: v for k, v in os.environ.items() if k not in own}
        env.update(MINERPANEL_VAR=tmp, DEMO_RIGS="false", POLL_INTERVAL=str(opts["poll_interval"]), LOG_LEVEL="WARNING",
                   DJANGO_SETTINGS_MODULE="minerpanel.settings", HTTPS="false", READONLY="false")
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        children = []
        try:
            for attempt in range(5):
                for old in Path(tmp).glob("minerpanel.sqlite3*"):  # a failed attempt's registrations
                    old.unlink()
                subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True)
                subprocess.run([*manage, "createuser", "bench", "--tier", "usr", "--password", PASSWORD], env=env,
                               check=True, stdout=subprocess.DEVNULL)
                # a port in the range may be taken by someone else: another range
                base = free_base(opts["rigs"]) + attempt * 1000
                self.stdout.write(f"registering and serving {opts['rigs']:,} simulated rigs on {HOST}:{base}+ ...")
                sim = subprocess.Popen([*manage, "simulate_rigs", "--count", str(opts["rigs"]), "--base-port",
                                        str(base),
                                        "--register"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                       start_new_session=True)
                if listening(base + opts["rigs"] - 1, sim):
                    children.append(sim)
                    break
            else:
                raise CommandError("the simulated rigs could not start (no free port range?)")
            port = free_port()
            profile = ["-m", "cProfile", "-o", os.path.abspath(opts["profile"])] if opts["profile"] else []
            children.append(subprocess.Popen([manage[0], *profile, *manage[1:], "serve", "--port", str(port)], env=env,
                                             stdout=subprocess.DEVNULL, start_new_session=True))
            wait_listening(port, timeout=60)
            warm = opts["poll_interval"] + 3
            self.stdout.write(f"panel on {HOST}:{port}; waiting {warm:.0f} s for a first poll round ...")
            time.sleep(warm)
            sim, panel = children
            pollers = children_of(panel.pid)  # serve's poller process
            before = (cpu_of(sim.pid), cpu_of(panel.pid), sum(map(cpu_of, pollers)), cpu_seconds(), os.getloadavg()[0])
            stats = asyncio.run(self.load(port, opts))
            stats["cpu"] = (cpu_of(sim.pid) - before[0], cpu_of(panel.pid) - before[1],
                            sum(map(cpu_of, pollers)) - before[2], cpu_seconds() - before[3], before[4],
                            os.getloadavg()[0])
        finally:
            for child in children:
                child.send_signal(signal.SIGINT)
            for child in children:
                try:
                    child.wait(15)
                except subprocess.TimeoutExpired:
                    child.kill()
            shutil.rmtree(tmp, ignore_errors=True)
        self.report(stats, opts)

    async def load(self, port, opts):
        cookie = await login(port, "bench")
        stats = {"times": [], "by_page": {}, "bytes": 0, "pushes": 0, "connected": 0, "errors": Counter(),
                 "retries": Counter()}
        stop = asyncio.Event()
        sockets = ["/ws/live/summary/", "/ws/live/summary/", "/ws/live/page/mobile/", "/ws/live/rig/1/"]
        paths = [("/", []), ("/pages/mobile/", []), ("/", ["HX-Request: true"]), ("/rigs/2/", []),
                 ("/pages/pools/", [])]
        stats["first"] = {}
        for path, extra in paths:  # the first view of a page after start builds it: shown apart
            stats["first"][path + (" (htmx)" if extra else "")] = (await http(port, "GET", path,
                                                                              [f"Cookie: {cookie}", *extra]))[3] * 1000
        ramp = min(10.0, opts["seconds"] / 3)  # viewers arrive over the first seconds, as people do
        tasks = [asyncio.ensure_future(viewer(port, sockets[i % len(sockets)], cookie, stats, stop,
                                              ramp * i / max(opts["viewers"], 1))) for i in range(opts["viewers"])]
        tasks += [asyncio.ensure_future(requester(port, paths, cookie, opts["pause"], stats, stop, i))
                  for i in range(opts["requesters"])]
        await asyncio.sleep(opts["seconds"])
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 60)
        return stats

    def report(self, stats, opts):
        times = [t * 1000 for t in stats["times"]]
        minutes = opts["seconds"] / 60
        self.stdout.write(f"\n{opts['rigs']:,} rigs, {opts['viewers']} WebSocket viewers, {opts['requesters']} "
                          f"requesters (a page every {opts['pause']:g} s each), {opts['seconds']:g} s:")
        self.stdout.write(f"  pages: {len(times):,} loaded, {stats['bytes'] / 2**20:,.0f} MB; "
                          f"p50 {pct(times, 0.5):,.0f} ms, p95 {pct(times, 0.95):,.0f} ms, "
                          f"max {max(times, default=0):,.0f} ms"
                          + (f", mean {statistics.fmean(times):,.0f} ms" if times else ""))
        self.stdout.write("  first views after start (not counted): " + ", ".join(
            f"{path} {ms:,.0f} ms" for path, ms in stats["first"].items()))
        for path, values in sorted(stats["by_page"].items()):
            self.stdout.write(f"    {path:<22} {len(values):>5,}  p50 {pct(values, 0.5):>6,.0f} ms  "
                              f"p95 {pct(values, 0.95):>6,.0f} ms")
        per = stats["pushes"] / max(stats["connected"], 1) / minutes
        self.stdout.write(f"  pushes: {stats['pushes']:,} delivered to {stats['connected']} connected viewers "
                          f"({per:,.1f} per viewer per minute)")
        for what, n in stats["retries"].most_common():
            self.stdout.write(f"  retried: {n} x {what}")
        rigs, panel, poll, generator, load0, load1 = stats["cpu"]
        self.stdout.write(f"  CPU during the load: panel {panel:.1f} s, its poller {poll:.1f} s, "
                          f"simulated rigs {rigs:.1f} s, load generator "
                          f"{generator:.1f} s, of {os.cpu_count()} cores x {opts['seconds']:g} s; "
                          f"load average {load0:.1f} before, {load1:.1f} after")
        errors = sum(stats["errors"].values())
        self.stdout.write(f"  errors: {errors}"
                          + "".join(f"\n    {n} x {what}" for what, n in stats["errors"].most_common()))
