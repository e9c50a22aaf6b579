import asyncio
import random
import socket
import threading
from pathlib import Path

import pytest

from rigs.simulators.cgminer import SimFarm, SimRig

REAL = Path(__file__).resolve().parent / "fixtures" / "real"  # the team's captures of real miners (README there)
BFG = REAL / "bfgminer-5.5.0-34-g866fd36f"
CGM = REAL / "cgminer-4.11.1"


def fixture_bytes(path):
    return path.read_bytes()


def sqlite_env():
    """The environment for a `manage.py` subprocess on a SQLite file of its own: this one's, without the
    DATABASE_URL and REDIS_URL that `make test-engines` sets for the suite itself."""
    import os

    return {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}


def free_port():
    """A loopback port nothing listens on (the system's pick, released at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FarmThread:
    """A SimFarm served from its own event loop in a background thread."""

    def __init__(self, rigs):
        self.rigs = rigs
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        for _ in range(20):
            base = random.randint(12000, 32000)  # below the ephemeral ports
            self.farm = SimFarm(rigs, "127.0.0.1", base, comeback=0.5)
            try:
                asyncio.run_coroutine_threadsafe(self.farm.start(), self.loop).result(10)
                break
            except OSError:
                asyncio.run_coroutine_threadsafe(self.farm.stop(), self.loop).result(10)
        else:
            raise RuntimeError("no free port range for the simulator")
        self.base = base

    def port(self, i):
        return self.base + i

    def close(self):
        asyncio.run_coroutine_threadsafe(self.farm.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def farm():
    """Factory: farm(rig, rig, ...) or farm(count=3) serves SimRigs on loopback."""
    started = []

    def make(*rigs, count=None, **kw):
        if count is not None:
            rigs = [SimRig(index=i, **kw) for i in range(count)]
        for i, r in enumerate(rigs):
            r.index = i
        f = FarmThread(list(rigs))
        started.append(f)
        return f

    yield make
    for f in started:
        f.close()


@pytest.fixture(autouse=True)
def own_shared_results(monkeypatch):
    """Results shared for a while (rigs/web/recent.py: the API's whole pages) are not another test's."""
    import secrets

    from rigs.web import recent

    monkeypatch.setattr(recent, "SPACE", secrets.token_hex(4) + ":")


@pytest.fixture(autouse=True)
def fast_password_hashing():
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


def pytest_collection_modifyitems(items):
    """Browser tests last: Playwright's sync API runs an event loop of its own."""
    items.sort(key=lambda item: "/browser/" in str(item.fspath))


class Clock:
    """Fake time for simulators: tests move ``t``."""

    def __init__(self, t=1_800_000_000.0):
        self.t = t

    def __call__(self):
        return self.t


class LoopThread:
    """An event loop in a background thread, for simulators the panel talks to."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout=15):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn, *args):
        """Run a plain function on the loop's thread (simulator state is not thread-safe)."""
        async def wrapped():
            return fn(*args)
        return self.run(wrapped())

    def close(self):
        async def cancel_all():
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.run(cancel_all())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def bg():
    t = LoopThread()
    yield t
    t.close()


@pytest.fixture(scope="session", autouse=True)
def close_poller_connections(django_db_setup):
    """The poller's writes run in asgiref's thread; close its connection, and PostgreSQL's pool of
    connections (settings.DB_POOL: other threads' connections go back to it open), before the test
    database is dropped (PostgreSQL refuses to drop a database in use)."""
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result(10)
    for conn in connections.all():
        if conn.vendor == "postgresql" and conn.pool is not None:
            conn.close_pool()


@pytest.fixture
def builtin_pages(db):
    """miner.php's built-in pages, as the migrations create them: an earlier transactional test's
    flush removes them, so a test that opens one asks for this."""
    from django.apps import apps

    from custompages import builtin

    builtin.add_missing(apps, builtin.pages())
