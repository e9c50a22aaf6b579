"""The orjson fast path gives what the standard library gives, in parsing and in storage."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rigs.drivers import fastjson
from rigs.drivers.cgminer.protocol import load_json
from rigs.models import Rig, Snapshot

values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(values)
def test_same_as_the_standard_library(value):
    text = json.dumps(value)
    assert json.loads(text, cls=fastjson.Decoder) == json.loads(text)
    assert json.loads(json.dumps(value, cls=fastjson.Encoder)) == fastjson.storable(value)  # NUL: U+FFFD


def test_integers_beyond_64_bits_stay_exact():
    for n in (2**64, 2**70, -(2**70), 2**64 - 1, -(2**63) - 1):
        obj = load_json(f'{{"STATUS":[{{"STATUS":"S"}}],"COIN":[{{"Network Difficulty":{n}}}]}}')
        assert obj["COIN"][0]["Network Difficulty"] == n and isinstance(obj["COIN"][0]["Network Difficulty"], int)
    assert load_json('{"a":NaN,"b":1,}') == {"a": None, "b": 1}  # the repairs still apply


@pytest.mark.django_db
def test_a_snapshot_keeps_big_integers_and_text():
    rig = Rig.objects.create(name="x", host="127.0.0.1", port=1)
    sections = {"COIN": [{"Network Difficulty": 2**70, "Hash Method": "sha256 ✓ \u00e9"}], "SUMMARY": [{"MHS av": 1.5}]}
    Snapshot.objects.create(rig=rig, sections=sections, brief={"n": 2**64})
    snap = Snapshot.objects.get(rig=rig)
    assert snap.sections == sections and snap.brief == {"n": 2**64}


def test_strings_of_zeros_keep_the_fast_path_and_big_numbers_do_not():
    block = '{"COIN":[{"Current Block Hash":"%064x","Network Difficulty":%d}]}'
    assert fastjson.loads(block % (7, 2**40)) is not None  # a hash is text, not a number
    assert fastjson.loads(block % (7, 2**64)) is None  # the standard library keeps it exact
    assert fastjson.loads('{"a":[1, -%d]}' % (2**63 + 1)) is None  # noqa: UP031 (JSON braces)
    assert fastjson.loads('{"a":"-%d"}' % (2**63 + 1)) is not None  # noqa: UP031 (JSON braces)


@given(st.lists(st.text(alphabet="0123456789-:,[ x\"", max_size=30), max_size=5), st.integers(-(2**80), 2**80))
def test_digits_in_strings_beside_numbers_parse_as_the_standard_library(texts, number):
    text = json.dumps({"texts": texts, "n": number, "list": [number, *texts]})
    assert json.loads(text, cls=fastjson.Decoder) == json.loads(text)


def test_only_nul_characters_change_when_stored():
    value = {"User": "a\x00b", "k\x00": ["\\u0000", 2**70], "ok": "\ufffd"}
    assert json.loads(fastjson.Encoder().encode(value)) == {"User": "a\ufffdb", "k\ufffd": ["\\u0000", 2**70],
                                                          "ok": "\ufffd"}
