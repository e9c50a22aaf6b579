"""The custom page engine on hand-made rig data."""

import pytest

from custompages.checks import validate
from custompages.definition import PageError, plain_names
from custompages.engine import build_page, build_section, rig_rows

RIG1 = {"name": "r1", "sections": {
    "SUMMARY": [{"Elapsed": 100, "MHS av": 10.0, "Accepted": 5}],
    "POOLS": [{"POOL": 0, "URL": "pool-a", "Status": "Alive", "Accepted": 4, "Difficulty Accepted": 400.0},
              {"POOL": 1, "URL": "pool-b", "Status": "Dead", "Accepted": 0, "Difficulty Accepted": 0.0}],
    "DEVS": [{"ASC": 0, "Name": "BTB", "ID": 0, "MHS av": 6.0, "Temperature": 60.0},
             {"ASC": 1, "Name": "BTB", "ID": 1, "MHS av": 4.0, "Temperature": 70.0}],
    "NOTIFY": [{"NOTIFY": 0, "Name": "BTB", "ID": 0, "Last Not Well": 0},
               {"NOTIFY": 1, "Name": "BTB", "ID": 1, "Last Not Well": 123}],
    "STATS": [{"STATS": 0, "ID": "BTB0", "Chips": 63}, {"STATS": 1, "ID": "POOL0", "Bytes Sent": 10},
              {"STATS": 2, "ID": "POOL1", "Bytes Sent": 20}],
}}
RIG2 = {"name": "r2", "sections": {
    "SUMMARY": [{"Elapsed": 200, "MHS av": 20.0, "Accepted": 7}],
    "POOLS": [{"POOL": 0, "URL": "pool-a", "Status": "Alive", "Accepted": 6, "Difficulty Accepted": 1200.0}],
    "DEVS": [{"GPU": 0, "MHS av": 20.0, "Temperature": 80.0}],  # an old GPU: no Name/ID
    "NOTIFY": [{"NOTIFY": 0, "Name": "GPU", "ID": 0, "Last Not Well": 0}],
}}
RIGS = [RIG1, RIG2]


def values(result, field):
    return [r.get(field) for r in result.rows]


def test_standard_section_rows_per_record_per_rig():
    t = build_section({"section": "POOL", "fields": ["POOL", "URL=Pool", "Accepted"]}, RIGS)
    assert [h for h, _ in t.columns] == ["POOL", "Pool", "Accepted"]
    assert values(t, "URL") == ["pool-a", "pool-b", "pool-a"]
    assert [r["_rig"] for r in t.rows] == ["r1", "r1", "r2"]
    assert values(t, "#") == [1, 2, 1]


def test_wildcard_and_columns_without_data_dropped():
    t = build_section({"section": "SUMMARY", "fields": ["*", "Nonexistent"]}, RIGS)
    assert [f for _, f in t.columns] == ["Elapsed", "MHS av", "Accepted"]


def test_devs_keeps_gpus_and_kinds_filter():
    assert len(build_section({"section": "DEVS"}, RIGS).rows) == 3
    assert len(build_section({"section": "GPU"}, RIGS).rows) == 1
    assert len(build_section({"section": "ASC"}, RIGS).rows) == 2
    gpu = build_section({"section": "DEVS", "fields": ["Name", "ID"]}, [RIG2]).rows[0]
    assert (gpu["Name"], gpu["ID"]) == ("GPU", 0)  # miner.php names GPUs 'GPU' with their number


def test_summary_join_pairs_the_summary_with_each_record():
    rows = rig_rows(RIG1, "SUMMARY+POOL")
    assert [(r["SUMMARY.Elapsed"], r["POOL.URL"]) for r in rows] == [(100, "pool-a"), (100, "pool-b")]


def test_devs_notify_match_on_name_and_id_including_gpus():
    rows = rig_rows(RIG1, "DEVS+NOTIFY")
    assert [(r["DEVS.ID"], r["NOTIFY.Last Not Well"]) for r in rows] == [(0, 0), (1, 123)]
    gpu = rig_rows(RIG2, "DEVS+NOTIFY")
    assert len(gpu) == 1 and gpu[0]["DEVS.GPU"] == 0  # miner.php drops it


