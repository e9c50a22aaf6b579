"""The parsers that read what others write, fuzzed by hypothesis (CI-sized; `manage.py fuzz` runs longer)."""

import pytest

from minerpanel.devkit import fuzzing


def test_the_protocol_parser_raises_only_rig_errors():
    fuzzing.run("protocol", 400)


def test_rig_reply_shapes_raise_only_rig_errors_and_parse_bounded():
    fuzzing.run("replies", 300)


def test_the_formula_parser_raises_only_formula_errors():
    fuzzing.run("formula", 400)


@pytest.mark.django_db
def test_the_page_importer_raises_only_validation_errors():
    fuzzing.run("importer", 250)


def test_a_broken_target_is_found():
    """The harness itself finds a failure (so a passing run means something)."""
    def fragile(raw, command, fmt):
        assert b"\0" not in raw[:-1]
    fuzzing.TARGETS["fragile"] = (fragile, fuzzing.protocol_inputs, 3)
    try:
        with pytest.raises(AssertionError):
            fuzzing.run("fragile", 200)
    finally:
        del fuzzing.TARGETS["fragile"]


@pytest.mark.django_db
def test_a_page_file_with_a_nul_character_is_refused_with_a_clear_error():
    """PostgreSQL's text and jsonb refuse NUL: the importer says so before the database is asked."""
    from django.core.exceptions import ValidationError

    from custompages.importing import check

    for data in ([{"name": "\x00"}], {"name": "ok", "slug": "ok", "sections": [{"section": "SUMMARY", "x\x00": 1}]}):
        with pytest.raises(ValidationError) as err:
            check(data)
        assert "NUL character" in " ".join(err.value.messages)
