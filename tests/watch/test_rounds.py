"""The poller's loop hands each round to the watch worker: points and the poller's figures get written."""

import asyncio
import threading
import time

import pytest
from django.test import override_settings

from rigs.models import Rig
from rigs.polling import poller
from tests.waiting import async_wait_for
from watch import rounds
from watch.models import Mark, Point

pytestmark = pytest.mark.django_db(transaction=True)


@override_settings(RIG_TIMEOUT=1.0, RIG_CONNECT_TIMEOUT=1.0)
def test_the_poller_loop_records_history_off_its_own_thread(farm):
    f = farm(count=2)
    rigs = [Rig.objects.create(name=f"r{i}", host="127.0.0.1", port=f.port(i)) for i in range(2)]
    seen = []
    real = rounds.process

    def spy(*args, **kw):
        seen.append(threading.current_thread().name)
        return real(*args, **kw)

    async def go():
        stop = asyncio.Event()
        task = asyncio.create_task(poller.run(stop, interval=0.3))
        # a round handed over (a stop cancels the round in progress)
        await async_wait_for(lambda: seen, 10, "a round handed to watch")
        stop.set()
        await asyncio.wait_for(task, 10)  # the round in progress cancelled, the last one's history written

    rounds._recorded.clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rounds, "process", spy)
        asyncio.run(go())
        rounds.wait()
    assert seen and all(name.startswith("watch") for name in seen)
    # a point per rig per minute (two, when the rounds straddle a minute's turn)
    points = list(Point.objects.filter(res=1).values_list("rig_id", "t", "hs"))
    assert {i for i, _, _ in points} == {r.id for r in rigs} and len(points) == 2 * len({t for _, t, _ in points})
    assert all(hs > 0 for _, _, hs in points)
    assert Mark.objects.get(name="poller_rigs").value == 2


@override_settings(RIG_TIMEOUT=1.0, RIG_CONNECT_TIMEOUT=1.0)
def test_a_stopped_poller_returns_only_once_its_last_rounds_history_is_written(farm):
    f = farm(count=1)
    Rig.objects.create(name="r0", host="127.0.0.1", port=f.port(0))
    begun, finished = threading.Event(), []

    def slow(*args, **kw):
        begun.set()
        time.sleep(1.0)  # history still being written when the stop comes
        finished.append(True)

    async def go():
        stop = asyncio.Event()
        task = asyncio.create_task(poller.run(stop, interval=30))
        await async_wait_for(begun.is_set, 10, "a round handed to watch")
        stop.set()
        await asyncio.wait_for(task, 10)
        return list(finished)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rounds, "process", slow)
        assert asyncio.run(go()) == [True]


def test_a_busy_worker_skips_the_round_rather_than_queue_it(caplog):
    rounds._busy.acquire()
    try:
        rounds.after_round([], 0.1)
    finally:
        rounds._busy.release()
    assert "skipped" in caplog.text


@pytest.mark.django_db
def test_each_shards_poller_writes_its_own_marks_and_the_metrics_label_them():
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    from watch.metrics import Farm

    rounds.process([], 2.5, shard=(0, 2))
    rounds.process([], 4.0, shard=(1, 2))
    assert Mark.objects.get(name="poller_round_s@0/2").value == 2.5
    assert Mark.objects.get(name="poller_round_s@1/2").value == 4.0
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Farm())
    text = generate_latest(registry).decode()
    family = next(f for f in text_string_to_metric_families(text) if f.name == "minerpanel_poller_round_seconds")
    assert sorted((s.labels["shard"], s.value) for s in family.samples) == [("0/2", 2.5), ("1/2", 4.0)]
