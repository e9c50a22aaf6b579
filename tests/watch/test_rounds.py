"""The poller's loop hands each round to the watch worker: points and the poller's figures get written."""

import asyncio
import threading

import pytest
from django.test import override_settings

from rigs import poller
from rigs.models import Rig
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
        await asyncio.sleep(0.8)
        stop.set()
        await asyncio.wait_for(task, 3)

    rounds._recorded.clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rounds, "process", spy)
        asyncio.run(go())
        rounds.wait()
    assert seen and all(name.startswith("watch") for name in seen)
    assert sorted(Point.objects.filter(res=1).values_list("rig_id", flat=True)) == sorted(r.id for r in rigs)
    assert Point.objects.filter(res=1, hs__gt=0).count() == 2
    assert Mark.objects.get(name="poller_rigs").value == 2


def test_a_busy_worker_skips_the_round_rather_than_queue_it(caplog):
    rounds._busy.acquire()
    try:
        rounds.after_round([], 0.1)
    finally:
        rounds._busy.release()
    assert "skipped" in caplog.text
