"""What a command's parser works on (bot/core/commands/context.py): the reason it reads,
and the corrected command line a failure suggests, flags kept as they were given."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.commands.context import Bad, Ctx, Invalid


def ctx(words: str, extra: str = "", **flags: object) -> Ctx:
    return Ctx("promote", words.split(), extra, **flags)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("words", "extra", "start", "reason"),
    [
        ("m v3 production passed shadow test", "", 3, "passed shadow test"),
        ("m v3 production", "", 3, ""),
        ("m v3 production first line", "second line\nthird", 3, "first line\nsecond line\nthird"),
        ("m v3 production", "only the lines after", 3, "only the lines after"),
    ],
    ids=["inline", "none", "inline-and-lines", "lines-only"],
)
def test_the_reason_is_the_words_after_start_then_the_lines_after(
    words: str, extra: str, start: int, reason: str
) -> None:
    assert ctx(words, extra).reason(start) == reason


@pytest.mark.parametrize(
    ("flags", "try_line"),
    [
        ({}, "promote m v3 production"),
        ({"dry_run": True}, "promote m v3 production --dry-run"),
        ({"limit": 5}, "promote m v3 production --limit 5"),
        (
            {"duration": timedelta(hours=2), "duration_text": "2h"},
            "promote m v3 production --for 2h",
        ),
    ],
    ids=["no-flags", "dry-run", "limit", "for-as-typed"],
)
def test_a_failure_suggests_the_words_with_the_flags_given(
    flags: dict[str, object], try_line: str
) -> None:
    invalid = ctx("m v3 prodution", **flags).fail("No such target.", ["m", "v3", "production"])

    assert isinstance(invalid, Invalid)
    assert (invalid.problem, invalid.command, invalid.try_line) == (
        "No such target.",
        "promote",
        try_line,
    )


def test_a_failure_without_words_to_try_suggests_nothing() -> None:
    invalid = ctx("m", dry_run=True).fail("`promote` needs a version.")
    assert (invalid.problem, invalid.try_line) == ("`promote` needs a version.", None)


def test_a_bad_word_with_a_suggestion_is_replaced_in_place() -> None:
    invalid = ctx("m v3 prod now").fail_at(2, Bad("`prod` is not a target.", "production"))
    assert (invalid.problem, invalid.try_line) == (
        "`prod` is not a target.",
        "promote m v3 production now",
    )


def test_a_bad_word_without_a_suggestion_suggests_nothing() -> None:
    invalid = ctx("m v3 x").fail_at(2, Bad("`x` is not a target."))
    assert (invalid.problem, invalid.try_line) == ("`x` is not a target.", None)
