"""Issue 23 item 8: what a rig or a file supplies reaches the operator's terminal escaped and
shortened (minerpanel/terminal.py), in every management command that prints it."""

import io
import json
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from minerpanel.terminal import shown
from rigs.discovery import search

HOSTILE = "\x1b]0;owned\x07\x1b[2J"
BINARY = "".join(chr(i % 256) for i in range(200_000))
QUOTABLE = BINARY.replace("'", "").replace("\\", "")  # inside a PHP single-quoted string


def assert_safe(text, most=1000):
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text and "\u202e" not in text
    assert all(len(line) <= most for line in text.splitlines()), max(map(len, text.splitlines()))


def test_control_characters_show_as_escapes_and_long_values_keep_both_ends():
    assert shown("sim\x1b[2J\x07\t\n\x9b\u202eok") == "sim\\x1b[2J\\x07\\x09\\x0a\\x9b\\u202eok"
    assert shown("Grüße, 矿机 ✓") == "Grüße, 矿机 ✓"  # printable text is left as it is
    long = shown("start" + "x" * 200_000 + "end")
    assert len(long) <= 400 and long.startswith("start") and long.endswith("end")
    assert "199,6" in long and "characters cut" in long
    assert shown(long) == long and shown(BINARY) == shown(shown(BINARY))
    assert_safe(shown(BINARY))


@pytest.mark.django_db
def test_importminerphp_prints_a_hostile_file_escaped_and_short(tmp_path):
    php = tmp_path / "myminer.php"
    php.write_text(f"<?php\n$rigs = array('10.0.0.1:4028:{HOSTILE}', '10.0.0.2:4028:{QUOTABLE[1:60]}');\n"
                   f"$title = '{HOSTILE}{QUOTABLE}';\n$unknown = '{HOSTILE}';\n",
                   encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("importminerphp", str(php), "--dry-run", stdout=out, stderr=err)
    text = out.getvalue()
    assert_safe(text + err.getvalue())
    assert "\\x1b]0;owned\\x07\\x1b[2J" in text and "characters cut" in text
    php.write_text(f"<?php\n$rigs = array('10.0.0.1:99999:{HOSTILE}{'A' * 100_000}');\n", encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("importminerphp", str(php), stdout=out, stderr=err)
    assert_safe(str(exc.value)) and "\\x1b" in str(exc.value)


@pytest.mark.django_db
def test_discover_prints_a_rigs_version_and_description_escaped_and_short():
    found = [search.Found("10.0.0.3", 4028, f"rig{HOSTILE}", f"cgminer {HOSTILE}{BINARY}"),
             search.Found("10.0.0.4", 4028, BINARY, None)]

    async def scan(*args, **kwargs):
        return found

    out = io.StringIO()
    with mock.patch.object(search, "scan", scan):
        call_command("discover", "--scan", "10.0.0.0/29", "--register", stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert_safe(text)
    assert "rig\\x1b]0;owned\\x07\\x1b[2J" in text and "cgminer \\x1b]0;owned" in text
    assert "+ rig 'rig\x1b" not in text and "+ rig 'rig\\x1b]0;owned" in text


@pytest.mark.django_db
def test_importpages_prints_a_hostile_files_names_and_errors_escaped(tmp_path):
    pages = tmp_path / "pages.json"
    pages.write_text(json.dumps([{"name": f"P{HOSTILE}", "slug": "p", "sections": [
        {"section": "SUMMARY", "fields": "SUMMARY.Elapsed", "title": "x"}]}]))
    out = io.StringIO()
    try:
        call_command("importpages", str(pages), stdout=out)
        text = out.getvalue()
    except CommandError as exc:  # refused by validation: the refusal quotes the name
        text = str(exc)
    assert_safe(text) and "\\x1b" in text
    pages.write_text(json.dumps([{"name": "Q", "slug": f"q{HOSTILE}{'z' * 100_000}", "sections": []}]))
    with pytest.raises(CommandError) as exc:
        call_command("importpages", str(pages), stdout=out)
    assert_safe(str(exc.value))
