"""`manage.py benchpages --map` runs (in its own throw-away database) and prints its figures for every metric."""

import subprocess
import sys
from pathlib import Path

from tests.conftest import sqlite_env

ROOT = Path(__file__).resolve().parents[2]


def test_benchpages_map_runs_on_a_small_farm(tmp_path):
    command = [sys.executable, str(ROOT / "manage.py"), "benchpages", "--map", "--rigs", "120", "--views", "2"]
    out = subprocess.run(command,
                         env={**sqlite_env(), "MINERPANEL_VAR": str(tmp_path)}, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert lines[0].startswith("/map/: 120 machines on one site, 2 racks of 100")
    figures = [line for line in lines[1:] if "page median" in line]
    assert [line.split()[0] for line in figures] == ["health", "temp", "hashrate", "power", "efficiency"]
    assert all("sent" in line and "live push render" in line and "µs CPU per rig" in line
               and line.count("(CPU ") == 3 for line in figures)
