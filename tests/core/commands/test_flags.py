"""The `--flags` of a command line (bot/core/commands/flags.py): found anywhere among the
words, checked against the flags the command takes, read, and taken out of the words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.commands.context import Invalid
from bot.core.commands.flags import as_flag, asks_for_help, take_flags

FOR_RULE = (
    "`--for` takes a duration such as `30m`, `2h`, `1d` or `1h30m` (units d, h, m and s, "
    "in that order), not"
)


@pytest.mark.parametrize(
    ("token", "flag"),
    [
        ("--dry-run", ("--dry-run", None)),
        ("--DRY-RUN", ("--dry-run", None)),
        ("\u2014dry-run", ("--dry-run", None)),
        ("\u2013limit=5", ("--limit", "5")),
        ("--limit=5", ("--limit", "5")),
        ("--x=a=b", ("--x", "a=b")),
        ("--", None),
        ("-->", None),
        ("-1", None),
        ("--9", None),
        ("\u2014foo", None),
        ("word", None),
    ],
    ids=[
        "flag",
        "upper-case",
        "em-dash",
        "en-dash-with-value",
        "with-value",
        "value-keeps-equals",
        "double-dash",
        "arrow",
        "negative-number",
        "digit-after-dashes",
        "em-dash-unknown-name",
        "word",
    ],
)
def test_as_flag(token: str, flag: tuple[str, str | None] | None) -> None:
    assert as_flag(token) == flag


@pytest.mark.parametrize(
    ("tokens", "asks"),
    [
        (["m", "--HELP"], True),
        (["\u2014help"], True),
        (["m", "--help=x"], False),
        (["m", "help"], False),
    ],
    ids=["anywhere", "em-dash", "with-a-value", "the-word"],
)
def test_asks_for_help(tokens: list[str], asks: bool) -> None:
    assert asks_for_help(tokens) is asks


@pytest.mark.parametrize(
    ("command", "valid", "line", "read"),
    [
        ("history", ("--limit",), "m --limit 5", (["m"], False, 5, None)),
        ("history", ("--limit",), "--limit=05 m", (["m"], False, 5, None)),
        ("history", ("--limit",), "m --limit 1000", (["m"], False, 1000, None)),
        (
            "promote",
            ("--dry-run",),
            "m --dry-run v3 staging",
            (["m", "v3", "staging"], True, None, None),
        ),
        (
            "lock",
            ("--for",),
            "m production --for 1H30m why",
            (["m", "production", "why"], False, None, timedelta(hours=1, minutes=30)),
        ),
        ("lock", ("--for",), "m --for=30s", (["m"], False, None, timedelta(seconds=30))),
        ("lock", ("--for",), "m --for 365d", (["m"], False, None, timedelta(days=365))),
        ("lock", ("--for",), "m -- -->", (["m", "--", "-->"], False, None, None)),
    ],
    ids=[
        "limit",
        "limit-first-with-zero",
        "limit-at-most",
        "dry-run-in-the-middle",
        "for-upper-case-units",
        "for-with-equals",
        "for-a-year",
        "dashes-stay-words",
    ],
)
def test_flags_are_read_and_taken_out_of_the_words(
    command: str,
    valid: tuple[str, ...],
    line: str,
    read: tuple[list[str], bool, int | None, timedelta | None],
) -> None:
    ctx = take_flags(command, valid, line.split(), "more lines")
    assert (ctx.words, ctx.dry_run, ctx.limit, ctx.duration) == read
    assert ctx.extra == "more lines"


def test_for_keeps_the_duration_as_typed_for_a_corrected_line() -> None:
    assert take_flags("lock", ("--for",), ["m", "--for", "2H"], "").duration_text == "2H"


@pytest.mark.parametrize(
    ("command", "valid", "line", "problem", "try_line"),
    [
        (
            "history",
            ("--limit",),
            "m --limit 0",
            "`--limit` must be a whole number from 1 to 1000, not `0`.",
            None,
        ),
        (
            "history",
            ("--limit",),
            "m --limit 1001",
            "`--limit` must be a whole number from 1 to 1000, not `1001`.",
            None,
        ),
        (
            "history",
            ("--limit",),
            "m --limit=",
            "`--limit` must be a whole number from 1 to 1000, not empty.",
            None,
        ),
        ("history", ("--limit",), "m --limit", "`--limit` needs a number, like `--limit 5`.", None),
        (
            "history",
            ("--limit",),
            "m --limit --limit",
            "`--limit` needs a number, like `--limit 5`.",
            None,
        ),
        ("history", ("--limit",), "m --limit 3 --limit 4", "`--limit` is given twice.", None),
        (
            "history",
            ("--limit",),
            "m --limt 3",
            "`--limt` is not a flag of `history`. Did you mean `--limit`?",
            "history m --limit 3",
        ),
        (
            "status",
            (),
            "m --limit 3",
            "`--limit` is not a flag of `status`, which takes no flags.",
            None,
        ),
        (
            "promote",
            ("--dry-run",),
            "m v3 staging --zzz",
            "`--zzz` is not a flag of `promote`; it takes `--dry-run`.",
            None,
        ),
        ("promote", ("--dry-run",), "m --dry-run=yes", "`--dry-run` takes no value.", None),
        (
            "lock",
            ("--for",),
            "m --for 0h",
            "`--for 0h` is no time at all; give a duration such as `2h`.",
            None,
        ),
        (
            "lock",
            ("--for",),
            "m --for 366d",
            "`--for 366d` is longer than 365 days; without `--for` a lock holds until someone "
            "unlocks it.",
            None,
        ),
        ("lock", ("--for",), "m --for 30m1h", f"{FOR_RULE} `30m1h`.", None),
        ("lock", ("--for",), "m --for=", f"{FOR_RULE} nothing.", None),
        ("lock", ("--for",), "m --for 2h --for 3h", "`--for` is given twice.", None),
    ],
    ids=[
        "limit-zero",
        "limit-too-many",
        "limit-empty",
        "limit-without-value",
        "limit-followed-by-a-flag",
        "limit-twice",
        "typo-with-suggestion",
        "no-flags-taken",
        "unknown-flag-lists-the-valid",
        "dry-run-with-value",
        "for-no-time",
        "for-over-a-year",
        "for-units-out-of-order",
        "for-empty",
        "for-twice",
    ],
)
def test_a_bad_flag_is_refused_with_what_to_type(
    command: str, valid: tuple[str, ...], line: str, problem: str, try_line: str | None
) -> None:
    with pytest.raises(Invalid) as raised:
        take_flags(command, valid, line.split(), "")
    assert (raised.value.problem, raised.value.command, raised.value.try_line) == (
        problem,
        command,
        try_line,
    )
