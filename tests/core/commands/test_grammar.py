"""One parser per command (bot/core/commands/grammar.py): a command's words, flags already
taken out, into its command; or what is wrong and the line to type instead."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.core.commands import (
    Approve,
    Command,
    Deny,
    History,
    Lock,
    PolicyExplain,
    Promote,
    Rollback,
    Status,
    Target,
    Unlock,
    VersionSpec,
)
from bot.core.commands import grammar as g
from bot.core.commands.context import Ctx, Invalid

PRODUCTION = Target("stage", "Production")
STAGING = Target("stage", "Staging")
CHAMPION = Target("alias", "champion")
V3 = VersionSpec("number", "3")
TARGETS = "Targets are staging, production, archived or an alias like @champion."
VERSIONS = (
    "Versions are `v3` or `3`, `latest`, an alias like `@champion`, or a stage such as `staging`."
)

Parser = Callable[[Ctx], Command]


def ctx(command: str, words: str, extra: str = "", **flags: object) -> Ctx:
    return Ctx(command, words.split(), extra, **flags)  # type: ignore[arg-type]


# (parser, command word, words, extra lines, flags, the command read)
GOOD: list[tuple[Parser, str, str, str, dict[str, object], Command]] = [
    (
        g.parse_promote,
        "promote",
        "m v3 production passed shadow",
        "",
        {},
        Promote("m", V3, PRODUCTION, "passed shadow"),
    ),
    (
        g.parse_promote,
        "promote",
        "m production from the PR head",
        "",
        {},
        Promote("m", None, PRODUCTION, "from the PR head"),
    ),
    (
        g.parse_promote,
        "promote",
        "m latest @champion",
        "",
        {"dry_run": True},
        Promote("m", VersionSpec("latest", "latest"), CHAMPION, "", dry_run=True),
    ),
    (
        g.parse_promote,
        "promote",
        "m staging production",
        "why\nmore",
        {},
        Promote("m", VersionSpec("stage", "Staging"), PRODUCTION, "why\nmore"),
    ),
    (g.parse_rollback, "rollback", "m", "", {}, Rollback("m", PRODUCTION, default_target=True)),
    (
        g.parse_rollback,
        "rollback",
        "m latency spike",
        "",
        {},
        Rollback("m", PRODUCTION, None, "latency spike", default_target=True),
    ),
    (
        g.parse_rollback,
        "rollback",
        "m @champion to v2 bad",
        "",
        {},
        Rollback("m", CHAMPION, VersionSpec("number", "2"), "bad"),
    ),
    (
        g.parse_rollback,
        "rollback",
        "m staging",
        "",
        {"dry_run": True},
        Rollback("m", STAGING, dry_run=True),
    ),
    (
        g.parse_approve,
        "approve",
        "req-7f3a2c91bd looks good",
        "second line",
        {},
        Approve("req-7f3a2c91bd", "looks good\nsecond line"),
    ),
    (g.parse_deny, "deny", "REQ-7F3A2C91BD", "", {}, Deny("req-7f3a2c91bd", "")),
    (g.parse_status, "status", "m", "", {}, Status("m")),
    (g.parse_policy, "policy", "m", "", {}, PolicyExplain("m")),
    (g.parse_history, "history", "m", "", {}, History("m", 20)),
    (g.parse_history, "history", "m", "", {"limit": 3}, History("m", 3)),
    (g.parse_lock, "lock", "m", "", {}, Lock("m", None)),
    (g.parse_lock, "lock", "m release week", "", {}, Lock("m", None, "release week")),
    (
        g.parse_lock,
        "lock",
        "m production freeze",
        "",
        {"duration": timedelta(hours=2), "duration_text": "2h"},
        Lock("m", PRODUCTION, "freeze", timedelta(hours=2)),
    ),
    (g.parse_unlock, "unlock", "m", "", {}, Unlock("m", None)),
    (g.parse_unlock, "unlock", "m @champion", "", {}, Unlock("m", CHAMPION)),
]


@pytest.mark.parametrize(
    ("parser", "command", "words", "extra", "flags", "read"),
    GOOD,
    ids=[
        "promote",
        "promote-without-version",
        "promote-latest-to-alias-dry-run",
        "promote-stage-as-version-reason-on-lines",
        "rollback-production-by-default",
        "rollback-with-reason",
        "rollback-alias-to-version",
        "rollback-staging-dry-run",
        "approve-with-comment",
        "deny-lower-cases-the-id",
        "status",
        "policy",
        "history-default-limit",
        "history-limit",
        "lock-every-target",
        "lock-every-target-with-reason",
        "lock-target-for",
        "unlock-every-target",
        "unlock-alias",
    ],
)
def test_a_commands_words_read_as_its_command(
    parser: Parser, command: str, words: str, extra: str, flags: dict[str, object], read: Command
) -> None:
    assert parser(ctx(command, words, extra, **flags)) == read


BAD: list[tuple[Parser, str, str, dict[str, object], str, str | None]] = [
    (
        g.parse_promote,
        "promote",
        "m",
        {},
        "`promote` needs a version and a target after `m`.",
        None,
    ),
    (
        g.parse_promote,
        "promote",
        "m v3",
        {},
        f"`promote m v3` is missing the target: where should v3 go? {TARGETS}",
        None,
    ),
    (
        g.parse_promote,
        "promote",
        "m production v3",
        {},
        "The version comes before the target: `v3` after `production` reads as the start of "
        "the reason.",
        "promote m v3 production",
    ),
    (
        g.parse_promote,
        "promote",
        "m production stagin",
        {},
        f"`stagin` is not a target. Did you mean `staging`? {TARGETS}",
        "promote m production staging",
    ),
    (
        g.parse_promote,
        "promote",
        "m v3 prodution now",
        {"dry_run": True},
        f"`prodution` is not a target. Did you mean `production`? {TARGETS}",
        "promote m v3 production now --dry-run",
    ),
    (g.parse_promote, "promote", "m vx production", {}, f"`vx` is not a version. {VERSIONS}", None),
    (
        g.parse_promote,
        "promote",
        "m/x v3 production",
        {},
        "`m/x` is not a valid model name: `/` is not allowed. Model names use letters, digits, "
        "`.`, `_` and `-`, start with a letter or digit, contain no `..` and are at most 256 "
        "characters.",
        None,
    ),
    (
        g.parse_rollback,
        "rollback",
        "m v2",
        {},
        "To roll back to `v2`, write `to` before it.",
        "rollback m to v2",
    ),
    (g.parse_rollback, "rollback", "m to", {}, f"`to` needs a version after it. {VERSIONS}", None),
    (g.parse_rollback, "rollback", "m to vx", {}, f"`vx` is not a version. {VERSIONS}", None),
    (
        g.parse_rollback,
        "rollback",
        "m stagin",
        {},
        f"`stagin` is not a target. Did you mean `staging`? {TARGETS}",
        "rollback m staging",
    ),
    (g.parse_rollback, "rollback", "", {}, "`rollback` needs a model name.", None),
    (
        g.parse_history,
        "history",
        "m 5",
        {},
        "Give the number of entries with `--limit`: `5` alone is not understood.",
        "history m --limit 5",
    ),
    (
        g.parse_history,
        "history",
        "m a b",
        {},
        "`history` takes one model name; `a b` is extra.",
        "history m",
    ),
    (
        g.parse_status,
        "status",
        "m extra words",
        {},
        "`status` takes only a model name; `extra words` is extra.",
        "status m",
    ),
    (
        g.parse_lock,
        "lock",
        "m prod",
        {"duration": timedelta(hours=2), "duration_text": "2h"},
        f"`prod` is not a target. Did you mean `production`? {TARGETS}",
        "lock m production --for 2h",
    ),
    (
        g.parse_unlock,
        "unlock",
        "m production now",
        {},
        "`unlock` takes a model and, optionally, a target; `now` is extra.",
        "unlock m production",
    ),
    (g.parse_unlock, "unlock", "", {}, "`unlock` needs a model name.", None),
]


@pytest.mark.parametrize(
    ("parser", "command", "words", "flags", "problem", "try_line"),
    BAD,
    ids=[
        "promote-model-only",
        "promote-no-target",
        "promote-version-after-target",
        "promote-mistyped-second-target",
        "promote-mistyped-target-keeps-dry-run",
        "promote-bad-version",
        "promote-bad-model",
        "rollback-version-without-to",
        "rollback-to-nothing",
        "rollback-to-bad-version",
        "rollback-mistyped-target",
        "rollback-no-model",
        "history-bare-number",
        "history-extra-words",
        "status-extra-words",
        "lock-abbreviated-target-keeps-for",
        "unlock-extra-words",
        "unlock-no-model",
    ],
)
def test_what_cannot_be_read_says_why_and_what_to_type(
    parser: Parser,
    command: str,
    words: str,
    flags: dict[str, object],
    problem: str,
    try_line: str | None,
) -> None:
    with pytest.raises(Invalid) as raised:
        parser(ctx(command, words, **flags))
    assert (raised.value.problem, raised.value.command, raised.value.try_line) == (
        problem,
        command,
        try_line,
    )
