"""The farm's minute point covers the whole farm: never one round's rigs alone (a partial round, a
round of a new rig, one shard's round), always every enabled rig's latest state."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rigs.models import Rig, Snapshot
from rigs.polling.poller import Result
from rigs.readings.brief import make_brief
from tests.watch.test_history import T0, sections
from watch import history, rounds
from watch.models import FarmPoint

pytestmark = pytest.mark.django_db

TH = 1e12


@pytest.fixture(autouse=True)
def fresh_memory():
    for memory in (rounds._recorded, rounds._previous, rounds._farm_minute):
        memory.clear()


def polled(rig, ths=40.0, error="", ago=0):
    """Store the rig's snapshot as the poller would (``ths`` TH/s), and return its round result."""
    at = timezone.now() - timedelta(seconds=ago)
    secs = {} if error else sections(ths * 1e6, 100)
    Snapshot.objects.update_or_create(rig=rig, defaults=dict(
        sections=secs, statuses={}, brief={} if error else make_brief(secs, {}), error=error,
        polled_at=at, last_ok_at=None if error else at))
    if error:
        return Result(rig.id, False, error=error, error_kind="refused")
    return Result(rig.id, True, sections=secs, brief=make_brief(secs, {}))


def farm_at(t):
    return {(f.shard, f.algorithm): (round(f.hs / TH, 1), f.rigs, f.healthy) for f in FarmPoint.objects.filter(t=t)}


@pytest.fixture
def rigs():
    return [Rig.objects.create(name=f"rig{i}", host=f"10.0.0.{i + 1}", port=4028) for i in range(10)]


def test_a_round_of_a_new_rig_alone_does_not_stand_for_the_farm(rigs):
    rounds.process([polled(r, 36.9) for r in rigs], 1.0, now=T0)
    assert farm_at(T0) == {(0, "SHA-256d"): (369.0, 10, 10)}
    new = Rig.objects.create(name="new", host="10.0.0.99", port=4028)
    rounds.process([polled(new, 40.2)], 0.1, now=T0 + 20)  # the new rig polled alone, same minute
    assert farm_at(T0) == {(0, "SHA-256d"): (369.0, 10, 10)}
    rounds.process([polled(new, 40.2)], 0.1, now=T0 + 60)  # and as the first round of the next minute
    assert farm_at(T0 + 60) == {(0, "SHA-256d"): (409.2, 11, 11)}


def test_a_partial_round_does_not_stand_for_the_farm(rigs):
    for r in rigs:
        polled(r, 36.9)
    # a re-poll of three rigs (after a command), one of which now fails, is the minute's first round
    results = [polled(rigs[0], 36.9), polled(rigs[1], 36.9), polled(rigs[2], error="connection refused")]
    rounds.process(results, 0.2, now=T0)
    assert farm_at(T0) == {(0, "SHA-256d"): (332.1, 10, 9)}


def test_with_shards_the_farm_is_every_rigs_latest_state_written_once(rigs):
    shard = {k: [r for r in rigs if r.id % 2 == k] for k in (0, 1)}
    late = [polled(r, 36.9) for r in shard[1]]  # stored by shard 1's poller, its round not processed yet
    rounds.process([polled(r, 36.9) for r in shard[0]], 1.0, now=T0, shard=(0, 2))
    assert farm_at(T0) == {(0, "SHA-256d"): (369.0, 10, 10)}
    rounds.process(late, 1.0, now=T0 + 1, shard=(1, 2))
    assert farm_at(T0) == {(0, "SHA-256d"): (369.0, 10, 10)}  # not written again, nor per shard
    assert history.farm_series(3600, 60, now=T0 + 60)["rigs"] == [10]
    # shard 1's poller is gone: its rigs' data goes stale, they count as rigs, down
    for r in shard[1]:
        polled(r, 36.9, ago=3600)
    rounds.process([polled(r, 36.9) for r in shard[0]], 1.0, now=T0 + 60, shard=(0, 2))
    assert farm_at(T0 + 60) == {(0, "SHA-256d"): (184.5, 10, 5)}


def test_disabled_rigs_pools_and_rigs_never_polled_are_not_miners_of_the_farm(rigs):
    results = [polled(r, 36.9) for r in rigs[:3]]
    Rig.objects.filter(id=rigs[0].id).update(enabled=False)
    pool = Rig.objects.create(name="pool", kind="ckpool", host="10.0.0.50", port=4028)
    Snapshot.objects.create(rig=pool, brief={"figures": {"role": "pool", "hashrate_hs": 5e14}},
                            polled_at=timezone.now(), last_ok_at=timezone.now())
    rounds.process(results, 1.0, now=T0)
    assert farm_at(T0) == {(0, "SHA-256d"): (73.8, 2, 2)}
