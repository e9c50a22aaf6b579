"""Numbers as the rig wrote them (rigs/readings/digits.py): every cell of the real cgminer and bfgminer replies
as miner.php prints it, learned decimals, and the poller learning them now and then."""

import math
import pickle
from datetime import UTC, datetime

import pytest

from rigs.drivers.cgminer import stored
from rigs.drivers.cgminer.protocol import from_text, parse_reply
from rigs.readings import digits
from rigs.web.display import as_sent
from rigs.web.field_display import RATE_PREFIX, RATE_WINDOWS, fmt, rate_title
from rigs.web.php import number_format, php_str
from tests.conftest import BFG, CGM, fixture_bytes

COMMANDS = ("version", "config", "summary", "devs", "pools", "notify", "devdetails", "stats", "coin", "edevs",
            "estats", "procs")


# ------------------------------------------------- miner.php's fmt(), from its code (cgminer's miner.php)

def _num(text):
    try:
        return float(text)
    except ValueError:
        return None


def _is_zero(text):  # PHP 8's $value == 0: numeric strings by value, others never
    return _num(text) == 0


def _date(text, pattern):
    return datetime.fromtimestamp(int(float(text)), UTC).strftime(pattern)


def _thousands(text, endzero=False):
    whole, dot, dec = text.partition(".")
    if endzero and dot:
        dec = dec.rstrip("0") or "0"
    return number_format(float(whole)) + (f".{dec}" if dot else "")


def _elapsed(text):
    s = int(float(text))
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    if d:
        return f"{d}day{'' if d == 1 else 's'} {h:02d}h {m:02d}m {s:02d}s"
    return f"{h}h {m:02d}m {s:02d}s" if h else f"{m}m {s:02d}s" if m else f"{s}s"


MINERPHP_MHS = ("MHS av", "MHS 5s", "MHS 1m", "MHS 5m", "MHS 15m")
THOUSANDS = ("Total MH", "Getworks", "Works", "Accepted", "Rejected", "Local Work", "Discarded", "Diff1 Shares",
             "Diff1 Work", "Times Sent", "Bytes Sent", "Net Bytes Sent", "Times Recv", "Bytes Recv", "Net Bytes Recv")
ENDZERO = ("Hs", "W", "history_time", "Pool Wait", "Pool Max", "Pool Min", "Pool Av", "Min Diff", "Max Diff",
           "Work Diff")


def minerphp_cell(section, name, value, when, row):
    """The text of miner.php's fmt($section, $name, $value, $when, $alldata) for a value as the text
    reply carries it (&nbsp; read as a space, an empty cell as '', &deg; as °)."""
    if name == "Last Share Time":
        if section == "POOL":
            return "Never" if _is_zero(value) else _date(value, "%H:%M:%S %d-%b")
        if _is_zero(value) or _num(row.get("Last Share Pool", "")) == -1:
            return "Never"
        return _date(value, "%H:%M:%S")
    if name in ("Last getwork", "Last Valid Work"):
        return "Never" if _is_zero(value) else f"{php_str(int(value) - int(when))}s"
    if name == "Last Share Pool":
        return "None" if _num(value) == -1 else value
    if name in ("Elapsed", "Device Elapsed"):
        return _elapsed(value)
    if name in ("Last Well", "Last Not Well"):
        return "Never" if value == "0" else _date(value, "%H:%M:%S")
    if name in ("Utility", "Work Utility"):
        return number_format(float(value), 2) + "/m"
    if name == "Temperature":
        return "" if "GPU" not in row and _is_zero(value) else f"{value}°C"
    if name in MINERPHP_MHS or name in THOUSANDS:
        return _thousands(value)
    if name in ENDZERO:
        return _thousands(value, endzero=True)
    if name in ("When", "Current Block Time"):
        t = datetime.fromtimestamp(int(float(value)), UTC)  # $dfmt, 'H:i:s j-M-Y UTCP'
        return f"{t:%H:%M:%S} {t.day}-{t:%b-%Y} UTC+00:00"
    if name in ("Last Share Difficulty", "Difficulty Accepted", "Difficulty Rejected", "Difficulty Stale"):
        return number_format(float(value), 2) if value != "" else ""
    if name in ("Device Hardware%", "Device Rejected%", "Pool Rejected%", "Pool Stale%"):
        return number_format(float(value), 2) + "%" if value != "" else ""
    if name in ("Best Share", "Hardware Errors"):
        return number_format(float(value)) if value != "" else ""
    return value  # every other field: as the rig sent it


