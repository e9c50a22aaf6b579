"""What a new user met in the first hour (issue 27): createuser from a pipe, `make test`'s skips."""

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from tests.conftest import sqlite_env

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def manage():
    var = tempfile.mkdtemp(prefix="minerpanel-createuser-")
    env = {**sqlite_env(), "MINERPANEL_VAR": var, "DJANGO_SETTINGS_MODULE": "minerpanel.settings"}
    base = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*base, "migrate", "-v", "0"], env=env, check=True)

    def run(*args, stdin=""):
        return subprocess.run([*base, *args], env=env, input=stdin, capture_output=True, text=True)

    run.db = os.path.join(var, "minerpanel.sqlite3")
    yield run
    shutil.rmtree(var, ignore_errors=True)


def stored_hash(db, name):
    with sqlite3.connect(db) as c:
        row = c.execute("SELECT password FROM auth_user WHERE username = ?", (name,)).fetchone()
    return row and row[0]


def test_createuser_reads_a_piped_password(manage):
    out = manage("createuser", "erin", "--tier", "usr", stdin="piped pass-123\n")
    assert out.returncode == 0, out.stderr
    assert "created usr user erin" in out.stdout and "piped" not in out.stdout + out.stderr
    # the whole line, its space kept
    assert PBKDF2PasswordHasher().verify("piped pass-123", stored_hash(manage.db, "erin"))


def test_createuser_with_nothing_piped_says_so_and_creates_nobody(manage):
    out = manage("createuser", "frank", "--tier", "sys", stdin="")
    assert out.returncode == 1 and "no password: type one, pipe one line to stdin" in out.stderr
    assert stored_hash(manage.db, "frank") is None


def test_make_test_says_why_each_test_skipped():
    calls = [line for line in (ROOT / "Makefile").read_text().splitlines() if re.search(r"-m pytest\b", line)]
    assert len(calls) == 2 and all(" -rs" in line for line in calls), calls
