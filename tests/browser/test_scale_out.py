"""The scale-out setup end to end: a web process and a poller process on one PostgreSQL, the push
going through Redis to a page open in Chromium. Its own servers (rigs/engines.py); skips, saying
why, where they cannot start."""

import os
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from rigs import engines
from tests.browser.conftest import ROOT, free_port, login


def wait_port(port, proc, what):
    for _ in range(150):
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on {port}")


@pytest.fixture(scope="module")
def scaled():
    """(url, env): `serve --no-poller` on PostgreSQL and Redis, two simulated rigs registered, none polled."""
    try:
        servers = engines.both()
        db, redis = servers.__enter__()
    except engines.Unavailable as exc:
        pytest.skip(f"PostgreSQL or Redis unavailable: {exc}")
    tmp = tempfile.mkdtemp(prefix="minerpanel-scale-")
    env = {**os.environ, "DATABASE_URL": db.url, "REDIS_URL": redis.url, "MINERPANEL_VAR": tmp,
           "EMBEDDED_POLLER": "false", "DEMO_RIGS": "false", "RIG_TIMEOUT": "2"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    procs = []
    try:
        subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True)
        subprocess.run([*manage, "createuser", "usruser", "--tier", "usr", "--password", "usr-pass-123"], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        base = 20000 + free_port() % 10000
        sims = subprocess.Popen([*manage, "simulate_rigs", "--count", "2", "--base-port", str(base), "--flavour",
                                 "cgminer", "--register"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(sims)
        wait_port(base + 1, sims, "the simulator")
        port = free_port()
        web = subprocess.Popen([*manage, "serve", "--no-poller", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(web)
        wait_port(port, web, "the web process")
        yield f"http://127.0.0.1:{port}", env
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        servers.__exit__(None, None, None)


def test_a_poller_process_updates_an_open_page_through_redis(scaled, page):
    url, env = scaled
    login(page, url, "usruser", "usr-pass-123")
    page.goto(f"{url}/overview/")  # the fixed tables: every pool's user
    assert "sim00" in page.content() and "farm.sim00" not in page.content()  # registered, never polled
    page.wait_for_function("() => window.mpLive === true", timeout=15000)  # the WebSocket is open: no polling
    swaps = page.evaluate("window.mpSwaps")
    out = subprocess.run([sys.executable, str(ROOT / "manage.py"), "pollrigs", "--once"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert "polled 2 rigs" in out.stdout and "0 failed" in out.stdout, out.stdout + out.stderr
    page.wait_for_function(f"() => window.mpSwaps > {swaps}", timeout=15000)
    page.wait_for_selector("text=farm.sim00", timeout=5000)  # a pool user: the polled data, pushed
    assert page.evaluate("window.mpLive") is True
