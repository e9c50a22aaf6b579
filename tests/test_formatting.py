"""fmt() as miner.php's: each case is the value a rig sends and the cell miner.php shows,
worked out from miner.php's fmt(), showdatetime() and PHP's number printing."""

import zoneinfo

from rigs.web.display import (
    date_box,
    expected_share_seconds,
    format_age,
    format_rate,
    last_share_state,
    number_format,
    php_str,
    thousands,
)
from rigs.web.field_display import fmt, rate_title

UTC = zoneinfo.ZoneInfo("UTC")


def test_elapsed_like_miner_php():
    assert format_age(183845) == "2days 03h 04m 05s"
    assert fmt("SUMMARY", "Elapsed", 116841) == ("1day 08h 27m 21s", "")
    assert fmt("SUMMARY", "Elapsed", 357884) == ("4days 03h 24m 44s", "")
    assert format_age(3725) == "1h 02m 05s"
    assert format_age(65) == "1m 05s"
    assert format_age(5) == "5s"


def test_rates_whatever_the_unit():
    assert fmt("SUMMARY", "MHS av", 13500000.5) == ("13.50 TH/s", "")
    assert fmt("SUMMARY", "GHS 5s", "950.5") == ("950.50 GH/s", "")
    assert fmt("DEVS", "MHS 20s", 0) == ("0 H/s", "err")
    assert format_rate(0.5) == "500.00 kH/s"
    # miner.php's figure (the rig's number, as sent) stays on hover
    assert rate_title("MHS av", 1157918.03) == "1,157,918.03 MH/s"
    assert rate_title("DEVS.GHS 5s", "13400.50") == "13,400.50 GH/s"
    assert rate_title("Accepted", 5) == ""


def test_rates_against_utility_are_hi_or_lo():
    # 1000 MH/s at difficulty 1 gives 13.97 shares a minute: a Utility of 1 says the rate is too high
    row = {"Difficulty Accepted": 100, "Accepted": 100, "Utility": 1.0}
    assert fmt("SUMMARY", "MHS av", 1000, row=row)[1] == "hi"
    assert fmt("SUMMARY", "Utility", 1.0, row={**row, "MHS av": 1000})[1] == "lo"
    assert fmt("SUMMARY", "Utility", 13.97, row={**row, "MHS av": 1000})[1] == ""
    assert fmt("SUMMARY", "Utility", 40, row={**row, "MHS av": 1000})[1] == "hi"
    assert fmt("SUMMARY", "Utility", 0) == ("0.00/m", "err")


def test_numbers_as_sent_and_php_rounding():
    assert thousands(27015560.8313) == "27,015,560.8313"
    assert thousands(6133) == "6,133"
    assert fmt("SUMMARY", "Total MH", 133882804806.79) == ("133,882,804,806.79", "")
    assert fmt("SUMMARY", "Total MH", "133882804806.7900") == ("133,882,804,806.7900", "")  # text API: verbatim
    assert fmt("STATS", "Work Diff", 1024.0) == ("1,024.0", "")       # 1024.00000000, trailing zeros but one
    assert fmt("STATS", "Work Diff", "1024.00000000") == ("1,024.0", "")
    assert fmt("STATS", "Min", 2.2e-05) == ("2.2e-05", "")              # not a field fmt() knows: as sent
    assert fmt("POOLS", "Pool Rejected%", 1.815) == ("1.82%", "")     # PHP rounds half up
    assert fmt("POOLS", "Pool Rejected%", 2.496) == ("2.50%", "")
    assert fmt("SUMMARY", "Difficulty Accepted", 0.0200003) == ("0.02", "")
    assert fmt("SUMMARY", "Hardware Errors", 12345) == ("12,345", "")
    assert number_format(2.5) == "3" and number_format(-0.001, 2) == "0.00"
    # PHP 8.2's own results (checked with php-cli on 90,000 random values): pre-rounding to 15 digits,
    # halves away from zero, and numbers too large to round left as they are
    assert number_format(22.064999999999998, 2) == "22.07"
    assert number_format(5734904302058.185, 2) == "5,734,904,302,058.19"
    assert number_format(827913156656779.8, 2) == "827,913,156,656,779.75"
    assert number_format(327960812626998.5) == "327,960,812,626,999"
    assert php_str(1e15) == "1.0E+15" and php_str(0.1 + 0.2) == "0.3"


def test_temperatures_as_sent():
    assert fmt("DEVS", "Temperature", 74.46) == ("74.46°C", "")
    assert fmt("DEVS", "Temperature", 0) == ("", "")
    assert fmt("DEVS", "Temperature", 0, row={"GPU": 0}) == ("0°C", "warn")


