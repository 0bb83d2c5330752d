"""The field types of policy files (bot/core/policy/schema_types.py): what each value may
be, the sentence that says what is wrong with one, the typed value it becomes, and the
pattern JSON Schema publishes for it."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from bot.core.policy import schema_types as types

NAME_RULE = "(use letters, digits, '.', '_' and '-', e.g. ml-leads)"


def valid(kind: Any, value: object) -> object:
    return TypeAdapter(kind).validate_python(value, strict=True)


def refusal(kind: Any, value: object) -> tuple[str, str]:
    """(pydantic's error type, the sentence a person reads) for a refused value."""
    with pytest.raises(ValidationError) as raised:
        valid(kind, value)
    (error,) = raised.value.errors()
    return error["type"], str(error.get("ctx", {}).get("error", error["msg"]))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("production", None),
        ("archived", None),
        ("@champion", None),
        ("@" + "a" * 64, None),
        # Whether it may be a target depends on the registry (tests/core/policy/
        # test_registry_checks.py): the type lets it through.
        ("@production", None),
        ("@latest", "MLflow reserves the alias @latest (choose another name, e.g. @champion)"),
        ("@v2", "MLflow reserves the alias @v2 (choose another name, e.g. @champion)"),
        (
            "@" + "a" * 65,
            f"the alias `@{'a' * 23}…` is 65 characters long; an alias is at most 64 characters "
            "(the longest a command can name)",
        ),
        ("Production", "`Production` must be written in lower case (write `production`)"),
        ("@Champion", "`@Champion` must be written in lower case (write `@champion`)"),
        (
            "prod",
            "`prod` is not a target (write staging, production, archived, or an alias such as "
            "@champion)",
        ),
    ],
    ids=[
        "stage",
        "archived",
        "alias",
        "longest-alias",
        "mirrored-alias",
        "reserved-latest",
        "reserved-v-number",
        "alias-too-long",
        "stage-capitalised",
        "alias-capitalised",
        "not-a-target",
    ],
)
def test_target_key(text: str, problem: str | None) -> None:
    if problem is None:
        assert valid(types.TargetKey, text) == text
    else:
        assert refusal(types.TargetKey, text) == ("value_error", problem)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ml-leads", None),
        ("team.a_1", None),
        (
            "github-team:acme/x",
            '"github-team:acme/x" is not a group or person name (list it in a group, e.g. '
            'groups: {leads: ["github-team:acme/x"]}, and name the group here)',
        ),
        (
            "slack-group:S1",
            '"slack-group:S1" is not a group or person name (list it in a group, e.g. '
            'groups: {leads: ["slack-group:S1"]}, and name the group here)',
        ),
        ("bad name", f'"bad name" is not a valid name {NAME_RULE}'),
        ("-x", f'"-x" is not a valid name {NAME_RULE}'),
    ],
    ids=[
        "dashes",
        "dots-underscores",
        "team-named-by-a-rule",
        "user-group-named-by-a-rule",
        "space",
        "dash-first",
    ],
)
def test_a_rules_name_is_a_group_or_person_never_a_team(text: str, problem: str | None) -> None:
    if problem is None:
        assert valid(types.Name, text) == text
    else:
        assert refusal(types.Name, text) == ("value_error", problem)


@pytest.mark.parametrize(
    ("kind", "good", "bad", "problem"),
    [
        (
            types.Email,
            "bob@example.com",
            "bob",
            '"bob" is not an e-mail address (write it like bob@example.com)',
        ),
        (
            types.GitHubLogin,
            "dependabot[bot]",
            "@octocat",
            '"@octocat" is not a GitHub login (write the login without @, e.g. octocat)',
        ),
        (
            types.SlackId,
            "U01ABCDEF",
            "bob",
            '"bob" is not a Slack member ID (write the ID from the profile\'s ⋯ menu, '
            "e.g. U01ABCDEF)",
        ),
        (
            types.SlackChannel,
            "C0123ABCD",
            "#releases",
            '"#releases" is not a Slack channel ID (write the ID from the channel\'s details, e.g. '
            "C0123ABCD, not its #name)",
        ),
        (
            types.CliName,
            "erin-cli",
            "erin cli",
            "\"erin cli\" is not a CLI name (use letters, digits, '.', '_' and '-')",
        ),
        (
            types.GroupMember,
            "github-team:acme/ml-leads",
            "github-team:acme",
            "`github-team:acme` needs",
        ),
    ],
    ids=["email", "github-login", "slack-member", "slack-channel", "cli-name", "group-member"],
)
def test_a_handle_is_checked_and_its_published_pattern_agrees(
    kind: Any, good: str, bad: str, problem: str
) -> None:
    assert valid(kind, good) == good
    kind_of_error, said = refusal(kind, bad)
    assert kind_of_error == "value_error" and said.startswith(problem)
    pattern = TypeAdapter(kind).json_schema()["pattern"]
    assert (re.match(pattern, good) is not None, re.match(pattern, bad) is not None) == (
        True,
        False,
    )


