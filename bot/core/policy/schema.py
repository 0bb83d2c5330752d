"""Policy files, step one: the strict raw schema (docs/contract.md, "Policy files").

Atlantis' raw → valid: these models say what a file may hold, and their validators turn
text into typed values once (a duration into a `timedelta`, a time into a `time`, a gate
into a `MetricExpr`), so `bot.core.policy.rules` builds rules without parsing again. Every
field type also says what JSON Schema publishes for it (`json_schema`).
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from bot.core.policy.schema_types import (
    Approvals,
    CliName,
    Day,
    Email,
    GitHubLogin,
    GroupMember,
    MetricGateExpr,
    MlflowUsername,
    Name,
    NonEmptyText,
    PositiveDuration,
    PromQuery,
    RequestTtl,
    RequireChecks,
    RequiredHolder,
    SlackChannel,
    SlackId,
    TargetKey,
    Threshold,
    TimeOfDay,
    TimeZone,
)


class _Strict(BaseModel):
    # strict: YAML gives real types, so "1" is not a number and "no" is not false.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RawPerson(_Strict):
    """One person and all their handles, so one person is recognised in every door."""

    email: Email | None = None
    github: GitHubLogin | None = None
    slack: SlackId | None = None
    cli: CliName | None = None
    mlflow: MlflowUsername | None = None


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

    require_stage: RequiredHolder | None = Field(
        default=None,
        description="The stage the version must hold first (staging or production); with "
        '`registry: {stages: false}`, the alias, e.g. "@staging".',
    )
    require_reason: bool = False
    metrics: dict[NonEmptyText, MetricGateExpr] = Field(default_factory=dict)
    require_checks: RequireChecks | None = None
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


class RawRegistry(_Strict):
    """What the registry offers: whether promobot moves MLflow's stages at all."""

    stages: bool = Field(
        default=True,
        description="false: the registry has no stages (MLflow deprecated them; Unity Catalog "
        "has none). Every target is then an alias (@staging, @production), and promobot never "
        "moves a stage.",
    )


class RawPolicyFile(_Strict):
    """A promobot policy file (policies/*.yaml)."""

    people: dict[Name, RawPerson] = Field(default_factory=dict)
    groups: dict[Name, list[GroupMember]] = Field(default_factory=dict)
    models: list[RawModel] = Field(default_factory=list)
    registry: RawRegistry | None = Field(
        default=None,
        description="The registry the files govern; files that set it must agree. "
        "Default: {stages: true}.",
    )


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
        "$comment": "Generated by bot.core.policy.schema.write_json_schema; do not edit.",
        **schema,
    }


def write_json_schema(path: str | Path) -> None:
    """Write the JSON Schema of a policy file (for editors and check-jsonschema)."""
    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    Path(path).write_text(text, encoding="utf-8")
