"""benchscale's simulators: started only on addresses that are free, none left behind when one is not."""

import socket

import pytest
from django.core.management import CommandError

from rigs.management.commands import benchscale

PORT = 45123  # not benchscale's own 20000-29999, which a running benchmark may hold


@pytest.fixture
def started(monkeypatch):
    found = []
    monkeypatch.setattr(benchscale, "BASE_PORT", PORT)
    monkeypatch.setattr(benchscale.subprocess, "Popen", lambda *a, **k: found.append(a))
    monkeypatch.setattr(benchscale, "wait_listening", lambda *a, **k: None)
    return found


def test_a_busy_address_stops_it_before_any_simulator_starts(started):
    """The second simulator's address was found busy after the first simulator had started: the
    benchmark failed and that simulator kept running (found listening by the next run)."""
    with socket.socket() as busy:
        busy.bind(("127.0.1.2", PORT))
        busy.listen()
        with pytest.raises(CommandError, match=f"127.0.1.2:{PORT} is not free"):
            benchscale.Command().start_simulators(2, 1)
    assert started == []


def test_connections_a_previous_run_left_waiting_do_not_make_an_address_busy(started):
    """A run right after another found its address 'not free': the connections the previous run's
    simulators had closed were still in TIME_WAIT there."""
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.1.1", PORT))
        server.listen()
        client = socket.create_connection(("127.0.1.1", PORT))
        accepted, _ = server.accept()
        accepted.close()  # the simulator's side closes first: its end waits in TIME_WAIT
        client.close()
    with socket.socket() as plain, pytest.raises(OSError):
        plain.bind(("127.0.1.1", PORT))  # what the check did: refused
    benchscale.Command().start_simulators(1, 1)
    assert len(started) == 1