@pytest.mark.parametrize(
    ("value", "read"),
    [
        (0, 0),
        (2, 2),
        ({"ml-leads": 1, "sre": 2}, {"ml-leads": 1, "sre": 2}),
    ],
    ids=["none-needed", "a-count", "one-count-per-group"],
)
def test_approvals_are_a_count_or_one_count_per_group(value: object, read: object) -> None:
    assert valid(types.Approvals, value) == read


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        (True, ("int_type", "Input should be a valid integer")),
        ("1", ("int_type", "Input should be a valid integer")),
        (-1, ("greater_than_equal", "must be 0 or more")),
        (
            {},
            (
                "value_error",
                "the mapping names no group (write one count per group, e.g. {ml-leads: 1, sre: "
                "1}, or `approvals: 0`)",
            ),
        ),
        (
            {"bad name": 1},
            (
                "value_error",
                "`bad name` is not a group or person name (write one count per group, e.g. "
                "{ml-leads: 1, sre: 1})",
            ),
        ),
        (
            {"ml-leads": 0},
            (
                "value_error",
                "`ml-leads: 0` is not a count of 1 or more (write how many of ml-leads must "
                "approve, e.g. `ml-leads: 1`, or leave ml-leads out)",
            ),
        ),
        (
            {"ml-leads": True},
            (
                "value_error",
                "`ml-leads: True` is not a count of 1 or more (write how many of ml-leads must "
                "approve, e.g. `ml-leads: 1`, or leave ml-leads out)",
            ),
        ),
    ],
    ids=[
        "boolean",
        "text",
        "negative",
        "empty-mapping",
        "bad-group",
        "zero-for-a-group",
        "boolean-for-a-group",
    ],
)
def test_approvals_refused(value: object, refused: tuple[str, str]) -> None:
    assert refusal(types.Approvals, value) == refused


@pytest.mark.parametrize(
    ("kind", "text", "read"),
    [
        (types.TimeOfDay, "16:00", datetime.time(16, 0)),
        (types.TimeZone, "Europe/Berlin", "Europe/Berlin"),
        (types.RequestTtl, "1h30m", datetime.timedelta(hours=1, minutes=30)),
        (types.PositiveDuration, "30s", datetime.timedelta(seconds=30)),
        (types.PromQuery, 'x{m="{model}"}', 'x{m="{model}"}'),
    ],
    ids=["time", "zone", "ttl", "duration", "query"],
)
def test_text_becomes_its_typed_value(kind: Any, text: str, read: object) -> None:
    assert valid(kind, text) == read


@pytest.mark.parametrize(
    "kind",
    [
        types.TimeOfDay,
        types.TimeZone,
        types.RequestTtl,
        types.PositiveDuration,
        types.PromQuery,
        types.Threshold,
    ],
    ids=["time", "zone", "ttl", "duration", "query", "threshold"],
)
def test_anything_but_text_is_refused_as_text_would_be(kind: Any) -> None:
    assert refusal(kind, 960) == ("string_type", "Input should be a valid string")


def test_a_query_with_a_placeholder_outside_quotes_is_refused_as_promql_says() -> None:
    assert refusal(types.PromQuery, "x{m={model}}") == (
        "value_error",
        "`{model}` stands outside a quoted label value (write it inside quotes, e.g. "
        'model="{model}")',
    )
