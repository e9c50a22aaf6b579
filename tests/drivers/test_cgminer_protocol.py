"""Parsing what real miners send, byte for byte, and what broken firmwares send."""

import pytest

from rigs.drivers.cgminer.protocol import (
    BadReplyError,
    NoReplyError,
    as_bool,
    as_number,
    encode_request,
    escape_param,
    parse_reply,
    split_escaped,
)
from tests.conftest import BFG, CGM, fixture_bytes


def parse_fixture(folder, name):
    fmt = "json" if name.endswith(".json.raw") else "text"
    command = name.rsplit(".", 2)[0].replace("_", "|").split("|")[0]
    return parse_reply(fixture_bytes(folder / name), command, fmt)


def test_json_summary_of_bfgminer():
    reply = parse_fixture(BFG, "summary.json.raw")["summary"]
    assert reply.letter == "S" and reply.code == 11
    summary = reply.sections["SUMMARY"][0]
    assert summary["MHS av"] == 0.833
    assert summary["Accepted"] == 10
    assert summary["Difficulty Stale"] == 0 and isinstance(summary["Difficulty Stale"], int)
    assert summary["Best Share"] == 0.08441766


def test_text_summary_parses_like_json():
    j = parse_fixture(BFG, "summary.json.raw")["summary"]
    t = parse_fixture(BFG, "summary.txt.raw")["summary"]
    assert t.sections == j.sections
    assert t.status == j.status


@pytest.mark.parametrize("folder", [BFG, CGM], ids=["bfgminer", "cgminer"])
def test_every_json_and_text_pair_parses_to_the_same_structure(folder):
    compared = 0
    for jpath in sorted(folder.glob("*.json.raw")):
        tpath = folder / jpath.name.replace(".json.raw", ".txt.raw")
        if not tpath.exists() or "after-join" in jpath.name or not jpath.stat().st_size:
            continue
        name = jpath.name[: -len(".json.raw")]
        if name.startswith(("devs-t", "summary-t")):
            continue  # captured at different moments
        command = name.split("_")[0]
        j = parse_reply(jpath.read_bytes(), command, "json")
        t = parse_reply(tpath.read_bytes(), command, "text")
        assert set(j) == set(t), name
        for c in j:
            js, ts = dict(j[c].status), dict(t[c].status)
            js.pop("When", None), ts.pop("When", None)
            assert js == ts, name
            assert j[c].sections == t[c].sections, name
        compared += 1
    assert compared > 30


def test_text_pools_section_is_named_like_json():
    t = parse_fixture(BFG, "pools.txt.raw")["pools"]
    assert [p["POOL"] for p in t.sections["POOLS"]] == [0, 1]
    assert t.sections["POOLS"][0]["Stratum Active"] is True
    assert t.sections["POOLS"][0]["Long Poll"] == "N"


def test_joined_json_uses_an_array_per_command():
    replies = parse_fixture(BFG, "summary+pools+devs.json.raw")
    assert list(replies) == ["summary", "pools", "devs"]
    assert replies["pools"].sections["POOLS"][1]["URL"] == "stratum+tcp://127.0.0.1:3334"
    assert replies["devs"].sections["DEVS"][0]["Name"] == "CPU"


def test_joined_text_uses_cmd_markers():
    replies = parse_fixture(BFG, "summary+pools+devs.txt.raw")
    assert list(replies) == ["summary", "pools", "devs"]
    assert replies["devs"].sections["DEVS"][0]["MHS av"] == 0.845


def test_join_member_errors_are_per_command():
    replies = parse_reply(fixture_bytes(BFG / "summary+badcmd.json.raw"), "summary+badcmd")
    assert replies["summary"].ok
    assert replies["badcmd"].code == 14 and not replies["badcmd"].ok
    replies = parse_reply(fixture_bytes(BFG / "summary+addpool.json.raw"), "summary+addpool")
    assert replies["addpool"].code == 45


def test_join_with_duplicates_and_blanks():
    replies = parse_reply(fixture_bytes(BFG / "+devs++.json.raw"), "+devs++")
    assert list(replies) == ["devs"]
    replies = parse_reply(fixture_bytes(CGM / "devs+devs.json.raw"), "devs+devs")
    assert replies["devs"].code == 10  # cgminer without devices: "No ASCs"


def test_cgminer_without_devices_has_no_devs_section():
    reply = parse_fixture(CGM, "devs.json.raw")["devs"]
    assert reply.msg == "No ASCs" and reply.sections == {}


def test_second_blob_after_nul_is_ignored():
    raw = fixture_bytes(CGM / "malformed-json-after-join.json.raw")
    assert raw.count(b"\0") == 2
    reply = parse_reply(raw, "x")["x"]
    assert reply.code == 23 and reply.msg == "Invalid JSON"


def test_cgminer_invalid_command_has_no_description():
    reply = parse_fixture(CGM, "unknown-command.txt.raw")["unknown-command"]
    assert reply.code == 14 and "Description" not in reply.status


def test_devdetails_section_has_one_name_for_both_miners():
    reply = parse_fixture(BFG, "devdetails.json.raw")["devdetails"]
    assert list(reply.sections) == ["DEVDETAILS"]
    assert reply.sections["DEVDETAILS"][0]["Driver"] == "cpu"


def test_two_to_the_64_is_exact():
    raw = fixture_bytes(BFG / "benchmark-mode" / "coin.json.raw")
    coin = parse_reply(raw, "coin")["coin"].sections["COIN"][0]
    assert coin["Network Difficulty"] == 2**64


