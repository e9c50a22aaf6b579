"""What the benchmarks share: free loopback ports, waiting for a server to listen, and CPU seconds
(this process's, a process tree's from /proc)."""

import os
import resource
import socket
import time

from rigs.drivers.cgminer import POLL_COMMANDS, stored
from rigs.drivers.cgminer.protocol import parse_reply


def free_base(count):
    """A base port with ``count`` free ports above it."""
    # below the ephemeral range (32768+), where our own client sockets live
    for base in range(10000, 32000 - count, 997):
        try:
            socks = []
            for p in (base, base + count - 1):
                s = socket.socket()
                s.bind(("127.0.0.1", p))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port range")


def wait_listening(port, timeout=60, host="127.0.0.1"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection((host, port), 0.2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"simulator not listening on {host}:{port}")


TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu(root):
    """CPU seconds of a process and its living descendants (a server and its backends), with the
    children each of them has reaped (a backend whose connection closed)."""
    parent, cpu = {}, {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(pid)] = int(fields[1])
        cpu[int(pid)] = sum(int(x) for x in fields[11:15]) / TICK
    total, todo = 0.0, [root]
    children = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo.extend(children.get(pid, []))
    return total


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def snapshot_of(sim):
    command = "+".join(POLL_COMMANDS)
    return stored(parse_reply(sim.handle(f'{{"command":"{command}"}}'.encode()), command))


def peak_reset():
    """Start this process's peak RSS (VmHWM) anew from what it holds now (Linux: /proc/self/clear_refs);
    False where that cannot be done (then peak_mb() is the process's peak since it started)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False

