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
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bot.policy import promql, values
from bot.policy.values import DURATION_PATTERN, METRIC_PATTERN, TIME_PATTERN, MetricExpr

# Aliases MLflow refuses, or that mirror a stage (docs/contract.md: mirrored aliases
# always agree with the stages, so only the stage target may move them).
_MIRRORED_ALIASES = {"@staging", "@production", "@archived"}

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
TARGET_PATTERN = r"^(staging|production|archived|@[a-z0-9][a-z0-9_-]*)$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
GITHUB_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\[bot\])?$"
SLACK_PATTERN = r"^[A-Z0-9]{2,}$"
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


Name = _checked_text(
    _pattern_problem(
        NAME_PATTERN, "a valid name (use letters, digits, '.', '_' and '-', e.g. ml-leads)"
    ),
    NAME_PATTERN,
    "A person or group name.",
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


class RawLiveCheck(_Strict):
    """One figure read from Prometheus, and the threshold it must meet."""

    name: NonEmptyText = Field(description="What the figure is, as messages name it.")
    prometheus: PromQuery
    threshold: Threshold = Field(alias="pass", description='The figure passes when, e.g. "< 0.02".')


class RawVerify(_Strict):
    """How a new holder of the target is watched after it takes the target."""

    watch: PositiveDuration = Field(alias="for", description="How long the new holder is watched.")
    every: PositiveDuration = Field(
        default="1m", validate_default=True, description="How often the checks run."
    )
    failures: int = Field(
        default=3, ge=1, le=1000, description="Consecutive failed runs of one check before acting."
    )
    no_data: Literal["fail", "ignore"] = Field(
        default="fail", description="An empty answer or an unreachable Prometheus: fail or ignore."
    )
    on_failure: Literal["rollback", "notify"] = Field(
        default="notify", description="Roll the target back to the version it replaced, or tell."
    )
    checks: list[RawLiveCheck] = Field(min_length=1)

    @model_validator(mode="after")
    def _every_within_for(self) -> RawVerify:
        if self.every > self.watch:
            raise ValueError(
                "`every` is longer than `for`, so no check would run before the watch ends "
                "(make `every` shorter)"
            )
        return self


class RawRule(_Strict):
    """Who asks and who approves: what a target and a rollback rule share."""

    requesters: list[Name] = Field(min_length=1, description="Groups or people who may ask.")
    approvers: list[Name] = Field(default_factory=list, description="Groups or people who approve.")
    approvals: int = Field(ge=0, description="Approvals needed; 0 means the requester acts alone.")
    self_approval: bool = Field(
        default=False, description="May the requester approve their own request."
    )


class RawTarget(RawRule):
    """The rules for promoting a version to one stage or alias."""

    require_stage: Literal["staging", "production"] | None = Field(
        default=None, description="The stage the version must hold first."
    )
    require_reason: bool = False
    metrics: dict[NonEmptyText, MetricGateExpr] = Field(default_factory=dict)
    freeze: list[RawFreeze] = Field(default_factory=list)
    request_ttl: RequestTtl = _ttl()
    soak: PositiveDuration | None = Field(
        default=None, description="How long the candidate must have held require_stage."
    )
    live: list[RawLiveCheck] = Field(
        default_factory=list, description="Gates on live figures, at request and at execution."
    )
    verify: RawVerify | None = None

    @model_validator(mode="after")
    def _soak_needs_stage(self) -> RawTarget:
        if self.soak is not None and self.require_stage is None:
            raise ValueError(
                "`soak` needs `require_stage` (the stage the candidate must have held that long)"
            )
        return self


class RawRollback(RawRule):
    """Who may roll a model back, and who must approve (freezes never apply)."""

    require_reason: bool = False
    request_ttl: RequestTtl = _ttl()


class RawModel(_Strict):
    name: NonEmptyText = Field(
        description='Registered model name, or a glob such as "sentiment-*".'
    )
    targets: dict[TargetKey, RawTarget] = Field(json_schema_extra={"additionalProperties": False})
    rollback: RawRollback | None = None


class RawPolicyFile(_Strict):
    """A promobot policy file (policies/*.yaml)."""

    people: dict[Name, RawPerson] = Field(default_factory=dict)
    groups: dict[Name, list[Name]] = Field(default_factory=dict)
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