def test_stats_joins():
    assert [r["STATS.Chips"] for r in rig_rows(RIG1, "DEVS+STATS")] == [63]
    rows = rig_rows(RIG1, "POOL+STATS")
    assert [(r["POOL.URL"], r["STATS.Bytes Sent"]) for r in rows] == [("pool-a", 10), ("pool-b", 20)]


def test_where_and_having():
    t = build_section({"section": "POOL", "where": [["Status", "eq", "alive"]]}, RIGS)
    assert values(t, "URL") == ["pool-a", "pool-a"]
    t = build_section({"section": "POOL", "where": [["Accepted", ">", "4"]]}, RIGS)
    assert values(t, "Accepted") == [6]
    t = build_section({"section": "POOL", "where": [["Missing", "=", "1"]]}, RIGS)
    assert len(t.rows) == 3  # a row without the field is kept
    t = build_section({"section": "POOL", "group": ["URL"], "calc": {"Accepted": "sum"},
                       "having": [["Accepted", ">=", "10"]]}, RIGS)
    assert values(t, "URL") == ["pool-a"]


@pytest.mark.parametrize("how,expected", [("sum", 10), ("avg", 5), ("min", 4), ("max", 6),
                                          ("count", 2), ("any", 4)])
def test_calc_functions(how, expected):
    t = build_section({"section": "POOL", "where": [["Status", "eq", "Alive"]], "group": ["URL"],
                       "calc": {"Accepted": how}}, RIGS)
    assert t.grouped and values(t, "Accepted") == [expected]
    assert type(values(t, "Accepted")[0]) is int  # integers stay integers: '20', never '20.0'


def test_calc_sums_print_as_php_floats():
    t = build_section({"section": "POOL", "group": ["URL"], "calc": {"Difficulty Accepted": "sum", "X": "avg"}},
                      [{"name": "x", "sections": {"POOLS": [{"URL": "a", "Difficulty Accepted": 0.1, "X": "7"},
                                                            {"URL": "a", "Difficulty Accepted": 0.2, "X": "8"}]}}])
    assert values(t, "Difficulty Accepted") == [0.3]  # not 0.30000000000000004: 14 digits, as PHP
    assert values(t, "X") == [7.5]


def test_alternatives_use_the_first_that_has_data():
    spec = ["GEN.GHS av=GH/s av||SUMMARY.MHS av=MHS av", "Elapsed||Uptime=Up"]
    with_gen = build_section({"section": "SUMMARY", "fields": spec, "gen": {"GHS av": "MHS av / 1000"}}, RIGS)
    assert with_gen.columns == [("GH/s av", "GEN.GHS av"), ("Elapsed", "Elapsed")]
    assert values(with_gen, "GEN.GHS av") == [0.01, 0.02]
    plain = build_section({"section": "SUMMARY", "fields": spec}, RIGS)
    assert plain.columns == [("Elapsed", "Elapsed")]  # no GEN, and SUMMARY.MHS av is a joined section's name
    joined = build_section({"section": "SUMMARY+POOL", "fields": spec[:1]}, RIGS)
    assert joined.columns == [("MHS av", "SUMMARY.MHS av")]
    uptime = build_section({"section": "SUMMARY", "fields": ["Uptime=Up||MHS av=Rate"]}, RIGS)
    assert uptime.columns == [("Rate", "MHS av")]
    validate({"section": "SUMMARY", "fields": spec})


def test_row_numbers_are_always_totalled():
    t = build_section({"section": "POOL", "fields": ["#", "URL"], "where": [["Status", "eq", "Alive"]]}, RIGS)
    assert values(t, "#") == [1, 1] and t.totals == {"#": 2}  # per rig; the count over all rigs
    grouped = build_section({"section": "POOL", "fields": ["#", "URL"], "group": ["URL"]}, RIGS)
    assert values(grouped, "#") == [1, 2] and grouped.totals == {"#": 2}
    assert build_section({"section": "POOL", "fields": ["URL"]}, RIGS).totals is None


def test_formats_are_checked_by_name():
    validate({"section": "POOL", "formats": {"Accepted": "percent"}})
    with pytest.raises(PageError, match="unknown format 'php'"):
        validate({"section": "POOL", "formats": {"Accepted": "php"}})


