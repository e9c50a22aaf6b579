"""The private servers of the tests and benchmarks (minerpanel/devkit/engines.py) stop with the process
that started them, even when it is killed with SIGTERM (a `kill`, a CI runner's timeout)."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.waiting import wait_for

HOLDER = """
import sys, time
from minerpanel.devkit import engines
with engines.redis() as server:
    print(server.pid, flush=True)
    time.sleep(60)
"""


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not shutil.which("redis-server") and not os.path.exists("/usr/bin/redis-server"),
                    reason="needs redis-server (`make engines`)")
def test_a_process_killed_with_sigterm_still_stops_its_server_and_removes_its_directory():
    holder = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True)
    pid = None
    try:
        pid = int(holder.stdout.readline())
        server_dir = os.readlink(f"/proc/{pid}/cwd") if os.path.exists(f"/proc/{pid}/cwd") else None
        assert alive(pid)
        time.sleep(0.2)
        holder.send_signal(signal.SIGTERM)
        assert holder.wait(20) == 128 + signal.SIGTERM
        wait_for(lambda: not alive(pid), 10, "the Redis server stopped")
        if server_dir and server_dir.startswith("/tmp"):
            assert not os.path.exists(server_dir)
    finally:
        holder.kill()
        holder.wait()
        if pid and alive(pid):  # the test failed: no server left behind all the same
            os.kill(pid, signal.SIGKILL)


SLOW_CLEANUP = """
import subprocess, time
from minerpanel.devkit import engines
child = subprocess.Popen(["sleep", "60"])
with engines.redis() as server:
    print(server.pid, child.pid, flush=True)
    try:
        time.sleep(60)
    finally:  # as benchscale stopping its pollers and web processes, one after another
        time.sleep(1.0)
        child.kill()
        child.wait()
"""


@pytest.mark.skipif(not shutil.which("redis-server") and not os.path.exists("/usr/bin/redis-server"),
                    reason="needs redis-server (`make engines`)")
def test_a_second_sigterm_does_not_cut_the_cleanup_short():
    """`timeout` passes its SIGTERM on to the command: a benchmark got two, and the second ended its
    cleanup halfway, leaving its pollers and web processes running."""
    holder = subprocess.Popen([sys.executable, "-c", SLOW_CLEANUP], stdout=subprocess.PIPE, text=True)
    pids = []
    try:
        pids = [int(x) for x in holder.stdout.readline().split()]
        time.sleep(0.2)
        holder.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        holder.send_signal(signal.SIGTERM)
        assert holder.wait(20) == 128 + signal.SIGTERM
        wait_for(lambda: not any(alive(p) for p in pids), 10, "the server and the child stopped")
    finally:
        holder.kill()
        holder.wait()
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
