"""The client against the simulator: both formats, joins, and every fault."""

import asyncio

import pytest

from rigs.drivers.cgminer import client
from rigs.drivers.cgminer.client import RigAPI
from rigs.drivers.cgminer.protocol import BadReplyError, ConnectError, NoReplyError, TimeoutError_, TooLargeError
from rigs.simulators.cgminer import HTML_PAYLOAD, SimRig

FAST = {"connect_timeout": 1.0, "timeout": 1.0}


def call(farm, i, command, parameter=None, **kw):
    return asyncio.run(client.call("127.0.0.1", farm.port(i), command, parameter, **{**FAST, **kw}))


def test_json_and_text_give_the_same_sections(farm):
    f = farm(SimRig(flavour="bfgminer", devices=2, pools=2))
    j = call(f, 0, "pools")
    t = call(f, 0, "pools", fmt="text")
    assert [p["URL"] for p in j.sections["POOLS"]] == [p["URL"] for p in t.sections["POOLS"]]
    assert j.sections["POOLS"][0]["Stratum Active"] is True


def test_joined_query_is_one_request(farm):
    f = farm(SimRig(flavour="cgminer", devices=3, pools=2))
    replies, joined = asyncio.run(client.query("127.0.0.1", f.port(0), ["summary", "devs", "pools"], **FAST))
    assert joined is True
    assert len(replies["devs"].sections["DEVS"]) == 3
    assert replies["summary"].sections["SUMMARY"][0]["Accepted"] > 0


def test_old_api_falls_back_to_one_command_per_connection(farm):
    f = farm(SimRig(flavour="oldcgminer", devices=2, pools=1))
    replies, joined = asyncio.run(client.query("127.0.0.1", f.port(0), ["summary", "devs"], **FAST))
    assert joined is False
    assert replies["summary"].ok and len(replies["devs"].sections["DEVS"]) == 2


def test_connection_refused(farm):
    f = farm(SimRig(fault="refuse"))
    with pytest.raises(ConnectError, match="connection refused"):
        call(f, 0, "summary")


def test_hung_rig_times_out(farm):
    f = farm(SimRig(fault="hang"))
    with pytest.raises(TimeoutError_, match="no reply within 1 s"):
        call(f, 0, "summary")


def test_slow_drip_hits_the_total_deadline(farm):
    f = farm(SimRig(fault="drip"))
    with pytest.raises(TimeoutError_):
        call(f, 0, "summary")


def test_garbage(farm):
    f = farm(SimRig(fault="garbage"))
    with pytest.raises(BadReplyError):
        call(f, 0, "summary", fmt="text")
    with pytest.raises(BadReplyError):
        call(f, 0, "summary")


def test_truncated_json(farm):
    f = farm(SimRig(fault="truncated"))
    with pytest.raises(BadReplyError, match="not valid JSON at byte"):
        call(f, 0, "summary")


def test_oversized_reply_is_cut_off(farm):
    f = farm(SimRig(fault="oversize"))
    with pytest.raises(TooLargeError, match="larger than 1 MB"):
        call(f, 0, "summary", max_reply=1024 * 1024, timeout=5)


def test_blocked_address(farm):
    f = farm(SimRig(access="deny"))
    with pytest.raises(NoReplyError, match="--api-allow"):
        call(f, 0, "summary")


def test_hostile_strings_arrive_unchanged(farm):
    """Escaping is the pages' job; the client must not lose or mangle data."""
    f = farm(SimRig(fault="html", pools=1))
    pools = call(f, 0, "pools").sections["POOLS"]
    assert pools[0]["User"] == HTML_PAYLOAD


def test_sync_facade(farm):
    f = farm(SimRig(flavour="cgminer", devices=2, pools=2))
    api = RigAPI("127.0.0.1", f.port(0), timeout=2)
    summary = api.summary()
    assert summary["STATUS"][0]["Msg"] == "Summary" and "SUMMARY" in summary
    assert api.asc(1)["ASC"][0]["ID"] == 1
    assert api.command("switchpool", 1)["STATUS"][0]["Code"] == 27
    added = api.command("addpool", "stratum+tcp://new.example:3333,w,p")
    assert added["STATUS"][0]["Code"] == 55


def test_unreachable_host_is_a_rig_error():
    with pytest.raises(ConnectError):
        asyncio.run(client.call("127.0.0.1", 1, "summary", **FAST))


def test_a_full_listen_queue_is_a_connection_timeout():
    """A rig that never completes the handshake (its accept queue is full: SYNs are dropped)."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    waiting = [socket.create_connection(("127.0.0.1", port), timeout=1)]
    try:
        for _ in range(3):  # fill the queue; later connections wait for a SYN-ACK that never comes
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            waiting.append(s)
        with pytest.raises(TimeoutError_, match="no connection within 1 s"):
            asyncio.run(client.call("127.0.0.1", port, "summary", **FAST))
    finally:
        for s in waiting:
            s.close()
        server.close()


def test_a_name_is_looked_up_and_each_address_tried(farm, monkeypatch):
    f = farm(SimRig(flavour="cgminer"))

    async def lookup(self, host, port, **kw):  # no resolver: the test stays on loopback
        assert host == "rig.example"
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", port, 0, 0)),  # refused or not there
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    import socket

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", lookup)
    assert asyncio.run(client.call("rig.example", f.port(0), "summary", **FAST)).ok

    async def unknown(self, host, port, **kw):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", unknown)
    with pytest.raises(ConnectError, match="cannot connect: Name or service not known"):
        asyncio.run(client.call("rig.example", f.port(0), "summary", **FAST))


def test_a_failing_end_of_reply_check_fails_the_exchange_at_once(farm):
    f = farm(SimRig(flavour="cgminer"))

    def broken(data):
        raise ValueError("broken framing")

    started = asyncio.run(_timed(client.exchange("127.0.0.1", f.port(0), b'{"command":"summary"}', complete=broken,
                                                 timeout=5)))
    assert isinstance(started[0], ValueError) and started[1] < 2  # not the 5 s timeout


def test_a_name_without_addresses_is_a_rig_error(monkeypatch):
    async def nothing(self, host, port, **kw):
        return []

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", nothing)
    with pytest.raises(ConnectError, match="has no address"):
        asyncio.run(client.call("rig.example", 4028, "summary", **FAST))


async def _timed(coro):
    import time

    t = time.monotonic()
    try:
        await coro
        return None, time.monotonic() - t
    except Exception as exc:
        return exc, time.monotonic() - t


@pytest.mark.no_cover  # it measures CPU time, which tracing multiplies
def test_a_rig_sending_megabytes_in_newline_ended_pieces_costs_one_scan():
    """Each piece ending in a newline makes the client ask whether the JSON is whole. Scanning all
    that came so far each time held the event loop, and every other rig with it, for tens of
    seconds of CPU per such rig; each byte is now scanned once (about 0.3 s for these 6 MB)."""
    import time

    async def hostile(reader, writer):
        await reader.read(100)
        piece = b"[\n" * 4096  # 8 kB, never a whole array
        try:
            for _ in range(800):
                writer.write(piece)
                await writer.drain()
        except ConnectionError:
            pass
        writer.close()

    async def go():
        server = await asyncio.start_server(hostile, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            with pytest.raises(TooLargeError):
                await client.exchange("127.0.0.1", port, b"{}", timeout=60, max_reply=6 * 2**20)
        finally:
            server.close()

    cpu = time.process_time()
    asyncio.run(go())
    assert time.process_time() - cpu < 3  # the old scan: tens of seconds