def test_lo_hi_are_case_insensitive_strings():
    rigs = [{"name": "x", "sections": {"POOLS": [{"URL": "b"}, {"URL": "A"}, {"URL": "c"}]}}]
    lo = build_section({"section": "POOL", "group": [], "calc": {"URL": "lo"}}, rigs)
    assert build_section({"section": "POOL", "group": ["Nothing"], "calc": {"URL": "lo"}}, rigs).rows[0]["URL"] == "A"
    assert build_section({"section": "POOL", "group": ["Nothing"], "calc": {"URL": "hi"}}, rigs).rows[0]["URL"] == "c"
    assert lo.rows  # no group fields: no grouping


def test_after_grouping_only_group_and_calc_fields_remain():
    t = build_section({"section": "POOL", "fields": ["URL", "Accepted", "Status"], "group": ["URL"],
                       "calc": {"Accepted": "sum"}}, RIGS)
    assert [f for _, f in t.columns] == ["URL", "Accepted"]
    assert values(t, "Accepted") == [10.0, 0.0]


def test_gen_and_bgen():
    t = build_section({"section": "SUMMARY+POOL", "gen": {"Rate": "POOL.Difficulty Accepted/max(POOL.Accepted,1)"},
                       "fields": ["POOL.URL", "GEN.Rate"]}, RIGS)
    assert values(t, "GEN.Rate") == [100.0, 0.0, 200.0]
    t = build_section({"section": "POOL", "bgen": {"Double": "Accepted*2"}, "group": ["URL"],
                       "calc": {"BGEN.Double": "sum"}}, RIGS)
    assert values(t, "BGEN.Double") == [20.0, 0.0]


def test_a_formula_on_a_removed_field_is_a_blank_with_its_reason():
    """The manual's Pools page uses POOL.Accepted after grouping it away."""
    t = build_section({"section": "POOL", "group": ["URL"], "calc": {"Difficulty Accepted": "sum"},
                       "gen": {"Avg": "Difficulty Accepted/Accepted"}}, RIGS)
    assert all("GEN.Avg" not in r for r in t.rows)
    assert "field 'Accepted' is missing" in t.rows[0]["_errors"]["GEN.Avg"]
    assert ("Avg", "GEN.Avg") in t.columns


def test_division_by_zero_is_a_blank_cell():
    t = build_section({"section": "POOL", "gen": {"X": "Accepted/0"}}, RIGS)
    assert t.rows[0]["_errors"]["GEN.X"] == "division by zero"


def test_totals_use_original_names():
    t = build_section({"section": "POOL", "fields": ["URL=Pool", "Accepted=Acc"], "totals": ["Accepted", "#"]}, RIGS)
    assert t.totals == {"Accepted": 10.0, "#": 3}


def test_groups_in_order_of_first_appearance_across_rigs():
    t = build_section({"section": "DEVS", "group": ["Temperature"], "calc": {"MHS av": "sum"}}, RIGS)
    assert values(t, "Temperature") == [60.0, 70.0, 80.0]


@pytest.mark.parametrize("definition,message", [
    ({"section": "NOPE"}, "unknown section 'NOPE'"),
    ({"section": "POOL+NOTIFY"}, "cannot be joined"),
    ({"section": "POOL", "fields": ["URL="]}, "empty new name"),
    ({"section": "POOL", "where": [["URL", "like", "x"]]}, "unknown restriction 'like'"),
    ({"section": "POOL", "calc": {"URL": "median"}}, "unknown function 'median'"),
    ({"section": "POOL", "gen": {"X": "Accepted +* 2"}}, "gen 'X': unexpected"),
])
def test_validation_names_the_problem(definition, message):
    with pytest.raises(PageError, match=message):
        validate(definition)


def test_a_broken_section_does_not_break_the_page():
    out = build_page([{"section": "DATE"}, {"section": "NOPE"}, {"section": "SUMMARY"}], RIGS)
    assert out[0] == "DATE" and isinstance(out[1], PageError) and len(out[2].rows) == 2


def test_missing_sections_and_junk_records():
    rigs = [{"name": "x", "sections": {"POOLS": ["junk", None, {"URL": "u"}]}}, {"name": "y"}]
    assert values(build_section({"section": "POOL"}, rigs), "URL") == ["u"]


