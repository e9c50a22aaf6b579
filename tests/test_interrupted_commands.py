"""Issue 23: a command cut off by a crash kept its audit outcome "sent" forever. At start, `serve`
marks the rows of commands that no live process can still be waiting for "interrupted"."""

import os
import socket
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from rigs import control
from rigs.models import AuditEntry

ROOT = Path(__file__).resolve().parent.parent


def row(outcome, age, message="sent; no answer recorded yet"):
    entry = AuditEntry.objects.create(username="alice", rig_name="rig-a", command="restart", outcome=outcome,
                                      message=message)
    AuditEntry.objects.filter(pk=entry.pk).update(at=timezone.now() - age)
    return entry.pk


@pytest.mark.django_db
def test_only_rows_no_live_process_can_wait_for_are_marked_and_kept():
    bound = control.command_bound()
    assert bound >= timedelta(seconds=60)
    crashed = row("sent", bound + timedelta(seconds=5))
    in_flight = row("sent", timedelta(seconds=3))  # another live process may still get its answer
    answered = row("S", bound * 3, "Restarting")
    started = timezone.now()
    assert control.mark_interrupted(started - bound) == 1
    rows = {e.pk: (e.outcome, e.message) for e in AuditEntry.objects.all()}
    assert rows[crashed] == ("interrupted", "interrupted: outcome unknown (the panel stopped before the rig answered)")
    assert rows[in_flight][0] == "sent" and rows[answered] == ("S", "Restarting")
    # one bound after the start, what was sent before it is no one's any more
    assert control.mark_interrupted(started) == 1 and AuditEntry.objects.get(pk=in_flight).outcome == "interrupted"
    assert AuditEntry.objects.count() == 3 and control.mark_interrupted(started) == 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_marks_them_when_it_starts(tmp_path):
    env = dict(os.environ, MINERPANEL_VAR=str(tmp_path), SQLITE_PATH=str(tmp_path / "db.sqlite3"),
               DEMO_RIGS="false", EMBEDDED_POLLER="false", SECRET_KEY="test-interrupted")
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, timeout=300, cwd=ROOT)
    sql = ("INSERT INTO rigs_auditentry (at, username, rig_name, command, params, outcome, message, count) VALUES "
           "(datetime('now', '-1 hour'), 'alice', 'rig-a', 'restart', '{}', 'sent', 'sent; no answer recorded yet', 1)")
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        db.execute(sql)
    serve = subprocess.Popen([*manage, "serve", "--port", str(free_port())], env=env, cwd=ROOT, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for line in serve.stdout:
            if "MinerPanel on" in line:
                break
    finally:
        serve.terminate()
        serve.wait(20)
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        rows = db.execute("SELECT outcome, message FROM rigs_auditentry").fetchall()
    assert rows == [("interrupted", "interrupted: outcome unknown (the panel stopped before the rig answered)")]
