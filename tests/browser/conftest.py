"""A real server (daphne, poller, demo simulator) and headless Chromium (Debian's)."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.waiting import listening, wait_for

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="session")
def server():
    tmp = tempfile.mkdtemp(prefix="minerpanel-browser-")
    port = free_port()
    env = {**os.environ, "MINERPANEL_VAR": tmp, "POLL_INTERVAL": "1", "RIG_TIMEOUT": "1",
           "DEMO_BASE_PORT": str(20000 + port % 10000), "DJANGO_SETTINGS_MODULE": "minerpanel.settings"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True)
    subprocess.run([*manage, "createuser", "sysuser", "--tier", "sys", "--password", "sys-pass-123"], env=env,
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*manage, "createuser", "usruser", "--tier", "usr", "--password", "usr-pass-123"], env=env,
                   check=True, stdout=subprocess.DEVNULL)
    proc = subprocess.Popen([*manage, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: listening(port), 20, f"the server to listen on {port}")
    except AssertionError:
        proc.kill()
        raise RuntimeError("server did not start: " + proc.stderr.read().decode()[-2000:]) from None
    time.sleep(2.5)  # a first poll round
    yield url
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        pytest.fail("Chromium not found: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.dialogs = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    yield pg
    context.close()


def login(page, url, user, password):
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
