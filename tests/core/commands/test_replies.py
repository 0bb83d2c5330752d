"""What a person reads back when a command cannot run, and `help`
(bot/core/commands/replies.py): the problem, what to type, and the usage of the command
or of them all; every usage line the vocabulary's."""

from __future__ import annotations

import pytest

from bot.core.commands import COMMANDS, HELP, USAGE
from bot.core.commands.context import Invalid
from bot.core.commands.replies import help_text, reply, unknown_command

EVERY_USAGE = [f"  `{USAGE[name]}`" for name in COMMANDS]


def test_help_without_a_topic_lists_every_command_once_in_the_vocabularys_order() -> None:
    assert help_text("").splitlines() == [
        "promobot moves MLflow model versions through stages and aliases, with approvals.",
        "Commands:",
        *EVERY_USAGE,
        "Type `help <command>` for details and an example.",
    ]


@pytest.mark.parametrize(
    "topic", ["promote", " /Promote ", "PROMOTE"], ids=["word", "slash", "upper"]
)
def test_help_on_a_command_is_its_usage_then_its_help(topic: str) -> None:
    assert help_text(topic) == f"Usage: `{USAGE['promote']}`\n{HELP['promote']}"


@pytest.mark.parametrize("topic", ["xyzzy", "prömote"], ids=["unknown", "non-ascii"])
def test_help_on_an_unknown_topic_is_help_on_everything(topic: str) -> None:
    assert help_text(topic) == help_text("")


def test_a_reply_for_a_known_command_has_the_problem_the_try_line_and_its_usage() -> None:
    invalid = Invalid("`status` takes only a model name.", "status", "status m")
    assert reply(invalid).splitlines() == [
        "`status` takes only a model name.",
        "Try: `status m`",
        f"Usage: `{USAGE['status']}`",
    ]


def test_a_reply_without_a_command_lists_every_usage() -> None:
    assert reply(Invalid("No command given.", None)).splitlines() == [
        "No command given.",
        "Commands:",
        *EVERY_USAGE,
    ]


@pytest.mark.parametrize(
    ("tokens", "problem", "try_line"),
    [
        (
            ["promot", "m", "v3", "staging"],
            "Unknown command `promot`. Did you mean `promote`?",
            "promote m v3 staging",
        ),
        (["/STATUS2", "m"], "Unknown command `STATUS2`. Did you mean `status`?", "status m"),
        (["xyzzy"], "Unknown command `xyzzy`.", None),
        (["`x`"], "Unknown command `'x'`.", None),
    ],
    ids=["typo-keeps-the-words", "slash-and-case", "nothing-close", "backticks-quoted-safely"],
)
def test_an_unknown_command_suggests_the_one_meant(
    tokens: list[str], problem: str, try_line: str | None
) -> None:
    invalid = unknown_command(tokens)
    assert (invalid.problem, invalid.command, invalid.try_line) == (problem, None, try_line)
