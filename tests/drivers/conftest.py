"""The drivers' tests' shared fixtures."""

import random
import types

import pytest

from rigs.simulators.xmrigcc import Server, demo_fleet, serve, write_demo_configs
from tests.conftest import Clock


@pytest.fixture
def fleet(bg, tmp_path):
    """A simulated XMRigCC server on loopback with four miners that have reported once."""
    clock = Clock()
    server = Server(str(tmp_path / "cc"), user="admin", password="s3cret", clock=clock)
    write_demo_configs(server)
    for _ in range(20):
        port = random.randint(12000, 32000)
        try:
            bg.run(serve(server, "127.0.0.1", port))
            break
        except OSError:
            continue
    miners = demo_fleet(server, clock=clock)
    f = types.SimpleNamespace(server=server, miners={m.client_id: m for m in miners}, clock=clock, bg=bg,
                              rig=types.SimpleNamespace(host="127.0.0.1", port=port, username="admin", token="s3cret"))
    f.tick = lambda: bg.call(lambda: [m.tick() for m in miners])
    f.tick()
    return f