def test_formulas_validate_against_known_field_names():
    d = {"section": "SUMMARY+POOL", "gen": {"Rate": "POOL.Difficulty Accepted/max(POOL.Accepted,1)"}}
    validate(d, known=["POOL.Difficulty Accepted", "POOL.Accepted"])
    with pytest.raises(PageError, match=r"gen 'Rate': unexpected 'Accepted' at position 17"):
        validate(d)  # without knowing the name, 'Difficulty Accepted' is two words
    with pytest.raises(PageError, match=r"unexpected .,. at position 32"):
        validate({"section": "POOL", "gen": {"R": "POOL.Difficulty Accepted / max(, 1)"}},
                 known=["POOL.Difficulty Accepted"])


def test_sort_by_fields():
    t = build_section({"section": "DEVS", "sort": ["-Temperature"]}, RIGS)
    assert values(t, "Temperature") == [80.0, 70.0, 60.0]
    t = build_section({"section": "POOL", "sort": ["URL", "-Accepted"]}, RIGS)
    assert [(r["URL"], r["Accepted"]) for r in t.rows] == [("pool-a", 6), ("pool-a", 4), ("pool-b", 0)]


def test_every_restriction():
    rigs = [{"name": "x",
             "sections": {"POOLS": [{"URL": "b", "N": 2, "U": ""}, {"URL": "A", "N": 10},
                                    {"URL": "c", "N": 5, "U": "u"}]}}]

    def urls(*tests):
        return values(build_section({"section": "POOL", "where": [list(t) for t in tests]}, rigs), "URL")

    assert urls(("U", "set")) == ["b", "c"]  # miner.php: a row without the field goes; an empty value is set
    assert urls(("N", "<", "5")) == ["b"] and urls(("N", "<=", "5")) == ["b", "c"]
    assert urls(("N", ">=", "5"), ("N", "<", "10")) == ["c"]  # all must hold
    assert urls(("N", "=", "10")) == ["A"]
    assert urls(("URL", "eq", "a")) == ["A"] and urls(("URL", "lt", "b")) == ["A"]
    assert urls(("URL", "le", "B")) == ["b", "A"] and urls(("URL", "gt", "b")) == ["c"]
    assert urls(("URL", "ge", "B")) == ["b", "c"]


def test_the_other_joins():
    rig = {"name": "x", "sections": {
        "SUMMARY": [{"Elapsed": 1}], "CONFIG": [{"Strategy": "Failover"}], "COIN": [{"Hash Method": "sha256"}],
        "DEVS": [{"ASC": 0, "Name": "BTB", "ID": 0}, {"ASC": 1, "Name": "BTB", "ID": 1}],
        "DEVDETAILS": [{"DEVDETAILS": 1, "Name": "BTB", "ID": 1, "Driver": "bitburner"}],
        "USBSTATS": [{"USBSTATS": 0, "Name": "BTB", "ID": 0, "Errors": 3}]}}
    assert len(rig_rows(rig, "SUMMARY+DEVS")) == 2
    assert rig_rows(rig, "SUMMARY+CONFIG")[0]["CONFIG.Strategy"] == "Failover"
    assert rig_rows(rig, "SUMMARY+COIN")[0]["COIN.Hash Method"] == "sha256"
    assert [r["DEVS.ID"] for r in rig_rows(rig, "DEVS+DEVDETAILS")] == [1]
    assert [r["USBSTATS.Errors"] for r in rig_rows(rig, "DEVS+USBSTATS")] == [3]


def test_users_workers_join_pairs_each_worker_with_its_user_and_totals():
    pool = {"name": "ck", "sections": {
        "USERS": [{"User": "alice", "MHS 1hr": 100.0}, {"User": "bob", "MHS 1hr": 10.0}],
        "WORKERS": [{"User": "alice", "Worker": "alice.a", "MHS 1hr": 75.0},
                    {"User": "alice", "Worker": "alice_b", "MHS 1hr": 25.0},
                    {"User": "bob", "Worker": "bob.x", "MHS 1hr": 10.0}]}}
    result = build_section({"section": "USERS+WORKERS",
                            "fields": ["USERS.User", "WORKERS.Worker", "GEN.Part"],
                            "gen": {"Part": "100*WORKERS.MHS 1hr/USERS.MHS 1hr"},
                            "totals": ["WORKERS.MHS 1hr"]}, [pool])
    assert [(r["USERS.User"], r["WORKERS.Worker"], r["GEN.Part"]) for r in result.rows] == [
        ("alice", "alice.a", 75.0), ("alice", "alice_b", 25.0), ("bob", "bob.x", 100.0)]


