"""The demo of `make run` starts anywhere: on ports its own simulators hold, outside the ephemeral
range by default, moving when its ports are taken or DEMO_BASE_PORT changes."""

import errno
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.conf import settings

from rigs import demo
from rigs.models import Rig
from tests.conftest import sqlite_env

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs Linux's /proc to see who listens")


def test_candidates_start_at_the_base_and_avoid_the_ephemeral_range():
    bases = demo.candidate_bases(24280, (32768, 60999))
    assert bases[0] == 24280 and len(bases) == demo.TRIES and len(set(bases)) == len(bases)
    assert all(b + demo.BLOCK <= 32768 or b > 60999 for b in bases)
    assert demo.candidate_bases(40280, (32768, 60999))[:2] == [40280, 61000]  # an explicit base is tried first
    everything = demo.candidate_bases(2000, (1024, 65535))  # no port outside: blocks inside, still
    assert everything[:3] == [2000, 2020, 2040]


def test_the_default_base_is_outside_the_ephemeral_range():
    low, high = demo.ephemeral_range()
    assert low >= settings.DEMO_BASE_PORT + demo.BLOCK or high < settings.DEMO_BASE_PORT


def occupy(base):
    """Listeners on every port of the block (a port already taken by someone else is taken too)."""
    held = []
    for port in range(base, base + demo.BLOCK):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            s.listen()
            s.setblocking(False)
            held.append(s)
        except OSError as exc:
            s.close()
            assert exc.errno == errno.EADDRINUSE
    return held


def free_block(start):
    for base in range(start, 32000, demo.BLOCK):
        held = occupy(base)
        for s in held:
            s.close()
        if len(held) == demo.BLOCK:
            return base
    pytest.skip("no free block of ports")


def socket_inodes(pid):
    out = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            out.add(link[8:-1])
    return out


def listeners(pid):
    """{port} of the TCP listeners and {path} of the Unix sockets the process holds."""
    mine = socket_inodes(pid)
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in list(f)[1:]:
                cols = line.split()
                if cols[3] == "0A" and cols[9] in mine:
                    ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    with open("/proc/net/unix") as f:
        paths = {cols[7] for cols in (line.split() for line in list(f)[1:]) if len(cols) > 7 and cols[6] in mine}
    return ports, paths


def serve(var, **env):
    """`serve` until its demo is up: (process, the base it printed)."""
    env = {**sqlite_env(), "MINERPANEL_VAR": var, "DJANGO_SETTINGS_MODULE": "minerpanel.settings", **env}
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    proc = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "serve", "--no-poller", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.startswith("Demo: "):
            return proc, int(line.split(f"{demo.HOST}:")[1].split("–")[0])
    proc.kill()
    raise AssertionError("no demo: " + proc.stderr.read()[-3000:])


def demo_rigs(var):
    with sqlite3.connect(os.path.join(var, "minerpanel.sqlite3")) as db:
        return {name: (pk, port, web_port, path, enabled) for name, pk, port, web_port, path, enabled in db.execute(
            "SELECT name, id, port, web_port, path, enabled FROM rigs_rig WHERE simulated")}


def assert_held(proc, base, rigs):
    ports, paths = listeners(proc.pid)
    assert len(rigs) == 13
    for name, (_pk, port, web_port, path, enabled) in rigs.items():
        assert enabled, name
        if name == "ckpool":
            assert path.startswith(demo.demo_dir(base)) and os.path.join(path, "stratifier") in paths
            continue
        assert base <= port < base + demo.BLOCK and port in ports, (name, port)
        if web_port:
            assert web_port in ports, (name, web_port)


def stop(proc):
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_the_demo_starts_elsewhere_when_its_ports_are_taken_and_moves_with_DEMO_BASE_PORT():
    var = tempfile.mkdtemp(prefix="minerpanel-demo-test-")
    env = {**sqlite_env(), "MINERPANEL_VAR": var, "DJANGO_SETTINGS_MODULE": "minerpanel.settings"}
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"], env=env, check=True)
    blockers = occupy(settings.DEMO_BASE_PORT)
    try:
        proc, base = serve(var)
        try:
            assert base != settings.DEMO_BASE_PORT
            rigs = demo_rigs(var)
            assert_held(proc, base, rigs)
            for s in blockers:  # nothing of the panel's knocked on the other program's ports
                with pytest.raises(BlockingIOError):
                    s.accept()
        finally:
            stop(proc)
    finally:
        for s in blockers:
            s.close()

    other = free_block(base + 5 * demo.BLOCK + 7)  # overlapping blocks are no trouble either
    proc, moved = serve(var, DEMO_BASE_PORT=str(other))
    try:
        assert moved == other
        after = demo_rigs(var)
        assert {name: row[0] for name, row in after.items()} == {name: row[0] for name, row in rigs.items()}  # moved
        assert_held(proc, other, after)
        assert after["sim03"][1] == other + 3 and after["s19pro"][1:3] == (other + 11, other + 12)
    finally:
        stop(proc)
        for folder in (var, demo.demo_dir(base), demo.demo_dir(other)):
            shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.django_db
def test_a_block_where_one_of_your_rigs_is_registered_is_skipped():
    sims = demo.plan()
    assert not demo.used_by_others(sims, 26000)
    Rig.objects.create(name="mine", host="127.0.0.1", port=26000 + 12)  # the Antminer's web port
    assert demo.used_by_others(sims, 26000) and not demo.used_by_others(sims, 26020)
    Rig.objects.create(name="demo", host="127.0.0.1", port=26020, simulated=True)  # a demo rig is moved, not avoided
    assert not demo.used_by_others(sims, 26020)