def test_escaped_pool_user_in_both_formats():
    folder = BFG / "pool-sequence-json"
    j = parse_reply(fixture_bytes(folder / "25-pools-with-escaped-user.json.raw"), "pools")["pools"]
    t = parse_reply(fixture_bytes(BFG / "pool-sequence-txt" / "25-pools-with-escaped-user.txt.raw"), "pools",
                    "text")["pools"]
    users = [p["User"] for p in j.sections["POOLS"]]
    assert 'a,b|c=d\\e"f' in users
    assert [p["User"] for p in t.sections["POOLS"]] == users


def test_blocked_address_gets_zero_bytes():
    raw = fixture_bytes(BFG / "not-allowed-source-127.0.0.2.json.raw")
    assert raw == b""
    with pytest.raises(NoReplyError, match="--api-allow"):
        parse_reply(raw, "summary")


# ------------------------------------------------------------ broken firmwares


def test_trailing_commas_and_glued_objects():
    raw = b'{"STATUS":[{"STATUS":"S","Code":70,"Msg":"stats",}],"STATS":[{"ID":"A",}{"ID":"B"},],"id":1}\0'
    reply = parse_reply(raw, "stats")["stats"]
    assert [r["ID"] for r in reply.sections["STATS"]] == ["A", "B"]


def test_inf_and_nan():
    raw = (b'{"STATUS":[{"STATUS":"S","Code":11,"Msg":"Summary"}],'
           b'"SUMMARY":[{"MHS av":inf,"MHS 5s":nan,"Utility":-inf,"Note":"inf"}],"id":1}\0')
    s = parse_reply(raw, "summary")["summary"].sections["SUMMARY"][0]
    assert s["MHS av"] is None and s["MHS 5s"] is None and s["Utility"] is None
    assert s["Note"] == "inf"
    assert as_number("inf") is None and as_number("nan") is None


def test_invalid_utf8_is_replaced():
    raw = (b'{"STATUS":[{"STATUS":"S","Code":7,"Msg":"1 Pool(s)"}],'
           b'"POOLS":[{"POOL":0,"User":"w\xff\xfeorker"}],"id":1}\0')
    pool = parse_reply(raw, "pools")["pools"].sections["POOLS"][0]
    assert pool["User"].startswith("w") and pool["User"].endswith("orker")


def test_status_as_a_string_after_quit():
    assert parse_reply(b'{"STATUS":"BYE","id":1}\0', "quit")["quit"].msg == "BYE"
    assert parse_reply(b"BYE\0", "quit", "text")["quit"].ok


def test_truncated_json_names_the_byte():
    raw = fixture_bytes(BFG / "summary.json.raw")[:300]
    with pytest.raises(BadReplyError, match=r"not valid JSON at byte \d+"):
        parse_reply(raw, "summary")


def test_garbage_is_a_clear_error():
    with pytest.raises(BadReplyError):
        parse_reply(b"\x89PNG\r\n garbage\0", "summary", "text")
    with pytest.raises(BadReplyError):
        parse_reply(b"<html><body>Login</body></html>", "summary")


def test_values_of_both_kinds():
    assert as_bool("Y") and as_bool(True) and not as_bool("N") and not as_bool(False)
    assert as_number(0) == 0.0 and as_number(0.044) == 0.044 and as_number("Y") is None
    assert as_number(True) is None


# ------------------------------------------------------------ requests


def test_requests_are_one_write_without_newline():
    assert encode_request("summary") == b'{"command":"summary"}'
    assert encode_request("pga", 0) == b'{"command":"pga","parameter":"0"}'
    assert encode_request("switchpool", 1, "text") == b"switchpool|1"


def test_addpool_values_are_escaped():
    assert escape_param("a,b\\c") == "a\\,b\\\\c"
    param = ",".join(escape_param(v) for v in ["stratum+tcp://h:3333", "u,1", "p\\2"])
    assert split_escaped(param, ",") == ["stratum+tcp://h:3333", "u\\,1", "p\\\\2"]


def test_the_end_of_a_json_reply_is_found_whichever_way_it_is_cut():
    from rigs.drivers.cgminer.protocol import JsonEnd

    reply = b'  {"STATUS":[{"Msg":"a \\" } ] { [ b"}],"DEVS":[{"x":[1,2]}]}\n'
    ends = len(reply) - 1  # the closing brace, before the newline
    for cut in range(1, len(reply)):
        end = JsonEnd()
        assert (end.feed(reply[:cut]), end.feed(reply[cut:])) == (cut >= ends, True)
    for other in (b"", b"  ", b"STATUS=S|", b'{"a":[1,2]', b'["}"'):
        assert JsonEnd().feed(other) is False


def test_a_huge_broken_reply_is_refused_rather_than_repaired_in_the_event_loop():
    from rigs.drivers.cgminer.repair import REPAIR_LIMIT, load_json

    assert load_json('{"a":[1,2,],}') == {"a": [1, 2]}  # small ones are still repaired
    huge = '{"a":[' + "1," * (REPAIR_LIMIT // 2) + "]}"
    with pytest.raises(BadReplyError, match="too large to repair"):
        load_json(huge)


def test_split_escaped_is_the_plain_split_without_escapes_and_huge_text_replies_are_refused():
    from rigs.drivers.cgminer.protocol import TEXT_LIMIT, from_text

    for text in ("a,b,,c", "", ",", "a=1,b=2"):
        for limit in (-1, 0, 1, 2):
            assert split_escaped(text, ",", limit) == text.split(",", limit)
    assert split_escaped("a\\,b,c", ",") == ["a\\,b", "c"]
    with pytest.raises(BadReplyError, match="text reply larger than"):
        from_text("STATUS=S,When=1,Code=11,Msg=Summary|" + "SUMMARY,Elapsed=1|" * (TEXT_LIMIT // 10), "summary")
