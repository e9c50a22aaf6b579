"""The scale-out setup end to end: two web processes and a poller process on one PostgreSQL, the push
going through Redis to pages open in Chromium on either web process, one session and one audit log
for both. Its own servers (minerpanel/devkit/engines.py); skips, saying why, where they cannot start."""

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from typing import NamedTuple

import pytest

from minerpanel.devkit import engines
from tests.browser.conftest import ROOT, free_port, login
from tests.waiting import listening, wait_for


def wait_port(port, proc, what):
    def up():
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited: {proc.stderr.read().decode()[-2000:]}")
        return listening(port)

    wait_for(up, 30, f"{what} to listen on {port}")


class Scaled(NamedTuple):
    a: str  # the first web process's URL
    b: str  # the second one's: another port, the same PostgreSQL, Redis and SECRET_KEY
    env: dict


def serve(manage, env, procs):
    """A `serve --no-poller` process on a free loopback port; its URL once it listens."""
    port = free_port()
    web = subprocess.Popen([*manage, "serve", "--no-poller", "--port", str(port)], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    procs.append(web)
    wait_port(port, web, f"the web process on port {port}")
    return f"http://127.0.0.1:{port}"


def poll_once(env):
    """`pollrigs --once` in a process of its own: both rigs polled, the push sent through Redis."""
    out = subprocess.run([sys.executable, str(ROOT / "manage.py"), "pollrigs", "--once"], env=env, check=False,
                         capture_output=True, text=True, timeout=60)
    assert "polled 2 rigs" in out.stdout and "0 failed" in out.stdout, out.stdout + out.stderr


@pytest.fixture(scope="module")
def scaled():
    """Two `serve --no-poller` processes on one PostgreSQL and Redis, two simulated rigs registered, none polled."""
    try:
        servers = engines.both()
        db, redis = servers.__enter__()
    except engines.Unavailable as exc:
        pytest.skip(f"PostgreSQL or Redis unavailable: {exc}")
    tmp = tempfile.mkdtemp(prefix="minerpanel-scale-")
    env = {**os.environ, "DATABASE_URL": db.url, "REDIS_URL": redis.url, "MINERPANEL_VAR": tmp,
           "SECRET_KEY": secrets.token_urlsafe(50),  # what separate machines would share: not var/secret_key
           "EMBEDDED_POLLER": "false", "DEMO_RIGS": "false", "RIG_TIMEOUT": "2"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    procs = []
    try:
        subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True)
        for user, tier in (("usruser", "usr"), ("sysuser", "sys")):
            subprocess.run([*manage, "createuser", user, "--tier", tier, "--password", f"{tier}-pass-123"], env=env,
                           check=True, stdout=subprocess.DEVNULL)
        base = 20000 + free_port() % 10000
        sims = subprocess.Popen([*manage, "simulate_rigs", "--count", "2", "--base-port", str(base), "--flavour",
                                 "cgminer", "--register"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(sims)
        wait_port(base + 1, sims, "the simulator")
        yield Scaled(serve(manage, env, procs), serve(manage, env, procs), env)
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        servers.__exit__(None, None, None)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def page_b(browser):
    """A second browser: a context of its own, no cookie shared with `page`'s."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def test_a_poller_process_updates_an_open_page_through_redis(scaled, page):
    url, env = scaled.a, scaled.env
    login(page, url, "usruser", "usr-pass-123")
    page.goto(f"{url}/overview/")  # the fixed tables: every pool's user
    assert "sim00" in page.content() and "farm.sim00" not in page.content()  # registered, never polled
    page.wait_for_function("() => window.mpLive === true", timeout=15000)  # the WebSocket is open: no polling
    swaps = page.evaluate("window.mpSwaps")
    poll_once(env)
    page.wait_for_function(f"() => window.mpSwaps > {swaps}", timeout=15000)
    page.wait_for_selector("text=farm.sim00", timeout=5000)  # a pool user: the polled data, pushed
    assert page.evaluate("window.mpLive") is True


def test_one_poll_updates_pages_open_on_both_web_processes(scaled, page, page_b):
    """A page on web A and a page on web B, each logged in on its own server: one poller process's
    round reaches both (each process's WebSocket consumers hear it through Redis)."""
    pages = ((page, scaled.a), (page_b, scaled.b))
    for pg, url in pages:
        login(pg, url, "usruser", "usr-pass-123")
        pg.goto(f"{url}/overview/")
        pg.wait_for_function("() => window.mpLive === true", timeout=15000)  # pushed to, not polling
        pg.evaluate("document.getElementById('live').dataset.stale = 'yes'")  # gone once the push replaces it
    poll_once(scaled.env)
    for pg, _ in pages:
        pg.wait_for_function("() => !document.querySelector('#live[data-stale]')", timeout=15000)
        assert "farm.sim00" in pg.locator("#live").inner_text()  # a pool user: the polled data
        assert pg.evaluate("window.mpLive") is True


def test_a_session_started_on_web_a_holds_on_web_b(scaled, page):
    """Logged in on one web process, the user is logged in on the other (sessions in PostgreSQL,
    one SECRET_KEY; cookies are per host, not per port); logging out on B logs out of A."""
    login(page, scaled.a, "usruser", "usr-pass-123")
    assert page.locator("header .who").inner_text() == "usruser"
    page.goto(f"{scaled.b}/overview/")
    assert page.url == f"{scaled.b}/overview/"  # not sent to the login page
    assert page.locator("header .who").inner_text() == "usruser"
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{scaled.b}/login/**")
    page.goto(f"{scaled.a}/overview/")
    assert "/login/" in page.url


def test_a_command_sent_on_web_a_is_in_the_audit_log_on_web_b(scaled, page, page_b):
    """A sys user switches sim00's pool on web A; another sys session, on web B, sees it in the audit log."""
    poll_once(scaled.env)  # the rig page offers pool actions once the pools are known
    login(page, scaled.a, "sysuser", "sys-pass-123")
    page.goto(f"{scaled.a}/overview/")
    page.locator("nav.rigbar a", has_text="sim00").click()
    page.wait_for_selector("#controls")
    pool = page.locator("#controls tr", has=page.locator("input[name=pool][value='1']")).first
    pool.get_by_role("button", name="Switch to").click()  # a form with its CSRF token, as a user sends it
    page.wait_for_selector(".status-S", timeout=10000)  # the rig said yes, on the rig's page again
    login(page_b, scaled.b, "sysuser", "sys-pass-123")
    page_b.goto(f"{scaled.b}/audit/")
    row = page_b.locator("#audit tbody tr", has_text="switchpool")
    assert row.count() == 1
    cells = row.locator("td").all_inner_texts()
    assert cells[1:7] == ["sysuser", "127.0.0.1", "sim00", "switchpool", "pool=1", "S 27"], cells
