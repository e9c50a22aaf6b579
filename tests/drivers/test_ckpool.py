"""The ckpool driver against the ckpool simulator: framing, files, sections, control, errors."""

import asyncio
import os
import socket
import struct
import threading
import time
import types

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client, override_settings

from rigs.drivers import ckpool, ckpool_files
from rigs.drivers.cgminer.protocol import BadReplyError, ConnectError, TimeoutError_
from rigs.models import AuditEntry, Rig, Snapshot
from rigs.polling import poller
from rigs.simulators.ckpool import CkpoolSim, Worker
from rigs.simulators.ckpool_numbers import suffix_string
from tests.waiting import wait_for

FAST = {"timeout": 2.0, "connect_timeout": 1.0}


@pytest.fixture
def pool(bg, tmp_path):
    """A running simulated ckpool; short paths, since Unix socket paths are limited to 107 bytes."""
    sim = CkpoolSim(str(tmp_path / "s"), str(tmp_path / "logs"), interval=3600)
    bg.run(sim.start())
    sim.rig = types.SimpleNamespace(path=sim.sockdir, logdir=sim.logdir)
    return sim


def poll(sim):
    return asyncio.run(ckpool.poll(sim.rig, **FAST))


# ---------------------------------------------------------------- framing


def test_a_frame_is_a_little_endian_length_then_the_text():
    assert ckpool.frame("ping") == b"\x04\x00\x00\x00ping"
    assert ckpool.frame("loglevel=7") == struct.pack("<I", 10) + b"loglevel=7"


def raw_server(bg, path, behaviour):
    """A Unix socket that records what it receives and answers with ``behaviour(data)`` bytes,
    or hangs when it returns None."""
    got = []

    async def handle(reader, writer):
        data = await reader.read(65536)
        got.append(data)
        reply = behaviour(data)
        if reply is None:
            await asyncio.sleep(30)
        writer.write(reply)
        await writer.drain()
        writer.close()

    bg.run(asyncio.start_unix_server(handle, path))
    return got


@pytest.mark.parametrize("reply, expected", [
    (struct.pack("<I", 4) + b"pong", "pong"),
    (b"", None),  # ckpool closes without a reply: normal for many commands
    (struct.pack("<I", 7) + b"unknown", "unknown"),
])
def test_ask_reads_one_framed_reply(bg, tmp_path, reply, expected):
    got = raw_server(bg, str(tmp_path / "listener"), lambda data: reply)
    assert asyncio.run(ckpool.ask(str(tmp_path), "listener", "ping", **FAST)) == expected
    assert got == [b"\x04\x00\x00\x00ping"]  # the whole frame, in one write, and nothing after it


@pytest.mark.parametrize("reply, message", [
    (b"\x04\x00", "cut inside its length"),
    (struct.pack("<I", 10) + b"pong", "cut after 4 of 10 bytes"),
    (struct.pack("<I", 0), "out of bounds"),
    (struct.pack("<I", 0x7FFFFFFF) + b"x", "out of bounds"),
])
def test_bad_frames_are_clear_errors(bg, tmp_path, reply, message):
    raw_server(bg, str(tmp_path / "listener"), lambda data: reply)
    with pytest.raises(BadReplyError, match=message):
        asyncio.run(ckpool.ask(str(tmp_path), "listener", "ping", **FAST))


def test_an_unanswered_command_ends_at_our_own_timeout(bg, tmp_path):
    raw_server(bg, str(tmp_path / "listener"), lambda data: None)
    started = time.monotonic()
    with pytest.raises(TimeoutError_, match="no reply within 0.5 s"):
        asyncio.run(ckpool.ask(str(tmp_path), "listener", "ping", timeout=0.5))
    assert time.monotonic() - started < 2


def test_missing_socket_and_refused_socket(tmp_path):
    with pytest.raises(ConnectError, match="does not exist: is ckpool running with -s"):
        asyncio.run(ckpool.ask(str(tmp_path), "listener", "ping", **FAST))


