"""The field catalogue is data (custompages/fields.json) so that the panel runs no simulator to
learn field names; here it is held against what the simulators send today, so it cannot drift."""

from custompages import catalogue
from minerpanel.devkit import fields


def test_the_field_catalogue_is_what_the_simulators_send():
    assert catalogue.FIELDS == fields.PATH
    assert catalogue.FIELDS.read_text() == fields.text(), (
        "custompages/fields.json differs from what the simulators send: run `python -m minerpanel.devkit.fields`")


def test_every_field_is_known_bare_and_with_the_prefixes_of_its_section():
    known = catalogue.known_fields()
    assert {"MHS av", "SUMMARY.MHS av", "POOL.Difficulty Accepted", "EDEVS.Temperature", "WORKERS.MHS 1m",
            "CLIENTS.Client", "SUMMARY.Hashrate av", "POOL.In Use", "#"} <= known
    assert {"RIGS.Site", "RIGS.Rack", "RIGS.Position", "RIGS.Tags"} <= known  # where each rig stands (farm)