def minerphp_read(raw):
    """miner.php's api(): the text reply split on | , = (escapes kept apart), {item name: {field: text}};
    a bare item name is field 0, which no table shows."""
    text = raw.split(b"\0")[0].decode()
    for a, b in (("\\|", "\1"), ("\\\\", "\2"), ("\\=", "\3"), ("\\,", "\4")):
        text = text.replace(a, b)
    items = []
    for obj in text.split("|"):
        if not obj:
            continue
        fields = obj.split(",")
        name, _, _ = fields[0].partition("=")
        record = {}
        for item in fields:
            key, eq, value = item.partition("=")
            if eq:
                for a, b in (("\1", "|"), ("\2", "\\"), ("\3", "="), ("\4", ",")):
                    value = value.replace(a, b)
                record[key] = value
        items.append((name, record))
    return items


# ------------------------------------------------------------------ the real replies, cell by cell

def our_tables(folder, command):
    """What the panel keeps of the JSON reply (the poller's way: parsed, decimals learned from the raw
    text, the snapshot's floats dressed), section -> records, and the reply's When."""
    raw = fixture_bytes(folder / f"{command}.json.raw")
    replies = parse_reply(raw, command)
    sections, statuses = stored(replies)
    digits.dress(sections, digits.learn([raw]))
    return sections, statuses[command].get("When", 0)


@pytest.mark.parametrize("folder", [CGM, BFG], ids=["cgminer-4.11.1", "bfgminer-5.5.0"])
def test_every_cell_of_the_real_replies_is_what_minerphp_prints(folder):
    compared = []
    for command in COMMANDS:
        ours, when = our_tables(folder, command)
        theirs = [(n, r) for n, r in minerphp_read(fixture_bytes(folder / f"{command}.txt.raw")) if n != "STATUS"]
        records = [(name, r) for name, rs in ours.items() for r in rs]
        assert len(records) == len(theirs), command
        for (section, record), (item, text_record) in zip(records, theirs):
            php_section = "".join(c for c in item if not c.isdigit())
            for key, value in record.items():
                expected = minerphp_cell(php_section, key, text_record[key], str(when), text_record)
                prefix, _, window = key.partition(" ")
                if prefix in RATE_PREFIX and window in RATE_WINDOWS:
                    # shown with its unit on purpose; miner.php's figure is the cell's title
                    shown = rate_title(key, value).removesuffix(" MH/s")
                else:
                    shown = fmt(section, key, value, when, UTC, record)[0]
                compared.append((command, section, key, text_record[key], expected, shown))
    wrong = [c for c in compared if c[4] != c[5]]
    assert not wrong, "\n".join(f"{c[0]} {c[1]}.{c[2]}: sent {c[3]!r}, miner.php {c[4]!r}, ours {c[5]!r}"
                                for c in wrong)
    assert len(compared) > 150  # cells compared: 172 of cgminer, 247 of bfgminer


def test_the_issues_examples():
    decimals = {"Wait": 6, "Temperature": 2, "Total MH": 4, "Network Difficulty": 8}
    sections = {"STATS": [{"Wait": 0.88104}], "DEVS": [{"Temperature": 44.9, "Total MH": 133882804806.79}],
                "COIN": [{"Network Difficulty": 67957790298897.88281250}]}
    digits.dress(sections, decimals)
    assert fmt("STATS", "Wait", sections["STATS"][0]["Wait"]) == ("0.881040", "")
    assert fmt("DEVS", "Temperature", sections["DEVS"][0]["Temperature"])[0] == "44.90°C"
    assert fmt("DEVS", "Total MH", sections["DEVS"][0]["Total MH"])[0] == "133,882,804,806.7900"
    assert fmt("COIN", "Network Difficulty", sections["COIN"][0]["Network Difficulty"])[0] == "67957790298897.88281250"


