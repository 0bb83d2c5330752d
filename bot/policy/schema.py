"""Policy files, step one: the strict raw schema (docs/contract.md, "Policy files").

Atlantis' raw → valid: these models say what a file may hold, and their validators turn
text into typed values once (a duration into a `timedelta`, a time into a `time`, a gate
into a `MetricExpr`), so `bot.policy.rules` builds rules without parsing again. Every
field type also says what JSON Schema publishes for it (`json_schema`).
"""

from __future__ import annotations

import datetime
import json
import re
import types
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from bot.policy import values
from bot.policy.groups import MEMBER_PATTERN, PREFIXES, member_problem
from bot.policy.values import (
    CHECK_NAME_MAX,
    DURATION_PATTERN,
    METRIC_PATTERN,
    TIME_PATTERN,
    MetricExpr,
    RequiredChecks,
)

# Aliases MLflow refuses, or that mirror a stage (docs/contract.md: mirrored aliases
# always agree with the stages, so only the stage target may move them).
_MIRRORED_ALIASES = {"@staging", "@production", "@archived"}

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
TARGET_PATTERN = r"^(staging|production|archived|@[a-z0-9][a-z0-9_-]*)$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
GITHUB_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\[bot\])?$"
SLACK_PATTERN = r"^[A-Z0-9]{2,}$"
SLACK_CHANNEL_PATTERN = r"^[CG][A-Z0-9]{2,}$"
CLI_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


def _target_problem(text: str) -> str | None:
    if text in _MIRRORED_ALIASES:
        return (
            f"{text} mirrors the {text[1:].capitalize()} stage and moves with it "
            f"(write the stage `{text[1:]}` instead)"
        )
    if text == "@latest" or re.fullmatch(r"@v[0-9]+", text):
        return f"MLflow reserves the alias {text} (choose another name, e.g. @champion)"
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
TargetKey = _checked_text(
    _target_problem,
    TARGET_PATTERN,
    "A stage (staging, production, archived) or an alias written @name.",
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
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class _Strict(BaseModel):
    # strict: YAML gives real types, so "1" is not a number and "no" is not false.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RawPerson(_Strict):
    """One person and all their handles, so one person is recognised in every door."""

    email: Email | None = None
    github: GitHubLogin | None = None
    slack: SlackId | None = None
    cli: CliName | None = None


class RawFreeze(_Strict):
    """A weekly window in which promotions are refused (rollbacks never are)."""

    days: list[Day] = Field(
        default_factory=list, description="Days the window starts on; empty means every day."
    )
    start: TimeOfDay = Field(alias="from", description='Start, e.g. "16:00".')
    end: TimeOfDay = Field(
        alias="to",
        description='Last minute inside the window, e.g. "23:59"; earlier than `from` '
        "means the window crosses midnight.",
    )
    timezone: TimeZone
    reason: str = ""


def _ttl() -> Any:
    # Written as in a file, so the JSON Schema publishes "24h"; validated into a timedelta.
    return Field(default="24h", validate_default=True)


class RawRule(_Strict):
    """Who asks and who approves: what a target and a rollback rule share."""

    requesters: list[Name] = Field(min_length=1, description="Groups or people who may ask.")
    approvers: list[Name] = Field(
        default_factory=list,
        description="Groups or people who approve; with one count per group in `approvals`, "
        "absent or the same groups.",
    )
    approvals: Approvals
    self_approval: bool = Field(
        default=False, description="May the requester approve their own request."
    )
    deny_requires_reason: bool = Field(
        default=False, description="A denial must say why (`deny <request-id> <reason>`)."
    )


class RawTarget(RawRule):
    """The rules for promoting a version to one stage or alias."""

    require_stage: Literal["staging", "production"] | None = Field(
        default=None, description="The stage the version must hold first."
    )
    require_reason: bool = False
    metrics: dict[NonEmptyText, MetricGateExpr] = Field(default_factory=dict)
    require_checks: RequireChecks | None = None
    freeze: list[RawFreeze] = Field(default_factory=list)
    request_ttl: RequestTtl = _ttl()


class RawRollback(RawRule):
    """Who may roll a model back, and who must approve (freezes never apply)."""

    require_reason: bool = False
    request_ttl: RequestTtl = _ttl()
    respect_locks: bool = Field(
        default=False,
        description="Refuse rollbacks of a locked target too (by default they pass a lock).",
    )


class RawLocks(_Strict):
    """Who may lock and unlock the model's targets (`lock`, `unlock`)."""

    requesters: list[Name] = Field(
        min_length=1,
        description="Groups or people who may lock and unlock every target of the model "
        "(instead of each target's requesters and approvers).",
    )


class RawModel(_Strict):
    name: NonEmptyText = Field(
        description='Registered model name, or a glob such as "sentiment-*".'
    )
    targets: dict[TargetKey, RawTarget] = Field(json_schema_extra={"additionalProperties": False})
    rollback: RawRollback | None = None
    locks: RawLocks | None = None
    slack_channel: SlackChannel | None = None


class RawPolicyFile(_Strict):
    """A promobot policy file (policies/*.yaml)."""

    people: dict[Name, RawPerson] = Field(default_factory=dict)
    groups: dict[Name, list[GroupMember]] = Field(default_factory=dict)
    models: list[RawModel] = Field(default_factory=list)


# ---------------------------------------------------------------- the schema as data


def _unwrap(annotation: Any) -> Any:
    """The type under Annotated and Optional."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            annotation = options[0]
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    """Field annotations by the key written in a file (the alias, where there is one)."""
    return {(info.alias or name): info.annotation for name, info in model.model_fields.items()}


def type_at(loc: Sequence[str | int]) -> Any:
    """What the schema expects at `loc` (through models, lists and dicts), or None."""
    current: Any = RawPolicyFile
    for part in loc:
        current = _unwrap(current)
        if _is_model(current):
            current = _fields(current).get(str(part))
            if current is None:
                return None
        elif typing.get_origin(current) in (list, dict):
            current = typing.get_args(current)[-1]
        else:
            return None
    return _unwrap(current)


def keys_at(loc: Sequence[str | int]) -> list[str]:
    """The keys a mapping at `loc` may have (for "unknown key" messages)."""
    current = type_at(loc)
    return list(_fields(current)) if _is_model(current) else []


def empty_at(loc: Sequence[str | int]) -> dict[str, Any] | list[Any] | None:
    """The empty value of what the schema expects at `loc`: [] for a list, {} for a
    mapping or for a model whose fields all have defaults; None when it has none."""
    current = type_at(loc)
    origin = typing.get_origin(current)
    if origin is list:
        return []
    if origin is dict:
        return {}
    if _is_model(current) and not any(f.is_required() for f in current.model_fields.values()):
        return {}
    return None


def json_schema() -> dict[str, Any]:
    schema = RawPolicyFile.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": "Generated by bot.policy.schema.write_json_schema; do not edit.",
        **schema,
    }


def write_json_schema(path: str | Path) -> None:
    """Write the JSON Schema of a policy file (for editors and check-jsonschema)."""
    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    Path(path).write_text(text, encoding="utf-8")
