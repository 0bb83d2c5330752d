"""The strict raw schema of a policy file (bot/core/policy/schema.py): what a file may
hold, where, with what defaults; the keys and empty values the messages and the
remainder read from it; and the JSON Schema it publishes."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.core.policy import write_json_schema
from bot.core.policy.schema import (
    RawPolicyFile,
    RawTarget,
    RawVerify,
    empty_at,
    json_schema,
    keys_at,
)

TARGET_KEYS = [
    "requesters",
    "approvers",
    "approvals",
    "self_approval",
    "deny_requires_reason",
    "require_stage",
    "require_reason",
    "metrics",
    "require_checks",
    "freeze",
    "request_ttl",
    "soak",
    "live",
    "verify",
]
CHECK = {"name": "error rate", "prometheus": "up", "pass": "< 1"}


@pytest.mark.parametrize(
    ("loc", "keys"),
    [
        ((), ["people", "groups", "models", "registry"]),
        (("models", 0), ["name", "targets", "rollback", "locks", "slack_channel"]),
        (("models", 0, "targets", "production"), TARGET_KEYS),
        (
            ("models", 0, "targets", "production", "freeze", 0),
            ["days", "from", "to", "timezone", "reason"],
        ),
        (
            ("models", 0, "targets", "@champion", "verify"),
            ["for", "every", "failures", "no_data", "on_failure", "checks"],
        ),
        (
            ("models", 0, "rollback"),
            [
                "requesters",
                "approvers",
                "approvals",
                "self_approval",
                "deny_requires_reason",
                "require_reason",
                "request_ttl",
                "respect_locks",
            ],
        ),
        (("people", "bob"), ["email", "github", "slack", "cli", "mlflow"]),
        (("models",), []),
        (("nope",), []),
        (("models", 0, "name", "x"), []),
    ],
    ids=[
        "file",
        "model",
        "target",
        "freeze-window-as-written",
        "verify-as-written",
        "rollback",
        "person",
        "a-list-has-no-keys",
        "unknown-key",
        "below-a-text-field",
    ],
)
def test_the_keys_a_mapping_may_have_as_written_in_a_file(
    loc: tuple[Any, ...], keys: list[str]
) -> None:
    assert keys_at(loc) == keys


@pytest.mark.parametrize(
    ("loc", "empty"),
    [
        ((), {}),
        (("models",), []),
        (("models", 0, "targets"), {}),
        (("groups", "leads"), []),
        (("people", "bob"), {}),
        (("models", 0), None),
        (("models", 0, "targets", "production"), None),
        (("nope",), None),
    ],
    ids=[
        "file-all-defaults",
        "list",
        "mapping",
        "group-list",
        "person-all-optional",
        "model-needs-fields",
        "target-needs-fields",
        "unknown",
    ],
)
def test_the_empty_value_of_what_the_schema_expects(loc: tuple[Any, ...], empty: object) -> None:
    assert empty_at(loc) == empty


def test_a_target_fills_its_defaults_and_types_its_text() -> None:
    target = RawTarget.model_validate(
        {"requesters": ["eng"], "approvals": 0, "soak": "2h", "require_stage": "staging"}
    )
    assert (target.approvers, target.self_approval, target.require_reason, target.freeze) == (
        [],
        False,
        False,
        [],
    )
    assert (target.request_ttl, target.soak) == (
        datetime.timedelta(hours=24),
        datetime.timedelta(hours=2),
    )


def test_verify_fills_its_defaults() -> None:
    verify = RawVerify.model_validate({"for": "30m", "checks": [CHECK]})
    assert (verify.watch, verify.every, verify.failures, verify.no_data, verify.on_failure) == (
        datetime.timedelta(minutes=30),
        datetime.timedelta(minutes=1),
        3,
        "fail",
        "notify",
    )


@pytest.mark.parametrize(
    ("model", "data", "error"),
    [
        (
            RawVerify,
            {"for": "30s", "every": "1m", "checks": [CHECK]},
            "`every` is longer than `for`, so no check would run before the watch ends (make "
            "`every` shorter)",
        ),
        (
            RawTarget,
            {"requesters": ["eng"], "approvals": 0, "soak": "1h"},
            "`soak` needs `require_stage` (the stage the candidate must have held that long)",
        ),
    ],
    ids=["every-longer-than-for", "soak-without-stage"],
)
def test_fields_that_only_make_sense_together_are_checked_together(
    model: type, data: dict[str, Any], error: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        model.model_validate(data)  # type: ignore[attr-defined]
    (found,) = raised.value.errors()
    assert (found["type"], str(found["ctx"]["error"])) == ("value_error", error)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        ({"models": [{"name": "m", "targets": {}, "owner": "x"}]}, "extra_forbidden"),
        (
            {
                "models": [
                    {"name": "m", "targets": {"staging": {"requesters": ["a"], "approvals": "0"}}}
                ]
            },
            "int_type",
        ),
        (
            {
                "models": [
                    {
                        "name": "m",
                        "targets": {
                            "staging": {
                                "requesters": ["a"],
                                "approvals": 0,
                                "require_reason": "yes",
                            }
                        },
                    }
                ]
            },
            "bool_type",
        ),
        ({"models": [{"name": "", "targets": {}}]}, "string_too_short"),
    ],
    ids=["unknown-key", "text-for-a-number", "text-for-a-boolean", "empty-name"],
)
def test_the_schema_is_strict(data: dict[str, Any], kind: str) -> None:
    with pytest.raises(ValidationError) as raised:
        RawPolicyFile.model_validate(data)
    assert [error["type"] for error in raised.value.errors()] == [kind]


def test_the_json_schema_says_what_it_is_and_publishes_defaults_as_written(tmp_path: Path) -> None:
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert (
        schema["$comment"] == "Generated by bot.core.policy.schema.write_json_schema; do not edit."
    )
    assert schema["$defs"]["RawTarget"]["properties"]["request_ttl"]["default"] == "24h"
    assert schema["$defs"]["RawFreeze"]["required"] == ["from", "to", "timezone"]
    path = tmp_path / "schema.json"
    write_json_schema(path)
    assert json.loads(path.read_text(encoding="utf-8")) == schema
