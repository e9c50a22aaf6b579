"""Scale-out on real engines: `pollrigs` processes on one PostgreSQL, pushes through Redis.

Run by `make test-engines` (minerpanel/devkit/engines.py starts private servers). On SQLite, or
without Redis, the tests that need other processes skip and say why.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from rigs.models import PollerLease, Rig, Snapshot
from rigs.polling import poller
from rigs.polling.lease import Lease, Lost
from rigs.readings.brief import make_brief
from rigs.simulators.cgminer import SimRig
from tests.waiting import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

WHY = os.environ.get("ENGINES_UNAVAILABLE") or "needs PostgreSQL and Redis: `make test-engines` starts them"
needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason=WHY)
needs_redis = pytest.mark.skipif("REDIS_URL" not in os.environ, reason=WHY)


def register(f):
    return [Rig.objects.create(name=f"r{i}", host="127.0.0.1", port=f.port(i)) for i in range(len(f.rigs))]


class Pollers:
    """`manage.py pollrigs` processes on the test database; their logs in tmp_path."""

    def __init__(self, tmp_path, **env):
        db = connection.settings_dict
        self.env = {**os.environ, "LOG_LEVEL": "DEBUG", "RIG_TIMEOUT": "4", "RIG_CONNECT_TIMEOUT": "2", **env,
                    "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
        self.tmp_path = tmp_path
        self.procs = []

    def start(self, *args):
        log = self.tmp_path / f"poller{len(self.procs)}.log"
        proc = subprocess.Popen([sys.executable, "manage.py", "pollrigs", *args], cwd=settings.BASE_DIR,
                                env=self.env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
        proc.log = log
        self.procs.append(proc)
        return proc

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()


@pytest.fixture
def pollers(tmp_path):
    p = Pollers(tmp_path, POLL_LEASE="5")
    yield p
    p.stop()


def log_of(proc):
    return proc.log.read_text()


# ----------------------------------------------------------- the lease, in this process (any database)


@override_settings(POLL_INTERVAL=10, POLL_LEASE=0)
def test_one_lease_holder_per_shard():
    a, b, other = Lease((0, 2)), Lease((0, 2)), Lease((1, 2))
    assert a.ttl == timedelta(seconds=30)
    assert a.claim() and not b.claim() and other.claim()
    assert a.claim()  # renewing
    with pytest.raises(Lost):
        b.renew()
    assert b.holder() == a.owner
    a.release()  # a clean stop hands over at once
    assert b.claim() and not a.claim()
    assert PollerLease.objects.count() == 2


def test_the_term_changes_only_when_someone_else_may_have_written_the_shard():
    a, b = Lease(ttl=0.2), Lease(ttl=30)
    assert a.claim() and a.term == 1
    time.sleep(0.3)
    assert a.claim() and a.term == 1  # ran out, but nobody took it: a's memory of its writes holds
    time.sleep(0.3)
    assert b.claim() and b.term == 1  # b took it over
    b.release()
    assert a.claim() and a.term == 2  # b may have written: a forgets what it wrote


@override_settings(RIG_TIMEOUT=1.0, RIG_CONNECT_TIMEOUT=1.0)
def test_a_poller_remembers_what_it_wrote_instead_of_reading_it_back(farm):
    f = farm(count=2, flavour="cgminer")
    rigs = register(f)
    asked, read_back = [], poller.previous_briefs

    def counting(ids):
        asked.extend(ids)
        return read_back(ids)

    recent = {}
    with mock.patch.object(poller, "previous_briefs", counting):
        for _ in range(3):
            asyncio.run(poller.poll_once(recent=recent))
    assert sorted(asked) == sorted(r.id for r in rigs)  # read once, in the first round
    for rig in rigs:
        brief = Snapshot.objects.get(rig=rig).brief
        assert len(brief["history"]) == 3  # one point a round, as when read back
        remembered = {k: recent[rig.id][k] for k in ("health", "history", "fans")}
        assert remembered == {"health": brief["health"], "history": brief["history"], "fans": brief.get("fans")}
    rigs[0].delete()
    asyncio.run(poller.poll_once(recent=recent))
    assert set(recent) == {rigs[1].id}


@override_settings(RIG_TIMEOUT=1.0, RIG_CONNECT_TIMEOUT=1.0)
def test_a_poller_that_lost_its_shard_writes_nothing(farm):
    f = farm(count=2, flavour="cgminer")
    register(f)
    stalled, standby = Lease(ttl=0.2), Lease(ttl=30)
    assert stalled.claim()
    time.sleep(0.3)  # the stalled poller's lease runs out; a standby takes the shard
    assert standby.claim()
    with pytest.raises(Lost):
        asyncio.run(poller.poll_once(lease=stalled))
    assert not Snapshot.objects.exists()
    results, _ = asyncio.run(poller.poll_once(lease=standby))
    assert Snapshot.objects.filter(error="").count() == 2 == len(results)


# ----------------------------------------------------------- several processes on one PostgreSQL


@needs_postgres
def test_shards_in_two_processes_poll_every_rig_once(farm, pollers):
    f = farm(count=6, flavour="cgminer")
    rigs = register(f)
    procs = [pollers.start("--once", "--shard", f"{k}/2") for k in (0, 1)]
    for p in procs:
        assert p.wait(60) == 0, log_of(p)
    assert {"polled 3 rigs" in log_of(p) for p in procs} == {True}
    assert Snapshot.objects.filter(error="", rig__in=rigs).count() == 6
    assert [sim.requests for sim in f.rigs] == [1] * 6  # each rig asked once, by its shard's poller


@needs_postgres
def test_two_pollers_for_one_shard_do_not_both_poll(farm, pollers):
    f = farm(count=4, flavour="cgminer")
    register(f)
    first = pollers.start("--interval", "0.5")
    wait_for(lambda: "polling (lease taken)" in log_of(first), 30, "the first poller to take the shard")
    second = pollers.start("--interval", "0.5")
    wait_for(lambda: "standing by" in log_of(second), 30, "the second poller to stand by")
    wait_for(lambda: log_of(first).count("minerpanel.poller: round:") >= 3, 30, "three rounds by the holder")
    for proc in (second, first):
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    assert "round:" not in log_of(second) and "poller stopped" in log_of(second)
    rounds = log_of(first).count("minerpanel.poller: round:")
    assert rounds >= 3
    # only the holder asked them: each rig once a round (one more when SIGTERM came in a round not logged yet)
    asked = {sim.requests for sim in f.rigs}
    assert len(asked) == 1 and rounds <= asked.pop() <= rounds + 1, ([sim.requests for sim in f.rigs], rounds)


@needs_postgres
def test_a_poller_killed_mid_round_loses_and_double_writes_nothing(farm, pollers):
    f = farm(*[SimRig(flavour="cgminer") for _ in range(4)], SimRig(fault="hang"), SimRig(fault="hang"))
    rigs = register(f)
    first = pollers.start("--interval", "60")
    # The four answering rigs are stored in the first half second; the hung ones hold the round for 4 s.
    wait_for(lambda: Snapshot.objects.count() == 4, 30, "the first batch")
    first.send_signal(signal.SIGKILL)
    first.wait()
    before = {s.rig_id: s for s in Snapshot.objects.all()}
    assert set(before) == {r.id for r in rigs[:4]}
    for snap in before.values():  # each row whole: the batch's transaction committed entirely or not at all
        assert snap.error == "" and snap.brief == make_brief(snap.sections, snap.statuses)

    restarted = pollers.start("--interval", "60")
    # its dead predecessor ran on this machine: the restart takes the lease at once (rigs/polling/lease.py)
    wait_for(lambda: "polling (lease taken)" in log_of(restarted), 30, "the restarted poller to take the lease")
    assert "standing by" not in log_of(restarted)
    wait_for(lambda: Snapshot.objects.filter(error__startswith="no reply").count() == 2, 30, "the restarted round")
    after = {s.rig_id: s for s in Snapshot.objects.all()}
    assert len(after) == 6 == Snapshot.objects.values("rig").distinct().count()
    for rig_id, snap in before.items():  # nothing lost, every answering rig polled again
        assert after[rig_id].polled_at > snap.polled_at and after[rig_id].error == ""
        # whole: the brief of its own sections (its health history goes on from the first poller's)
        fresh = make_brief(after[rig_id].sections, after[rig_id].statuses)
        assert {k: v for k, v in after[rig_id].brief.items() if k not in ("history", "health")} == \
            {k: v for k, v in fresh.items() if k not in ("history", "health")}
        assert after[rig_id].brief["history"][-1:] == fresh["history"]
    # Each answering rig was asked once by the killed poller and once after the restart: no double poll.
    assert [sim.requests for sim in f.rigs[:4]] == [2] * 4
    assert PollerLease.objects.get().owner.split(":")[1] == str(restarted.pid)


@needs_postgres
@needs_redis
def test_a_poller_process_pushes_through_redis_to_an_open_page(farm, pollers):
    from channels.layers import get_channel_layer
    from django.contrib.auth.models import User

    from tests.test_consumers import communicator

    assert get_channel_layer().__class__.__name__ == "RedisChannelLayer"
    f = farm(SimRig(flavour="cgminer", name="pushed-rig"))
    Rig.objects.create(name="pushed-rig", host="127.0.0.1", port=f.port(0))
    bob = User.objects.create_user("bob", password="x")

    async def go():
        comm = communicator(bob)
        assert (await comm.connect())[0]
        proc = pollers.start("--once")  # another process: its publish reaches us only through Redis
        html = await comm.receive_from(timeout=30)
        await comm.disconnect()
        return proc, html

    proc, html = asyncio.run(go())
    assert proc.wait(30) == 0
    assert 'id="live" hx-swap-oob="true"' in html
    assert "farm.pushed-rig" in html  # its pool user: the polled sections, read back from PostgreSQL
