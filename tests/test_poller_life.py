"""The poller's life under `serve`: it dies with its server (kill -9 or SIGTERM), a clean stop hands
its lease over at once, and a restart does not wait for its own dead predecessor."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rigs.models import PollerLease
from rigs.polling.lease import Lease
from tests.conftest import free_port
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[1]
MANAGE = [sys.executable, str(ROOT / "manage.py")]


def children(pid):
    """The processes whose parent is ``pid`` (Linux's /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry))
    return out


def alive(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead, waiting for its reaper


class Panel:
    """`manage.py serve` on loopback, on a database of its own in a temporary folder, with one rig that
    accepts a connection and never answers: every round lasts RIG_TIMEOUT (a stop must not wait for it)."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.env = {**os.environ, "MINERPANEL_VAR": str(tmp_path), "POLL_INTERVAL": "1", "DEMO_RIGS": "0",
                    "RIG_TIMEOUT": "30", "LOG_LEVEL": "INFO", "DJANGO_SETTINGS_MODULE": "minerpanel.settings"}
        self.env.pop("DATABASE_URL", None)
        self.env.pop("REDIS_URL", None)  # serve and its poller child talk through the pipe, not Redis
        self.hung = socket.socket()
        self.hung.bind(("127.0.0.1", 0))
        self.hung.listen(16)
        subprocess.run([*MANAGE, "migrate", "-v", "0"], env=self.env, check=True, cwd=ROOT)
        subprocess.run([*MANAGE, "shell", "-c", "from rigs.models import Rig; Rig.objects.create("
                        f"name='hung', host='127.0.0.1', port={self.hung.getsockname()[1]})"],
                       env=self.env, check=True, cwd=ROOT)
        self.procs = []

    def serve(self):
        log = self.tmp_path / f"serve{len(self.procs)}.log"
        proc = subprocess.Popen([*MANAGE, "serve", "--port", str(free_port())], env=self.env, cwd=ROOT,
                                stdout=open(log, "w"), stderr=subprocess.STDOUT)
        proc.log = log
        self.procs.append(proc)
        wait_for(lambda: "polling (lease taken)" in log.read_text(), 60, "serve's poller to poll")
        (proc.poller,) = children(proc.pid)
        return proc

    def close(self):
        for proc in self.procs:
            for pid in [*children(proc.pid), getattr(proc, "poller", None)]:
                if pid and alive(pid):
                    os.kill(pid, signal.SIGKILL)
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        self.hung.close()


@pytest.fixture
def panel(tmp_path):
    p = Panel(tmp_path)
    yield p
    p.close()


def log_lines(proc, text):
    return [line for line in proc.log.read_text().splitlines() if text in line]


def test_the_poller_dies_with_a_killed_server(panel):
    serve = panel.serve()
    assert alive(serve.poller)
    serve.send_signal(signal.SIGKILL)
    serve.wait()
    wait_for(lambda: not alive(serve.poller), 5, "the orphaned poller to stop")
    # it stopped cleanly: its lease handed over, so the next start polls at once
    assert log_lines(serve, "poller stopped")
    again = panel.serve()
    wait_for(lambda: log_lines(again, "polling (lease taken)"), 10, "the next poller to take the lease")
    assert not log_lines(again, "standing by")


def test_the_poller_stops_with_a_terminated_server_and_the_next_start_polls_at_once(panel):
    serve = panel.serve()
    serve.send_signal(signal.SIGTERM)
    serve.wait(10)
    assert not alive(serve.poller)  # serve waited for its child
    assert "Traceback" not in serve.log.read_text()  # the round it cancelled is no error
    again = panel.serve()
    wait_for(lambda: log_lines(again, "polling (lease taken)"), 10, "the next poller to take the lease")
    assert not log_lines(again, "standing by")


def pollrigs(panel, *args, stdin=subprocess.PIPE):
    log = panel.tmp_path / f"pollrigs{len(panel.procs)}.log"
    proc = subprocess.Popen([*MANAGE, "pollrigs", *args], env=panel.env, cwd=ROOT, stdin=stdin,
                            stdout=subprocess.DEVNULL if "--notify" not in args else subprocess.PIPE,
                            stderr=open(log, "w"))
    proc.log, proc.poller = log, proc.pid
    panel.procs.append(proc)
    wait_for(lambda: "polling (lease taken)" in log.read_text(), 60, "pollrigs to poll")
    return proc


def test_a_poller_under_serve_stops_when_its_pipe_closes_and_hands_its_lease_over(panel):
    """The portable half (no PR_SET_PDEATHSIG involved: its parent, this test, lives on)."""
    child = pollrigs(panel, "--notify")
    child.stdin.close()
    child.wait(5)  # in the middle of a round held by the hung rig
    assert log_lines(child, "serve is gone") and log_lines(child, "poller stopped")
    again = pollrigs(panel, "--notify")
    assert not log_lines(again, "standing by")


def test_a_standalone_poller_needs_no_parent_pipe(panel):
    """`pollrigs` for scale-out: its stdin closed, it polls on; SIGTERM stops it mid-round, lease released."""
    alone = pollrigs(panel)
    alone.stdin.close()
    time.sleep(2)
    assert alone.poll() is None
    alone.send_signal(signal.SIGTERM)
    alone.wait(5)
    assert log_lines(alone, "poller stopped")
    again = pollrigs(panel, stdin=subprocess.DEVNULL)
    assert not log_lines(again, "standing by")


def dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.django_db
def test_a_poller_takes_the_lease_of_its_dead_predecessor_on_this_machine_at_once():
    dead = Lease(ttl=30)
    assert dead.claim()
    machine, _pid, token = dead.owner.split(":")
    dead.owner = f"{machine}:{dead_pid()}:{token}"
    PollerLease.objects.update(owner=dead.owner)
    restarted = Lease(ttl=30)
    assert restarted.claim() and restarted.term == 1  # not 30 s later
    assert PollerLease.objects.get().owner == restarted.owner


@pytest.mark.django_db
def test_a_live_holder_or_one_of_another_machine_keeps_its_lease():
    holder = Lease(ttl=30)
    assert holder.claim()
    assert not Lease(ttl=30).claim()  # alive (this very process)
    elsewhere = f"other-host/1:{dead_pid()}:0badc0de"  # that pid means nothing here
    PollerLease.objects.update(owner=elsewhere)
    assert not Lease(ttl=30).claim()
    assert PollerLease.objects.get().owner == elsewhere


def test_the_kernel_stops_the_poller_when_its_parent_dies_even_if_its_stdin_stays_open(panel):
    """The Linux half, PR_SET_PDEATHSIG: its parent killed with -9 while this test keeps the write end
    of the child's stdin open (so the stdin watch cannot be what stops it)."""
    read, write = os.pipe()
    log = panel.tmp_path / "orphan.log"
    parent = subprocess.Popen(
        [sys.executable, "-c", "import subprocess, sys; subprocess.Popen(sys.argv[1:], stdin=0).wait()",
         *MANAGE, "pollrigs", "--notify"],
        env=panel.env, cwd=ROOT, stdin=read, stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    os.close(read)
    parent.log, parent.poller = log, None
    panel.procs.append(parent)
    try:
        wait_for(lambda: "polling (lease taken)" in log.read_text(), 60, "pollrigs to poll")
        (parent.poller,) = children(parent.pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        wait_for(lambda: not alive(parent.poller), 5, "the orphaned poller to stop")
        assert log_lines(parent, "poller stopped") and not log_lines(parent, "serve is gone")
    finally:
        os.close(write)


def test_a_poller_whose_batches_meet_a_broken_pipe_stops_and_hands_its_lease_over(panel):
    subprocess.run([*MANAGE, "shell", "-c", "from rigs.models import Rig; Rig.objects.create("
                    f"name='refused', host='127.0.0.1', port={free_port()})"], env=panel.env, check=True, cwd=ROOT)
    child = pollrigs(panel, "--notify")  # its stdin stays open: only the broken stdout tells
    child.stdout.close()
    child.wait(10)
    assert log_lines(child, "its pipe broke") and log_lines(child, "poller stopped")
    again = pollrigs(panel)
    assert not log_lines(again, "standing by")
