"""User text quoted back in a reply (bot/core/commands/echo.py): short, printable, and
unable to break the backticks around it."""

from __future__ import annotations

import pytest

from bot.core.commands.echo import clean, code, command_line, describe_char


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("sentiment-classifier", "`sentiment-classifier`"),
        ("a" * 60, f"`{'a' * 60}`"),
        ("a" * 61, f"`{'a' * 59}…`"),
        ("x`y", "`x'y`"),
        ("bell\x07", "`bell\ufffd`"),
        ("zero\u200bwidth", "`zero\ufffdwidth`"),
        ("line\nbreak", "`line\ufffdbreak`"),
        ("lone \ud800", "`lone \ufffd`"),
        ("ünïcödé", "`ünïcödé`"),
    ],
    ids=[
        "plain",
        "at-the-limit",
        "clipped",
        "backtick",
        "control",
        "invisible",
        "newline",
        "lone-surrogate",
        "printable-unicode",
    ],
)
def test_code_quotes_what_was_typed_so_it_cannot_break_out(text: str, shown: str) -> None:
    assert code(text) == shown


@pytest.mark.parametrize(
    ("words", "line"),
    [
        (["promote", "m", "v3", "production"], "promote m v3 production"),
        (["approve", "req-`x"], "approve req-'x"),
        (["deny", "a\tb"], "deny a\ufffdb"),
        (["x" * 500], "x" * 399 + "…"),
    ],
    ids=["joined", "backtick", "control", "clipped-to-400"],
)
def test_a_suggested_command_line_is_cleaned_and_clipped(words: list[str], line: str) -> None:
    assert command_line(words) == line


def test_clean_keeps_printable_text_as_it_is() -> None:
    text = "promote m v3 production: F1 0.89 → better (ünï)"
    assert clean(text) == text


@pytest.mark.parametrize(
    ("char", "named"),
    [
        ("`", "the backtick"),
        ("/", "`/`"),
        ("é", "`é` (U+00E9)"),
        ("\u200b", "the invisible character U+200B"),
        ("\n", "the invisible character U+000A"),
    ],
    ids=["backtick", "ascii", "non-ascii", "zero-width", "newline"],
)
def test_a_character_is_named_so_a_person_can_find_it(char: str, named: str) -> None:
    assert describe_char(char) == named