def test_permission_denied_names_the_directory_and_the_group(tmp_path, monkeypatch):
    import grp

    async def denied(path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(asyncio, "open_unix_connection", denied)
    os.chmod(tmp_path, 0o750)
    group = grp.getgrgid(os.stat(tmp_path).st_gid).gr_name
    with pytest.raises(ConnectError) as exc:
        asyncio.run(ckpool.ask(str(tmp_path), "listener", "ping", **FAST))
    msg = exc.value.message
    assert f"permission denied on {tmp_path}/listener" in msg
    assert "mode 0750" in msg and f"group '{group}'" in msg and f"usermod -aG {group}" in msg and "2770" in msg


# ---------------------------------------------------------------- the simulator speaks like ckpool


def test_simulator_matches_ckpools_command_rules(pool):
    async def ask(sock, text):
        return await ckpool.ask(pool.sockdir, sock, text, **FAST)

    assert asyncio.run(ask("listener", "PINGpong")) == "pong"  # case-insensitive prefix match
    assert asyncio.run(ask("listener", "summary")) == "unknown"  # the seed guide's invention
    assert asyncio.run(ask("stratifier", "user.info=alice")) is None
    assert asyncio.run(ask("stratifier", "users")) is None  # a stub since 2016
    assert asyncio.run(ask("generator", "stats")) is None
    assert asyncio.run(ask("listener", "loglevel=9")) == "Invalid"
    assert asyncio.run(ask("listener", "loglevel=x")) == "Failed"
    assert len(asyncio.run(ask("generator", "getbest"))) == 64
    assert asyncio.run(ask("listener", "stratifierstats")).startswith('{"workbases": {"count": 2')


def test_getuser_creates_phantom_users_and_polling_never_sends_it(pool):
    poll(pool)
    poll(pool)
    assert pool.phantoms == set()
    asyncio.run(ckpool.ask(pool.sockdir, "stratifier", 'getuser={"user":"ghost"}', **FAST))
    assert pool.phantoms == {"ghost"}  # why the driver must never send it


def test_listener_answers_failed_to_a_bad_frame(pool):
    async def send_raw(data):
        r, w = await asyncio.open_unix_connection(os.path.join(pool.sockdir, "listener"))
        w.write(data)
        w.write_eof()
        reply = await r.read()
        w.close()
        return reply

    assert asyncio.run(send_raw(struct.pack("<I", 0))) == struct.pack("<I", 6) + b"failed"


# ---------------------------------------------------------------- hashrate strings and files


@pytest.mark.parametrize("text, hs", [
    ("0", 0.0), ("523", 523.0), ("1.23T", 1.23e12), ("87.4M", 87.4e6), ("1e+03G", 1e12), ("754G", 754e9),
    ("2.5P", 2.5e15), (" 12K", 12e3), (12.5, 12.5),
])
def test_hashrate_strings_read_as_ckpool_reads_them(text, hs):
    assert ckpool_files.parse_rate(text) == pytest.approx(hs)


@pytest.mark.parametrize("junk", ["", "fast", None, [], {"a": 1}, True])
def test_unreadable_hashrates_are_none(junk):
    assert ckpool_files.parse_rate(junk) is None


def test_suffix_string_rounds_like_ckpool():
    assert suffix_string(999) == "999"
    assert suffix_string(1.23e12) == "1.23T"
    assert suffix_string(999.7e9) == "1e+03G"  # %.3g rounding just under a boundary
    assert ckpool_files.parse_rate(suffix_string(999.7e9)) == 1e12


def test_a_half_written_file_is_retried(tmp_path):
    path = tmp_path / "pool.status"
    full = ('{"runtime": 60, "lastupdate": 1, "Users": 1, "Workers": 1, "Idle": 0, "Disconnected": 0}\n'
            '{"hashrate1m": "1.5T", "hashrate5m": "0", "hashrate15m": "0", "hashrate1hr": "0", "hashrate6hr": "0", '
            '"hashrate1d": "0", "hashrate7d": "0"}\n{"diff": 0.5, "accepted": 10, "rejected": 1, "bestshare": 7, '
            '"SPS1m": 0.1, "SPS5m": 0.1, "SPS15m": 0.1, "SPS1h": 0.1}\n')
    path.write_text(full[:70])
    threading.Timer(0.08, lambda: path.write_text(full)).start()  # ckpool finishes its write
    data, note = ckpool_files.read_file(str(path), ckpool_files.parse_pool_status, tries=10, pause=0.05)
    assert data["hashrate1m"] == "1.5T" and data["accepted"] == 10 and note == ""


def test_a_file_still_half_written_shows_the_previous_reading(tmp_path):
    path = tmp_path / "alice"
    path.write_text('{"hashrate1m": "1T", "worker": []}\n')
    first, _ = ckpool_files.read_file(str(path), ckpool_files.parse_user, pause=0)
    path.write_text('{"hashrate1m": "2T", "wor')
    again, note = ckpool_files.read_file(str(path), ckpool_files.parse_user, pause=0)
    assert again == first and "being rewritten" in note
    path2 = tmp_path / "never-good"
    path2.write_text("")
    with pytest.raises(BadReplyError, match="could not be read after 5 tries"):
        ckpool_files.read_file(str(path2), ckpool_files.parse_user, pause=0)


def test_polling_through_many_rewrites_never_fails(pool, bg):
    pool.faults = {"half"}
    pool.interval = 0.05
    bg.run(pool.write_files())
    task = bg.run(_start_rewriting(pool))
    try:
        for _ in range(15):
            sections, _ = poll(pool)
            assert sections["POOLSTATUS"][0]["Users"] == 2
    finally:
        bg.loop.call_soon_threadsafe(task.cancel)


async def _start_rewriting(sim):
    return asyncio.ensure_future(sim._rewrite_forever())


# ---------------------------------------------------------------- sections


def test_sections_from_the_files_and_the_sockets(pool):
    pool.users = {"alice": [Worker("alice.s19", 95e12), Worker("alice_bitaxe", 1.2e12),
                            Worker("alice.old", 0, idle=True)],
                  "bc1qδ": [Worker("bc1qδ.rig1", 13.5e12)]}
    pool.faults = {"bigrate"}
    asyncio.run(_write(pool))
    sections, statuses = poll(pool)
    status = sections["POOLSTATUS"][0]
    assert status["MHS 1m"] == 1e6  # "1e+03G"
    assert status["Users"] == 2 and status["Workers"] == 4 and status["Idle"] == 1
    assert {status[s] for s in ("Listener", "Stratifier", "Connector", "Generator")} == {"up"}
    assert status["Clients"] == 4 and len(status["Best Block"]) == 64
    # a non-ASCII user file; and the demo user's file from the first write stays, as ckpool never deletes them
    assert sorted(u["User"] for u in sections["USERS"]) == ["alice", "bc1qdemoaddress0", "bc1qδ"]
    workers = {w["Worker"]: w for w in sections["WORKERS"]}
    assert {"alice.s19", "alice_bitaxe",
            "bc1qδ.rig1"} <= set(workers) and "alice.old" not in workers  # idle > 600,000 s: left out, as ckpool does
    assert workers["alice_bitaxe"]["User"] == "alice"
    assert workers["alice.s19"]["MHS 1hr"] == pytest.approx(95e6, rel=0.05)
    summary = sections["SUMMARY"][0]
    assert summary["Workers"] == 4 and summary["MHS av"] == status["MHS 1hr"]
    assert statuses["summary"]["STATUS"] == "S"


async def _write(sim):
    await sim.write_files()


def test_a_dead_generator_is_shown_not_fatal(pool, bg):
    async def close_generator():
        pool.servers["generator"].close()
        os.unlink(os.path.join(pool.sockdir, "generator"))
    bg.run(close_generator())
    sections, statuses = poll(pool)
    assert sections["POOLSTATUS"][0]["Generator"] == "down"
    assert sections["POOLSTATUS"][0]["Best Block"] is None
    assert "does not exist" in statuses["generator"]["Msg"]


def test_after_shutdown_the_stale_sockets_mean_pool_down(pool, bg):
    assert asyncio.run(ckpool.command(pool.rig, "shutdown", {}, **FAST)) == ("S", "ckpool is shutting down.")
    wait_for(lambda: not os.path.exists(os.path.join(pool.sockdir, "main.pid")), 5, "ckpool to exit")
    assert os.path.exists(os.path.join(pool.sockdir, "listener"))  # left behind, as ckpool does
    with pytest.raises(ConnectError, match="ckpool is not running"):
        poll(pool)


def test_missing_logs_directory_is_explained(pool, tmp_path):
    pool.rig.logdir = str(tmp_path / "elsewhere")
    with pytest.raises(ConnectError, match="pool.status does not exist: is the rig's logs directory ckpool's logdir"):
        poll(pool)


# ---------------------------------------------------------------- control through the panel


@pytest.mark.django_db(transaction=True)
@override_settings(RIG_TIMEOUT=2.0, RIG_CONNECT_TIMEOUT=1.0)
def test_sys_controls_ckpool_and_every_command_is_audited(pool):
    rig = Rig.objects.create(name="pool", kind="ckpool", host="localhost", path=pool.sockdir, logdir=pool.logdir)
    results, _ = asyncio.run(poller.poll_once())
    assert results[0].ok, results[0].error
    assert Snapshot.objects.get(rig=rig).sections["WORKERS"]
    alice = User.objects.create_user("alice", "", "pw")
    alice.groups.add(Group.objects.get_or_create(name="sys")[0])
    bob = User.objects.create_user("bob", "", "pw")
    c = Client()
    c.force_login(bob)
    assert c.post(f"/rigs/{rig.pk}/command/", {"command": "loglevel", "level": "7"}).status_code == 403
    c.force_login(alice)
    page = c.get(f"/rigs/{rig.pk}/").content.decode()
    assert "Where these numbers come from" in page and "never sends getuser=" in page
    assert 'value="loglevel"' in page and 'value="shutdown"' in page and 'value="switchpool"' not in page
    c.post(f"/rigs/{rig.pk}/command/", {"command": "loglevel", "level": "7", "confirm": "yes"})
    assert pool.loglevel == 7
    c.post(f"/rigs/{rig.pk}/command/", {"command": "loglevel", "level": "9", "confirm": "yes"})
    assert pool.loglevel == 7
    c.post(f"/rigs/{rig.pk}/command/", {"command": "reject"})  # dangerous: not confirmed
    assert pool.accepting
    c.post(f"/rigs/{rig.pk}/command/", {"command": "reject", "confirm": "yes"})
    assert not pool.accepting
    c.post(f"/rigs/{rig.pk}/command/", {"command": "resetshares", "confirm": "yes"})
    assert ("resetshares", "") in pool.events
    log = [(e.command, e.outcome) for e in AuditEntry.objects.order_by("id")]
    assert log == [("loglevel", "refused"), ("loglevel", "S"), ("loglevel", "invalid"), ("reject", "refused"),
                   ("reject", "S"), ("resetshares", "S")]


@pytest.mark.django_db
def test_a_ckpool_rig_needs_absolute_directories():
    from django.core.exceptions import ValidationError

    rig = Rig(name="p", kind="ckpool", path="tmp/ckpool", logdir="")
    with pytest.raises(ValidationError) as exc:
        rig.full_clean()
    assert "path" in exc.value.message_dict and "logdir" in exc.value.message_dict
    rig = Rig(name="p", kind="ckpool", host="", path="/tmp/ckpool", logdir="/srv/ckpool/logs")
    rig.full_clean(exclude=["host"])
    assert rig.host == "localhost" and rig.address == "/tmp/ckpool"


@pytest.mark.django_db(transaction=True)
@override_settings(RIG_TIMEOUT=2.0, RIG_CONNECT_TIMEOUT=1.0)
def test_summary_and_the_ckpool_custom_page_show_the_pool(pool):
    from custompages.builtin import create
    from custompages.models import CustomPage, PageSection
    from rigs.drivers.ckpool import CUSTOM_PAGES

    create(CustomPage, PageSection, CUSTOM_PAGES[0])  # transactional tests lose what migrations created
    Rig.objects.create(name="pool", kind="ckpool", host="localhost", path=pool.sockdir, logdir=pool.logdir)
    asyncio.run(poller.poll_once())
    bob = User.objects.create_user("bob", "", "pw")
    c = Client()
    c.force_login(bob)
    summary = c.get("/?all=1").content.decode()
    assert "ckpool pool" in summary and "alice.s19" in summary and "unix sockets" in summary
    page = c.get("/pages/ckpool/").content.decode()
    assert "alice_bitaxe" in page and "% of user" in page and "bc1qdemoaddress0.rig2" in page
    assert "TH/s" in page  # ckpool's "95T" read as a rate and formatted


@pytest.mark.django_db(transaction=True)
@override_settings(RIG_TIMEOUT=2.0, RIG_CONNECT_TIMEOUT=1.0)
def test_the_api_reads_ckpool_sections_stored_and_fresh(pool):
    from minerpanel.models import ApiToken

    Rig.objects.create(name="pool", kind="ckpool", host="localhost", path=pool.sockdir, logdir=pool.logdir)
    asyncio.run(poller.poll_once())
    _, text = ApiToken.issue(User.objects.create_user("bob", "", "pw"), "script")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {text}"}
    c = Client()
    data = c.get("/api/rigs/pool/poolstatus+workers/", **auth).json()
    assert data["poolstatus"][0]["POOLSTATUS"][0]["Users"] == 2
    assert {w["Worker"] for w in data["workers"][0]["WORKERS"]} >= {"alice.s19", "alice_bitaxe"}
    pool.loglevel = 5
    fresh = c.get("/api/rigs/pool/summary/?fresh=1", **auth).json()
    assert fresh["STATUS"][0]["STATUS"] == "S" and fresh["SUMMARY"][0]["Workers"] == 5
    assert c.get("/api/rigs/pool/summary/0?fresh=1", **auth).status_code == 400
    assert pool.phantoms == set()


def test_restart_answers_then_refuses_briefly_then_serves_again(pool):
    restarting = ("S", "ckpool is restarting (handover to a new process).")
    assert asyncio.run(ckpool.command(pool.rig, "restart", {}, **FAST)) == restarting

    def refuses():  # a bare connect to the listener's socket, asking nothing
        with socket.socket(socket.AF_UNIX) as probe:
            try:
                probe.connect(os.path.join(pool.sockdir, "listener"))
            except ConnectionRefusedError:
                return True
        return False

    wait_for(refuses, 5, "the old process to let go of its sockets")
    with pytest.raises(ConnectError, match="refused"):
        poll(pool)
    wait_for(lambda: not refuses(), 5, "the new process to listen")
    assert poll(pool)[0]["POOLSTATUS"][0]["Listener"] == "up"
    assert ("restart", "") in pool.events


def test_a_slow_ckpool_times_out_with_a_clear_message(pool):
    pool.delay = 1.5
    with pytest.raises(TimeoutError_, match="listener: no reply within 0.5 s"):
        asyncio.run(ckpool.poll(pool.rig, timeout=0.5))