def test_a_plain_section_reads_its_own_prefix():
    from custompages import engine

    rigs = [{"name": "a", "sections": {"POOLS": [{"POOL": 0, "URL": "u", "Status": "Alive", "Accepted": 5},
                                                 {"POOL": 1, "URL": "v", "Status": "Dead", "Accepted": 7}]}}]
    d = {"section": "POOL", "fields": ["POOL.URL=Pool", "POOL.Accepted"], "where": [["POOL.Status", "eq", "Alive"]],
         "totals": ["POOL.Accepted"], "sort": ["-POOL.Accepted"]}
    r = engine.build_section(d, rigs)
    assert r.columns == [("Pool", "URL"), ("Accepted", "Accepted")]
    assert [row["URL"] for row in r.rows] == ["u"] and r.totals["Accepted"] == 5
    # a join keeps its prefixes
    assert plain_names({"section": "SUMMARY+POOL", "fields": ["POOL.URL"]})["fields"] == ["POOL.URL"]


def test_formulas_in_a_plain_section_accept_its_prefix():
    # miner.php's pages write RejPct=POOL.Rejected/... in a POOL section: the prefix names the section's own field
    pools = build_section({"section": "POOL", "fields": ["URL", "GEN.Avg"],
                           "gen": {"Avg": "POOL.Difficulty Accepted/max(POOL.Accepted,1)"}}, RIGS)
    assert values(pools, "GEN.Avg") == [100.0, 0.0, 200.0]
    summary = build_section({"section": "SUMMARY", "fields": ["GEN.GHS av=GH/s av||SUMMARY.MHS av=MHS av"],
                             "gen": {"GHS av": "SUMMARY.MHS av/1000"}}, RIGS)
    assert values(summary, "GEN.GHS av") == [0.01, 0.02]
    assert summary.columns == [("GH/s av", "GEN.GHS av")]


def test_a_formula_that_fails_on_every_row_gives_way_to_its_alternative():
    summary = build_section({"section": "SUMMARY", "fields": ["GEN.GHS av=GH/s av||MHS av=MHS av"],
                             "gen": {"GHS av": "Nonesuch/1000"}}, RIGS)
    assert summary.columns == [("MHS av", "MHS av")]
    assert values(summary, "MHS av") == [10.0, 20.0]


def test_save_warns_of_formula_fields_no_row_of_the_section_has():
    from custompages.catalogue import known_fields
    from custompages.checks import warnings

    known = known_fields()
    assert warnings({"section": "POOL", "gen": {"R": "POOL.Rejected/max(POOL.Accepted,1)"}}, known) == []
    assert warnings({"section": "POOL", "gen": {"R": "Rejectd/max(Accepted,1)"}}, known) == [
        "gen 'R': no rig sends a field 'Rejectd': check its spelling "
        "(a field name with spaces is written as is or in double quotes)"]
    assert warnings({"section": "POOL", "gen": {"T": "DEVS.Temperature*2"}}, known) == [
        "gen 'T': 'DEVS.Temperature' is a field of DEVS, not of this POOL section"]
    assert warnings({"section": "SUMMARY+COIN", "gen": {"E": "Elapsed*2"}}, known) == [
        "gen 'E': in a joined section write the field with its section: 'SUMMARY.Elapsed' or 'COIN.Elapsed'"]
    assert warnings({"section": "SUMMARY+COIN", "gen": {"E": "SUMMARY.Elapsed*2"}}, known) == []


def test_the_rows_of_a_join_across_rigs_share_their_field_names():
    """A section across 100,000 rigs holds millions of rows at once: each "POOL.URL" made once, not per row."""
    def rig(n):
        return {"name": n, "sections": {"POOLS": [{"POOL": 0, "URL": "u", "Accepted": 1}],
                                        "STATS": [{"ID": "POOL0", "Pool Calls": 3}]}}

    rows = build_section(plain_names({"section": "POOL+STATS", "fields": ["*"]}), [rig("a"), rig("b")]).rows
    assert len(rows) == 2
    first, second = ({k: k for k in r if "." in k} for r in rows)
    assert set(first) == set(second) == {"POOL.POOL", "POOL.URL", "POOL.Accepted", "STATS.ID", "STATS.Pool Calls"}
    assert all(first[k] is second[k] for k in first)
