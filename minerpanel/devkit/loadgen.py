"""The load generator of `benchload` and `benchscale`: page requests and WebSocket viewers over
loopback, spread round robin over the ports of one or several web processes, and what is read of
those processes from /proc (CPU seconds, peak RSS). Every count, size and wait is bounded.
"""

import asyncio
import base64
import itertools
import os
import re
import signal
import socket
import struct
import subprocess
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from django.core.management.base import CommandError

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


def cookies(found):
    return {c.split("=", 1)[0]: c.split("=", 1)[1].split(";", 1)[0] for c in found.get("set-cookie", [])}


async def login(port, username, password=PASSWORD):
    """A session cookie (sessions live in the database: it is good on every web process)."""
    status, found, content, _ = await http(port, "GET", "/login/")
    csrf = cookies(found)["csrftoken"]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1).decode()
    body = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token}).encode()
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


class Load:
    """One run's clients and what they saw. Page views are kept as (phase, port, page, ms)."""

    def __init__(self, ports, cookie):
        self.ports, self.cookie = ports, cookie
        self.turn = itertools.count()  # round robin over the ports, shared by every requester
        self.phase, self.pause = "steady", 5.0
        self.wake, self.stop = asyncio.Event(), asyncio.Event()
        self.views, self.bytes, self.pushes, self.connected = [], 0, Counter(), 0
        self.errors, self.retries = Counter(), Counter()

    def next_port(self):
        return self.ports[next(self.turn) % len(self.ports)]

    async def viewer(self, port, path, delay):
        """A WebSocket viewer (connecting after ``delay``, three tries): counts pushes, answers pings."""
        await asyncio.sleep(delay)
        for attempt in range(3):
            try:
                reader, writer = await handshake(port, path, self.cookie)
                break
            except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
                self.retries[f"websocket handshake: {type(exc).__name__}"] += 1
                await asyncio.sleep(1 + attempt)
        else:
            self.errors["websocket: no handshake in three tries"] += 1
            return
        try:
            self.connected += 1
            while not self.stop.is_set():
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
                    self.errors["push larger than 32 MB"] += 1
                    return
                payload = await reader.readexactly(size)
                opcode = b1 & 0x0F
                if opcode == 9:  # ping: a client's frames are masked
                    writer.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
                elif opcode == 8:
                    code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
                    self.errors[f"socket closed by the panel ({code})"] += 1
                    return
                elif b1 & 0x80 and opcode in (0, 1, 2):
                    self.pushes[port] += 1
            writer.close()
        except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
            self.errors[f"websocket: {type(exc).__name__}"] += 1

    async def requester(self, paths, offset):
        """Loads ``paths`` ((path, extra headers)) in turn, each on the next port, resting ``self.pause``
        between them (cut short when the phase changes)."""
        i = offset
        while not self.stop.is_set():
            path, extra = paths[i % len(paths)]
            i += 1
            port, phase = self.next_port(), self.phase
            try:
                status, _, content, took = await http(port, "GET", path, [f"Cookie: {self.cookie}", *extra])
                if status != 200:
                    self.errors[f"HTTP {status} {path}"] += 1
                else:
                    self.views.append((phase, port, path + (" (htmx)" if extra else ""), took * 1000))
                    self.bytes += len(content)
            except (TimeoutError, OSError, ValueError) as exc:
                self.errors[f"{path}: {type(exc).__name__}"] += 1
            if self.pause > 0:
                try:
                    await asyncio.wait_for(self.wake.wait(), self.pause)
                except TimeoutError:
                    pass

    def enter(self, phase, pause):
        """The requesters switch to ``phase``, resting ``pause`` seconds between pages from now on."""
        self.phase, self.pause = phase, pause
        self.wake.set()
        self.wake = asyncio.Event()

    def times(self, phase=None, port=None, page=None):
        return [ms for ph, po, pa, ms in self.views
                if phase in (None, ph) and port in (None, po) and page in (None, pa)]


def pct(values, q):
    return sorted(values)[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def spread(values):
    """'p50 X ms, p95 Y ms, max Z ms' of a list of milliseconds."""
    return (f"p50 {pct(values, 0.5):,.0f} ms, p95 {pct(values, 0.95):,.0f} ms, "
            f"max {max(values, default=float('nan')):,.0f} ms")


# ---------------------------------------------------------------- the processes


def listening(port, proc, timeout=180):
    """Whether ``port`` listens before ``proc`` exits or the time is up (else ``proc`` is killed)."""
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


def peak_rss_mb(pid):
    """A process's peak resident memory so far (VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return float("nan")


def start_web(manage, env, count, log_dir, profile=None):
    """``count`` web processes (`serve --no-poller`, as docs/deploy.md runs them) on free loopback ports;
    returns [(port, Popen)] once every one listens. Their output goes to a log each in ``log_dir``; with
    ``profile`` (a file), the first runs under cProfile, its stats written there when it stops."""
    started = []
    for i in range(count):
        port = free_port()
        log = open(os.path.join(log_dir, f"web{i}.log"), "w")
        python = [manage[0], "-m", "cProfile", "-o", profile] if profile and i == 0 else manage[:1]
        proc = subprocess.Popen([*python, *manage[1:], "serve", "--no-poller", "--host", HOST, "--port", str(port)],
                                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        started.append((port, proc))
    for port, proc in started:
        if not listening(port, proc, timeout=120):
            raise CommandError(f"a web process did not listen on {HOST}:{port} (exit {proc.returncode})")
    return started


def logged_errors(log_dir, limit=8):
    """The distinct ERROR lines (and the last line of each traceback) the processes' logs in ``log_dir`` hold."""
    found = []
    for log in sorted(Path(log_dir).glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()
        for i, line in enumerate(lines):
            last = i + 1 == len(lines) or not lines[i + 1].startswith((" ", "Traceback"))
            if " ERROR " in line or (last and i and lines[i - 1].startswith("  ") and "Error" in line):
                text = f"{log.name}: {line.strip()[:300]}"
                if text not in found:
                    found.append(text)
    return found[:limit]


def stop_all(procs, grace=15):
    """SIGINT each process (serve and pollrigs end cleanly on it), then wait; SIGKILL after ``grace``."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    for proc in procs:
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