# ------------------------------------------------------------------ learning and dressing

def test_decimals_are_learned_alike_from_the_json_and_the_text_form():
    for folder in (CGM, BFG):
        for command in ("summary", "pools", "stats", "coin"):
            as_json = digits.learn([fixture_bytes(folder / f"{command}.json.raw")])
            assert as_json == digits.learn([fixture_bytes(folder / f"{command}.txt.raw")])
    stats = digits.learn([fixture_bytes(CGM / "stats.json.raw")])
    assert stats["Wait"] == 6 and stats["Work Diff"] == 8
    assert digits.learn([fixture_bytes(CGM / "coin.json.raw")])["Network Difficulty"] == 8


def test_a_rig_writing_the_shortest_form_has_no_decimals_to_learn():
    # Python's, Rust's, Go's JSON: 44.25 and 44.5 in one field; nothing ends in a 0 but x.0
    raw = b'{"STATUS":[{"STATUS":"S"}],"DEVS":[{"Temperature":44.25,"MHS av":12.5},{"Temperature":43.75,"MHS av":1.0}]}'
    assert digits.learn([raw]) == {}


def test_a_field_written_two_ways_keeps_its_shortest_form():
    raw = b'{"A":[{"Wait":0.000000,"Temp":44.90}],"B":[{"Wait":0.0035,"Temp":45.10}]}'
    assert digits.learn([raw]) == {"Temp": 2}


def test_a_float_holding_more_digits_than_the_rig_writes_is_the_panels_own_and_stays():
    sections = {"DEVS": [{"Temperature": 44.9, "MHS av": 123.456789, "Accepted": 10, "Name": "x"}]}
    digits.dress(sections, {"Temperature": 2, "MHS av": 2, "Accepted": 2, "Name": 2})
    dev = sections["DEVS"][0]
    assert as_sent(dev["Temperature"]) == "44.90"
    assert as_sent(dev["MHS av"]) == "123.456789"  # an average of ours: all its digits
    assert dev["Accepted"] == 10 and type(dev["Accepted"]) is int and dev["Name"] == "x"


def test_a_written_float_is_still_the_number_for_figures_and_formulas():
    t = digits.written(44.9, 2)
    assert t == 44.9 and t + 0.1 == 44.9 + 0.1 and type(t + 1) is float and math.isclose(t * 2, 89.8)
    assert repr(t) == "44.9" and t.text == "44.90"
    back = pickle.loads(pickle.dumps(t))
    assert back == t and back.text == "44.90"


def test_learning_is_bounded():
    raw = b"{" + b",".join(b'"f%d":1.50' % i for i in range(5000)) + b"}"
    assert len(digits.learn([raw])) == digits.MAX_FIELDS


def test_a_rig_is_asked_again_now_and_then_each_at_its_moment():
    assert digits.due(None, 1000, 7)
    assert not digits.due(1000, 1000 + 60, 7)
    assert digits.due(1000, 1000 + digits.LEARN_EVERY, 7)
    assert digits.due(1000, 999, 7)  # the clock went back
    moments = {next(t for t in range(1, 2 * digits.LEARN_EVERY) if digits.due(0, t, rig)) for rig in range(300)}
    assert len(moments) > 100 and max(moments) < digits.LEARN_EVERY


def test_the_text_forms_numbers_too():
    raw = b"STATUS=S,When=1,Code=9,Msg=1 ASC(s),Description=cgminer 4.11.1|ASC=0,Temperature=44.90,Total MH=1.5000|\0"
    sections = from_text(raw.split(b"\0")[0].decode(), "devs")["devs"].sections
    digits.dress(sections, digits.learn([raw]))
    assert fmt("DEVS", "Temperature", sections["DEVS"][0]["Temperature"])[0] == "44.90°C"
    assert fmt("DEVS", "Total MH", sections["DEVS"][0]["Total MH"])[0] == "1.5000"
