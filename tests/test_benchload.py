"""`benchload --web N`: web processes beside one poller on PostgreSQL and Redis, the load spread over them.

The run itself starts its own PostgreSQL and Redis (minerpanel/devkit/engines.py): it runs in `make
test-engines`, like the other tests on real engines, and skips elsewhere saying why.
"""

import io
import os
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

WHY = os.environ.get("ENGINES_UNAVAILABLE") or "needs PostgreSQL and Redis: `make test-engines` starts them"
needs_engines = pytest.mark.skipif(connection.vendor != "postgresql" or "REDIS_URL" not in os.environ, reason=WHY)


def test_several_web_processes_need_postgresql():
    with pytest.raises(CommandError, match="--web needs --engine postgresql"):
        call_command("benchload", web=2, engine="sqlite", rigs=5, viewers=1, seconds=5)


def test_bounds_are_refused_before_anything_starts():
    with pytest.raises(CommandError, match="--web must be between 0 and 8"):
        call_command("benchload", web=9)


@needs_engines
def test_two_web_processes_serve_pages_and_pushes_without_error():
    out = io.StringIO()
    call_command("benchload", web=2, rigs=20, viewers=10, requesters=4, pause=0.5, seconds=4, burst=2,
                 poll_interval=2, stdout=out)
    text = out.getvalue()
    assert "2 web processes (serve --no-poller) and one pollrigs on PostgreSQL and Redis" in text
    assert re.search(r"^  errors: 0$", text, re.M), text
    per_process = re.findall(r"web process (\d) \(127\.0\.0\.1:\d+\): +([\d,]+) pages, p50 ([\d,]+) ms.*?; ([\d,]+) "
                             r"pushes", text)
    assert [p[0] for p in per_process] == ["0", "1"], text
    assert all(int(pages.replace(",", "")) > 0 and int(p50.replace(",", "")) > 0
               for _, pages, p50, _ in per_process), text  # both served pages
    assert sum(int(pushes.replace(",", "")) for *_, pushes in per_process) > 0, text  # the poller's, via Redis
    views = re.search(r"([\d,]+) page views per second of one web core", text)
    assert views and int(views.group(1).replace(",", "")) > 0, text
    assert re.search(r"poller rounds during the load: [1-9]", text), text