def test_fans():
    assert fmt("DEVS", "Fan Percent", 90) == ("90", "warn")
    assert fmt("DEVS", "Fan Percent", 100) == ("100", "err")
    assert fmt("DEVS", "Fan Percent", 0) == ("0", "warn")
    assert fmt("DEVS", "Fan Percent", 50) == ("50", "")
    assert fmt("DEVS", "Fan Speed", 3000, row={"Fan Percent": 100}) == ("3000", "err")


def test_times_and_states():
    assert fmt("POOLS", "Last Share Time", 0, tz=UTC) == ("Never", "")
    assert fmt("DEVS", "Last Share Time", 0, tz=UTC) == ("Never", "warn")
    assert fmt("POOLS", "Last Share Time", 1795345608, tz=UTC) == ("11:06:48 22-Nov", "")
    assert fmt("SUMMARY", "Last getwork", 1699999999, when=1700000000) == ("-1s", "")
    assert fmt("DEVS", "Last Valid Work", 1700000000, when=1700000000) == ("0s", "")
    assert fmt("DEVS", "Last Valid Work", 0, when=1700000000) == ("Never", "")
    assert fmt("COIN", "Current Block Time", 1699999869.123456, tz=UTC) == ("22:11:09 14-Nov-2023 UTC+00:00", "")
    assert date_box(1700000000, UTC) == "Date: 22:13:20 14-Nov-2023 UTC+00:00"
    assert fmt("DEVS", "Status", "Sick") == ("Sick", "err")
    assert fmt("DEVS", "Enabled", "N") == ("N", "warn")
    assert fmt("NOTIFY", "Reason Not Well", "None") == ("None", "")
    assert fmt("NOTIFY", "*Dev Throttle", 2) == ("2", "err")
    assert fmt("NOTIFY", "*Dev Throttle", 0) == ("0", "")


def test_gen_results_and_totals_print_as_php():
    assert fmt("GEN", "Ratio", 98.0) == ("98", "")
    assert fmt("GEN", "AvShr", 1018.6621) == ("1,018.66", "")
    assert fmt("GEN", "AvShr", 0) == ("0.00", "warn")
    assert fmt("GEN", "Acc", 0.98942) == ("98.94%", "")
    assert fmt("GEN", "Rej", 0.0) == ("0.00%", "")
    assert fmt("GEN", "Mined", 4.3037963773361536e-06) == ("0.000%", "")
    assert fmt("GEN total", "GEN.Ratio", 7277.969999999999) == ("7277.97", "")
    assert fmt("GEN total", "GEN.Rej", 4.3037963773361536e-06) == ("0.00%", "")
    assert fmt("GEN total", "GEN.GHS av", 3.0) == ("3.00", "") and fmt("total", "GHS av", 3.0) == ("3.00 GH/s", "")
    assert fmt("total", "Accepted", 20.0) == ("20", "")
    assert fmt("total", "Elapsed", 1200) == ("1200", "")     # miner.php does not format elapsed totals
    assert php_str(4.3037963773361536e-06) == "4.3037963773362E-6"
    assert php_str(1102176.6000000001) == "1102176.6"


def test_checklastshare():
    assert round(expected_share_seconds(1000.0, 1.0), 2) == 4.29
    rec = {"MHS av": 1000.0, "Last Share Difficulty": 1.0, "Last Share Time": 1000}
    assert last_share_state(rec, 1000 + 60) == "err"    # 14x
    assert last_share_state(rec, 1000 + 40) == "warn"   # 9.3x
    assert last_share_state(rec, 1000 + 10) == ""
    assert last_share_state({**rec, "MHS av": 0}, 2000) == ""
    assert last_share_state({**rec, "Last Share Time": 0}, 2000) == ""
    # a second at least since the last share, even a share "from the future": 1 PH/s at difficulty 1
    # expects one every 4.3 µs
    fast = {"MHS av": 1e9, "Last Share Difficulty": 1, "Last Share Time": 1000}
    assert last_share_state(fast, 1000) == "err" and last_share_state(fast, 900) == "err"
    assert last_share_state({**fast, "Last Share Difficulty": 1e6}, 1000) == ""  # 4.3 s
    assert last_share_state({**rec, "Last Share Time": True}, 2000) == ""  # a bool is no time
    assert last_share_state(rec, "1060") == "err" and last_share_state(rec, float("nan")) == ""
    assert fmt("DEVS", "Last Share Time", 1000, when=1060, tz=UTC, row=rec) == ("00:16:40", "err")
