"""The one vocabulary table: the parser, `help`, the Slack slash commands and the GitHub
comment words all come from it (docs/contract.md, "Commands")."""

from __future__ import annotations

import re

import pytest

from bot.core.commands import (
    COMMANDS,
    COMMENT_WORDS,
    HELP,
    SLASH_COMMANDS,
    SPEC,
    SPECS,
    UMBRELLA,
    USAGE,
    CommandSpec,
    Help,
    ParseResult,
    help_text,
    parse,
)
from bot.core.commands.context import DRY_RUN, FOR, LIMIT
from bot.doors.github import comment as github_door
from bot.doors.slack import app as slack_app

IDS = [spec.name for spec in SPECS]

# (name, has its own Slack slash command, is a GitHub comment word): the contract's doors.
DOORS: list[tuple[str, bool, bool]] = [
    ("promote", True, True),
    ("rollback", True, True),
    ("approve", False, True),
    ("deny", False, True),
    ("status", False, True),
    ("history", False, True),
    ("policy", False, True),
    ("lock", False, True),
    ("unlock", False, True),
    ("help", False, False),
]

# A model name, or a request id for the commands that take one: enough to reach the flags.
FIRST_WORD = {"approve": "req-7f3a2c", "deny": "req-7f3a2c", "help": "promote"}


def test_the_table_holds_each_command_once_in_the_contracts_order() -> None:
    assert tuple(name for name, _, _ in DOORS) == COMMANDS
    assert list(SPEC) == list(COMMANDS)
    assert all(SPEC[spec.name] is spec for spec in SPECS)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_every_spec_has_usage_help_and_an_example_of_itself(spec: CommandSpec) -> None:
    assert spec.usage == spec.name or spec.usage.startswith(f"{spec.name} ")
    assert spec.help.strip()
    example = re.fullmatch(r"Example: `([^`]+)`", spec.help.splitlines()[-1])
    assert example is not None
    assert example.group(1).split()[0] == spec.name
    for flag in spec.flags:
        assert flag in spec.usage


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_usage_and_help_views_are_the_tables(spec: CommandSpec) -> None:
    assert USAGE[spec.name] == spec.usage
    assert HELP[spec.name] == spec.help


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_help_for_a_command_is_its_spec(spec: CommandSpec) -> None:
    assert help_text(spec.name) == f"Usage: `{spec.usage}`\n{spec.help}"


def test_help_lists_every_spec_in_table_order() -> None:
    listed = [line for line in help_text().splitlines() if line.startswith("  `")]
    assert listed == [f"  `{spec.usage}`" for spec in SPECS]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_the_parser_knows_every_spec_by_name(spec: CommandSpec) -> None:
    assert parse(f"{spec.name} --help") == ParseResult(command=Help(spec.name))
    assert parse(f"/{UMBRELLA} {spec.name.upper()} --help") == ParseResult(command=Help(spec.name))


@pytest.mark.parametrize("spec", [s for s in SPECS if s.name != "help"], ids=IDS[:-1])
def test_a_reply_about_a_command_ends_with_its_spec_usage(spec: CommandSpec) -> None:
    reply = parse(spec.name).reply
    assert reply is not None
    assert reply.splitlines()[-1] == f"Usage: `{spec.usage}`"


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@pytest.mark.parametrize("flag", [DRY_RUN, LIMIT, FOR], ids=["dry-run", "limit", "for"])
def test_a_command_takes_exactly_the_flags_of_its_spec(spec: CommandSpec, flag: str) -> None:
    first = FIRST_WORD.get(spec.name, "m")
    reply = parse(f"{spec.name} {first} {flag}=9").reply or ""
    refused = f"`{flag}` is not a flag of `{spec.name}`"
    assert (refused in reply) is (flag not in spec.flags)
    if flag not in spec.flags:
        takes = ", ".join(f"`{f}`" for f in spec.flags)
        assert (f"it takes {takes}." if spec.flags else "which takes no flags.") in reply


@pytest.mark.parametrize(("name", "slash", "comment"), DOORS, ids=[name for name, _, _ in DOORS])
def test_each_spec_says_how_the_doors_name_it(name: str, slash: bool, comment: bool) -> None:
    spec = SPEC[name]
    assert spec.word == f"/{name}"
    assert (spec.slash_command, spec.comment_word) == (slash, comment)


def test_the_slack_slash_commands_are_the_tables() -> None:
    expected = {"/promote": "promote", "/rollback": "rollback", "/promobot": ""}
    assert dict(SLASH_COMMANDS) == expected
    assert list(SLASH_COMMANDS) == list(expected)
    assert slack_app.SLASH_COMMANDS is SLASH_COMMANDS
    assert [name for name in SLASH_COMMANDS.values() if name] == [
        spec.name for spec in SPECS if spec.slash_command
    ]
    # A slash command of its own stands for its command; `/promobot` for any command.
    assert parse(slack_app.command_text("/rollback", "--help")).command == Help("rollback")
    assert parse(slack_app.command_text(f"/{UMBRELLA}", "status --help")).command == Help("status")


def test_the_github_comment_words_are_the_tables() -> None:
    expected = (
        "/promote",
        "/rollback",
        "/approve",
        "/deny",
        "/status",
        "/history",
        "/policy",
        "/lock",
        "/unlock",
        "/promobot",
    )
    assert expected == COMMENT_WORDS
    assert github_door.COMMAND_WORDS is COMMENT_WORDS
    assert (*(s.word for s in SPECS if s.comment_word), f"/{UMBRELLA}") == COMMENT_WORDS
