"""The field types of policy files: what each value may be, the sentence that says
what is wrong with one, the typed value it becomes, and what JSON Schema publishes for it
(bot/core/policy/schema.py builds the file's models from them)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainValidator,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from bot.core.commands.words import ALIAS_MAX_LENGTH
from bot.core.policy import promql, values
from bot.core.policy.groups import MEMBER_PATTERN, PREFIXES, member_problem
from bot.core.policy.values import (
    CHECK_NAME_MAX,
    DURATION_PATTERN,
    METRIC_PATTERN,
    TIME_PATTERN,
    MetricExpr,
    RequiredChecks,
)

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
# An alias target is at most as long as a command can name it (bot/core/commands/words.py).
_ALIAS_PATTERN = rf"@[a-z0-9][a-z0-9_-]{{0,{ALIAS_MAX_LENGTH - 1}}}"
TARGET_PATTERN = rf"^(staging|production|archived|{_ALIAS_PATTERN})$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
GITHUB_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\[bot\])?$"
SLACK_PATTERN = r"^[A-Z0-9]{2,}$"
SLACK_CHANNEL_PATTERN = r"^[CG][A-Z0-9]{2,}$"
CLI_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
# MLflow's basic-auth takes any username; these are the ones a handle can carry whole
# (no spaces, no `:`), e.g. bob, bob@example.com, svc-promobot.
MLFLOW_USER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,254}$"


# `@staging`, `@production` and `@archived` pass here: whether they may be targets depends
# on the registry (`registry: {stages: …}`), which another file may set, so
# bot/core/policy/registry_checks.py decides across the files.
def _target_problem(text: str) -> str | None:
    if text == "@latest" or re.fullmatch(r"@v[0-9]+", text):
        return f"MLflow reserves the alias {text} (choose another name, e.g. @champion)"
    if text.startswith("@") and len(text) - 1 > ALIAS_MAX_LENGTH:
        return (
            f"the alias `{text[:24]}…` is {len(text) - 1} characters long; an alias is at "
            f"most {ALIAS_MAX_LENGTH} characters (the longest a command can name)"
        )
    if re.match(TARGET_PATTERN, text):
        return None
    lowered = text.lower()
    if re.match(TARGET_PATTERN, lowered):
        return f"`{text}` must be written in lower case (write `{lowered}`)"
    return (
        f"`{text}` is not a target (write staging, production, archived, or an alias "
        f"such as @champion)"
    )


def _pattern_problem(pattern: str, what: str) -> Callable[[str], str | None]:
    def problem(text: str) -> str | None:
        return None if re.match(pattern, text) else f'"{text}" is not {what}'

    return problem


def _published(pattern: str, description: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "pattern": pattern, "description": description})


def _checked_text(check: Callable[[str], str | None], pattern: str, description: str) -> Any:
    """A string type whose validator explains itself and whose JSON Schema has a pattern."""

    def validate(value: str) -> str:
        problem = check(value)
        if problem:
            raise ValueError(problem)
        return value

    return Annotated[str, AfterValidator(validate), _published(pattern, description)]


def _from_text(parse: Callable[[str], Any]) -> BeforeValidator:
    """Parse text into its typed value; anything but text is refused as text would be."""

    def validate(value: object) -> Any:
        if not isinstance(value, str):
            raise PydanticCustomError("string_type", "Input should be a valid string")
        return parse(value)

    return BeforeValidator(validate)


def _name_problem(text: str) -> str | None:
    if text.partition(":")[0] in PREFIXES:
        # Teams and user groups are listed in a group, which rules then name.
        return (
            f'"{text}" is not a group or person name (list it in a group, e.g. groups: '
            f'{{leads: ["{text}"]}}, and name the group here)'
        )
    return _pattern_problem(
        NAME_PATTERN, "a valid name (use letters, digits, '.', '_' and '-', e.g. ml-leads)"
    )(text)


Name = _checked_text(_name_problem, NAME_PATTERN, "A person or group name.")
GroupMember = _checked_text(
    member_problem,
    MEMBER_PATTERN,
    "A person's key, a GitHub team `github-team:<org>/<team-slug>`, or a Slack user group "
    "`slack-group:<user group id>`.",
)
Email = _checked_text(
    _pattern_problem(EMAIL_PATTERN, "an e-mail address (write it like bob@example.com)"),
    EMAIL_PATTERN,
    "E-mail address; tags name the person by it.",
)
GitHubLogin = _checked_text(
    _pattern_problem(GITHUB_PATTERN, "a GitHub login (write the login without @, e.g. octocat)"),
    GITHUB_PATTERN,
    "GitHub login, without @.",
)
SlackId = _checked_text(
    _pattern_problem(
        SLACK_PATTERN,
        "a Slack member ID (write the ID from the profile's ⋯ menu, e.g. U01ABCDEF)",
    ),
    SLACK_PATTERN,
    "Slack member ID, e.g. U01ABCDEF (not the display name).",
)
SlackChannel = _checked_text(
    _pattern_problem(
        SLACK_CHANNEL_PATTERN,
        "a Slack channel ID (write the ID from the channel's details, e.g. C0123ABCD, "
        "not its #name)",
    ),
    SLACK_CHANNEL_PATTERN,
    "Slack channel ID (C… or G…, e.g. C0123ABCD) where this model's requests, promotions, "
    "drift and new versions are announced; default PROMOBOT_SLACK_CHANNEL.",
)
CliName = _checked_text(
    _pattern_problem(CLI_PATTERN, "a CLI name (use letters, digits, '.', '_' and '-')"),
    CLI_PATTERN,
    "Name used with `promobot --as cli:<name>`; defaults to the person's key.",
)
MlflowUsername = _checked_text(
    _pattern_problem(
        MLFLOW_USER_PATTERN,
        "an MLflow username (as MLflow's sign-in has it: letters, digits, '.', '_', '@', '+' "
        "and '-', e.g. bob)",
    ),
    MLFLOW_USER_PATTERN,
    "MLflow username: who signs in to MLflow (basic-auth, the guard) as this person acts "
    "as `mlflow:<username>` through `promobot --server`.",
)
TargetKey = _checked_text(
    _target_problem,
    TARGET_PATTERN,
    "A stage (staging, production, archived) or an alias written @name.",
)
# What a version must hold first: a stage, or (in a registry without stages) an alias.
REQUIRED_PATTERN = rf"^(staging|production|{_ALIAS_PATTERN})$"


def _required_problem(text: str) -> str | None:
    if re.match(REQUIRED_PATTERN, text):
        return None
    if re.match(REQUIRED_PATTERN, text.lower()):
        return f"`{text}` must be written in lower case (write `{text.lower()}`)"
    return (
        f"`{text}` is neither staging nor production (write the stage the version must hold "
        'first; in a registry without stages, the alias, e.g. "@staging")'
    )


RequiredHolder = _checked_text(
    _required_problem,
    REQUIRED_PATTERN,
    "What the version must hold first: the stage staging or production, or, with "
    '`registry: {stages: false}`, an alias written "@name".',
)
MetricGateExpr = Annotated[
    MetricExpr,
    _from_text(values.metric_expr),
    _published(
        METRIC_PATTERN,
        'Comparison such as ">= 0.80", or ">= production - 0.01" against the version now in '
        "production.",
    ),
]
TimeOfDay = Annotated[
    datetime.time,
    _from_text(values.time_of_day),
    _published(TIME_PATTERN, '24-hour time "HH:MM", quoted.'),
]
TimeZone = Annotated[
    str,
    _from_text(values.time_zone),
    _published(r"^[A-Za-z0-9_+/-]+$", "IANA time zone, e.g. Europe/Berlin."),
]
RequestTtl = Annotated[
    datetime.timedelta,
    _from_text(values.request_ttl),
    _published(
        DURATION_PATTERN,
        'How long a request waits for approval: "90s", "30m", "24h", "7d" or "1h30m" '
        "(units d, h, m, s, in that order).",
    ),
]


def _approvals(value: object) -> int | dict[str, int]:
    """A count (`1`), or one count per group (`{ml-leads: 1, sre: 1}`)."""
    if isinstance(value, bool) or not isinstance(value, int | dict):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    if isinstance(value, int):
        if value < 0:
            raise PydanticCustomError("greater_than_equal", "must be {ge} or more", {"ge": 0})
        return value
    if not value:
        raise ValueError(
            "the mapping names no group (write one count per group, e.g. "
            "{ml-leads: 1, sre: 1}, or `approvals: 0`)"
        )
    for group, count in value.items():
        if not isinstance(group, str) or _name_problem(group):
            raise ValueError(
                f"`{group}` is not a group or person name (write one count per group, e.g. "
                "{ml-leads: 1, sre: 1})"
            )
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(
                f"`{group}: {count}` is not a count of 1 or more (write how many of {group} "
                f"must approve, e.g. `{group}: 1`, or leave {group} out)"
            )
    return dict(value)


Approvals = Annotated[
    int | dict[str, int],
    PlainValidator(_approvals),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "integer", "minimum": 0},
                {
                    "type": "object",
                    "minProperties": 1,
                    "propertyNames": {"pattern": NAME_PATTERN},
                    "additionalProperties": {"type": "integer", "minimum": 1},
                },
            ],
            "description": "Approvals needed: a count (0 means the requester acts alone), or "
            "one count per group, e.g. {ml-leads: 1, sre: 1}, where one person's approval "
            "counts toward one group only.",
        }
    ),
]
RequireChecks = Annotated[
    RequiredChecks,
    BeforeValidator(values.required_checks),
    WithJsonSchema(
        {
            "description": "The checks the version's commit must have passed on GitHub: "
            'names of check runs or commit-status contexts, e.g. [test, "lint / ruff"], '
            "or all.",
            "oneOf": [
                {"const": "all"},
                {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"type": "string", "minLength": 1, "maxLength": CHECK_NAME_MAX},
                },
            ],
        }
    ),
]
NonEmptyText = Annotated[str, Field(min_length=1)]


def _query(text: str) -> str:
    problem = promql.query_problem(text)
    if problem:
        raise ValueError(problem)
    return text


PromQuery = Annotated[
    str,
    _from_text(_query),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "description": "An instant PromQL query that returns one number; the only "
            'placeholders are {model}, {version} and {target}, inside quotes: model="{model}".',
        }
    ),
]
Threshold = Annotated[
    MetricExpr,
    _from_text(values.threshold_expr),
    _published(METRIC_PATTERN, 'Comparison with a number, such as "< 0.02".'),
]
PositiveDuration = Annotated[
    datetime.timedelta,
    _from_text(values.positive_duration),
    _published(DURATION_PATTERN, 'A duration: "30s", "1m", "30m", "24h" or "1h30m".'),
]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
