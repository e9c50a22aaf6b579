import zoneinfo

from rigs.formatting import expected_share_seconds, fmt, format_age, format_rate, last_share_state, thousands

UTC = zoneinfo.ZoneInfo("UTC")


def test_elapsed_like_miner_php():
    assert format_age(183845) == "2d 03h 04m 05s"
    assert format_age(3725) == "1h 02m 05s"
    assert format_age(65) == "1m 05s"
    assert format_age(5) == "5s"


def test_rates_whatever_the_unit():
    assert fmt("SUMMARY", "MHS av", 13500000.5) == ("13.50 TH/s", "")
    assert fmt("SUMMARY", "GHS 5s", "950.5") == ("950.50 GH/s", "")
    assert fmt("DEVS", "MHS 20s", 0) == ("0 H/s", "err")
    assert format_rate(0.5) == "500.00 kH/s"


def test_numbers_and_percentages():
    assert thousands(27015560.8313) == "27,015,560.8313"
    assert thousands(6133) == "6,133"
    assert fmt("POOLS", "Pool Rejected%", 2.496) == ("2.50%", "")
    assert fmt("SUMMARY", "Difficulty Accepted", 0.0200003) == ("0.02", "")
    assert fmt("DEVS", "Temperature", 0) == ("", "")
    assert fmt("DEVS", "Temperature", 71.25)[0] == "71.2°C"


def test_times_and_states():
    assert fmt("POOLS", "Last Share Time", 0, tz=UTC) == ("Never", "")
    assert fmt("DEVS", "Last Share Time", 0, tz=UTC) == ("Never", "warn")
    assert fmt("POOLS", "Last Share Time", 1795345608, tz=UTC) == ("11:06:48 22-Nov", "")
    assert fmt("DEVS", "Status", "Sick") == ("Sick", "err")
    assert fmt("DEVS", "Enabled", "N") == ("N", "warn")
    assert fmt("NOTIFY", "Reason Not Well", "None") == ("None", "")
    assert fmt("NOTIFY", "*Dev Throttle", 2) == ("2", "err")


def test_checklastshare():
    assert round(expected_share_seconds(1000.0, 1.0), 2) == 4.29
    rec = {"MHS av": 1000.0, "Last Share Difficulty": 1.0, "Last Share Time": 1000}
    assert last_share_state(rec, 1000 + 60) == "err"    # 14x
    assert last_share_state(rec, 1000 + 40) == "warn"   # 9.3x
    assert last_share_state(rec, 1000 + 10) == ""
    assert last_share_state({**rec, "MHS av": 0}, 2000) == ""
    assert last_share_state({**rec, "Last Share Time": 0}, 2000) == ""
