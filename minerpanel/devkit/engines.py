"""Private PostgreSQL and Redis servers on loopback, for the tests and `benchscale`.

Each server lives in a temporary directory, listens on a free 127.0.0.1 port and
is stopped (and its directory removed) on exit. Debian's binaries are used
(packages `postgresql` and `redis-server`, installed by `make engines`).
initdb and postgres refuse to run as root: as root they run as the `postgres` user.

    python -m minerpanel.devkit.engines pytest -q tests/    # the command with DATABASE_URL and REDIS_URL set

With no server (not installed, cannot start) the command still runs, with
ENGINES_UNAVAILABLE saying why, so the tests that need them skip with that reason.
"""

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import NamedTuple


class Server(NamedTuple):
    url: str
    pid: int  # of the process whose tree is the server (benchscale counts its CPU)


class Unavailable(Exception):
    """A server could not be started; the message says why."""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise Unavailable(f"{what} exited with status {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise Unavailable(f"{what} did not listen on 127.0.0.1:{port} within {timeout} s")


def pg_bin(name):
    found = shutil.which(name) if name != "postgres" else None  # /usr/local/bin/postgres may be anything
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    path = candidates[0] if candidates else found
    if not path:
        raise Unavailable(f"PostgreSQL's {name} not found (apt-get install postgresql, or `make engines`)")
    return path


def as_postgres():
    """Command prefix and owner (uid, gid) to run PostgreSQL as: ourselves, or `postgres` when root."""
    if os.geteuid() != 0:
        return [], None
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError:
        raise Unavailable("running as root and there is no `postgres` user to run PostgreSQL as") from None
    return ["runuser", "-u", "postgres", "--"], (pw.pw_uid, pw.pw_gid)


def _terminated(signum, frame):
    signal.signal(signum, signal.SIG_IGN)  # a second one (`timeout` passes its own on) must not cut the cleanup short
    sys.exit(128 + signum)


@contextlib.contextmanager
def stopped_when_killed():
    """While a server runs, SIGTERM (a `kill`, a CI runner's timeout) ends the process by SystemExit, so the
    `finally` below stop the servers and remove their directories; by default it would end the process at
    once and leave PostgreSQL and Redis running. Only from the main thread, and only when nobody else
    handles SIGTERM (nested servers: the outer one set it)."""
    mine = (threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)
    if mine:
        signal.signal(signal.SIGTERM, _terminated)
    try:
        yield
    finally:
        if mine:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextlib.contextmanager
def postgres(durable=False, max_connections=200):
    """A fresh cluster; yields a Server (database `minerpanel`, user `minerpanel`, trust on loopback)."""
    with stopped_when_killed():
        yield from _postgres(durable, max_connections)


def _postgres(durable, max_connections):
    prefix, owner = as_postgres()
    initdb, server = pg_bin("initdb"), pg_bin("postgres")
    root = tempfile.mkdtemp(prefix="minerpanel-pg-")
    if owner:
        os.chown(root, *owner)
    data = os.path.join(root, "data")
    proc = None
    try:
        out = subprocess.run([*prefix, initdb, "-D", data, "-U", "minerpanel", "-A", "trust", "-E", "UTF8",
                              "--no-sync"], capture_output=True, text=True)
        if out.returncode:
            raise Unavailable(f"initdb failed: {(out.stderr or out.stdout).strip()[-500:]}")
        port = free_port()
        options = ["-c", "listen_addresses=127.0.0.1", "-c", f"port={port}", "-c", f"unix_socket_directories={root}",
                   "-c", f"max_connections={max_connections}", "-c", "shared_buffers=128MB"]
        if not durable:  # the tests: nothing to keep
            options += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        proc = subprocess.Popen([*prefix, server, "-D", data, *options], stdout=subprocess.DEVNULL,
                                stderr=open(os.path.join(root, "log"), "w"))
        try:
            wait_port(port, proc, "postgres")
        except Unavailable as exc:
            raise Unavailable(f"{exc}: {open(os.path.join(root, 'log')).read()[-500:]}") from None
        out = subprocess.run([*prefix, pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "minerpanel",
                              "minerpanel"], capture_output=True, text=True)
        if out.returncode:
            raise Unavailable(f"createdb failed: {out.stderr.strip()[-500:]}")
        yield Server(f"postgres://minerpanel@127.0.0.1:{port}/minerpanel", proc.pid)
    finally:
        if proc is not None:
            proc.terminate()  # postgres: SIGTERM is a "smart" shutdown; sessions are gone by now
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def redis():
    """A Redis server with no persistence; yields a Server."""
    with stopped_when_killed():
        yield from _redis()


def _redis():
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.exists(binary):
        raise Unavailable("redis-server not found (apt-get install redis-server, or `make engines`)")
    root = tempfile.mkdtemp(prefix="minerpanel-redis-")
    port = free_port()
    proc = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", root, "--save", "",
                             "--appendonly", "no", "--protected-mode", "yes", "--maxclients", "10000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc, "redis-server")
        yield Server(f"redis://127.0.0.1:{port}/0", proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def both(durable=False):
    """(PostgreSQL, Redis) Servers of their own; Unavailable if either cannot start."""
    with postgres(durable) as db, redis() as channels:
        yield db, channels


def main(argv):
    if not argv:
        sys.exit("usage: python -m minerpanel.devkit.engines COMMAND [ARG...]")
    env = dict(os.environ)
    try:
        with both() as (db, channels):
            print(f"engines: PostgreSQL {db.url}, Redis {channels.url}", flush=True)
            env.update(DATABASE_URL=db.url, REDIS_URL=channels.url)
            sys.exit(subprocess.run(argv, env=env).returncode)
    except Unavailable as exc:
        print(f"engines: not available, the tests that need them skip: {exc}", flush=True)
        env["ENGINES_UNAVAILABLE"] = str(exc)
        sys.exit(subprocess.run(argv, env=env).returncode)


if __name__ == "__main__":
    main(sys.argv[1:])
