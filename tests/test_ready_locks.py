"""Ready-row writers at once on PostgreSQL (the poller's batch, a view writing rigs that turned stale):
they wait for each other and never deadlock. Runs with `make test-engines`; skips on SQLite, where
one writer at a time holds the database."""

import os
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from rigs.models import ReadyPart, ReadyTable, Rig, Snapshot
from rigs.readings.brief import make_brief
from rigs.web import ready

pytestmark = pytest.mark.django_db(transaction=True)

WHY = os.environ.get("ENGINES_UNAVAILABLE") or "needs PostgreSQL: `make test-engines` starts it"


@pytest.mark.skipif(connection.vendor != "postgresql", reason=WHY)
def test_two_writers_at_once_wait_for_each_other_and_never_deadlock():
    now = timezone.now()
    rigs = [Rig.objects.create(name=f"r{i}", host=f"10.0.0.{i + 1}") for i in range(2)]
    for i, rig in enumerate(rigs):
        sections = {"SUMMARY": [{"MHS av": 1.0 + i, "Accepted": 10 * i}]}
        Snapshot.objects.update_or_create(rig=rig, defaults={"sections": sections, "brief": make_brief(sections, {}),
                                                             "polled_at": now, "last_ok_at": now})
    ready.write([r.id for r in rigs])
    first = rigs[0].id
    holding, outcome = threading.Event(), {}

    def other_writer():  # holds the tables, as a writer does, then writes a rig's row the first may lock
        try:
            with transaction.atomic():
                list(ReadyTable.objects.select_for_update().order_by("key"))
                holding.set()
                time.sleep(1.5)  # the first writer is under way meanwhile (PostgreSQL looks for deadlocks at 1 s)
                ReadyPart.objects.filter(rig_id=first).update(turns_at=None)
            outcome["other"] = "written"
        except Exception as exc:  # a deadlock: PostgreSQL cancels one of the two
            outcome["other"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=other_writer)
    thread.start()
    assert holding.wait(10)
    try:
        ready.write([r.id for r in rigs], now=timezone.now())
        outcome["first"] = "written"
    except Exception as exc:
        outcome["first"] = exc
    thread.join(20)
    assert outcome == {"first": "written", "other": "written"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason=WHY)
def test_a_view_does_not_wait_for_a_batch_holding_the_tables():
    """With pollers behind (10,000 rigs, benchload) rigs turned stale within a round and every view wrote
    some, each waiting for the poller's batch to let go of the tables, holding its database connection
    meanwhile: pages of 8-26 s, and WebSocket logins that found no connection failed."""
    from datetime import timedelta

    now = timezone.now()
    rig = Rig.objects.create(name="turned", host="10.0.0.9")
    sections = {"SUMMARY": [{"MHS av": 1.0, "Accepted": 10}]}
    Snapshot.objects.update_or_create(rig=rig, defaults={"sections": sections, "brief": make_brief(sections, {}),
                                                         "polled_at": now, "last_ok_at": now})
    ready.write([rig.id])
    ReadyPart.objects.filter(rig=rig).update(turns_at=now - timedelta(seconds=1))  # it turned
    holding, done = threading.Event(), threading.Event()

    def batch():  # a poller's batch under way: the tables held
        try:
            with transaction.atomic():
                list(ReadyTable.objects.select_for_update().order_by("key"))
                holding.set()
                done.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=batch)
    thread.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        assert ready.refresh_turned(timezone.now()) == 0  # left to a later view
        assert time.monotonic() - started < 1.0
        assert ReadyPart.objects.get(rig=rig).turns_at > now  # claimed: another view takes it in a minute
    finally:
        done.set()
        thread.join(20)
    ReadyPart.objects.filter(rig=rig).update(turns_at=now - timedelta(seconds=1))
    assert ready.refresh_turned(timezone.now()) == 1  # the batch done: written
