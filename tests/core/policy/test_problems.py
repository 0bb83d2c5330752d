"""Problems in policy files as sentences (bot/core/policy/problems.py):
`file:line: field: what is wrong (what to write)`, in the order a reader fixes them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from pydantic import ValidationError

from bot.core.policy import PolicyError
from bot.core.policy.problems import (
    describe,
    field_path,
    in_reading_order,
    problem_text,
    schema_problems,
    suggest,
)
from bot.core.policy.schema import RawPolicyFile


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (
            ["models", 0, "targets", "production", "approvals"],
            "models[0].targets.production.approvals",
        ),
        (["models", 0, "targets", "@champion"], "models[0].targets.@champion"),
        (["groups", "ml leads"], 'groups["ml leads"]'),
        (["people", "bøb"], 'people["bøb"]'),
        ([0, "x"], "[0].x"),
        ([], ""),
    ],
    ids=["nested", "alias-key", "key-with-space", "non-ascii-key", "index-first", "the-file"],
)
def test_a_field_is_named_as_people_read_it(path: list[str | int], shown: str) -> None:
    assert field_path(path) == shown


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (["models", 0, "name"], "p.yaml:3: models[0].name: is wrong"),
        ([], "p.yaml:3: is wrong"),
    ],
    ids=["a-field", "the-whole-file"],
)
def test_a_problem_says_file_line_field_and_message(path: list[str | int], text: str) -> None:
    assert problem_text("p.yaml", 3, path, "is wrong") == text


def test_problems_are_in_file_order_then_line_order_unplaced_ones_last() -> None:
    found = ["b.yaml:3: x", "a.yaml:10: y", "elsewhere", "a.yaml:2: z", "b.yaml:1: w"]
    assert in_reading_order(found, ["a.yaml", "b.yaml"]) == [
        "a.yaml:2: z",
        "a.yaml:10: y",
        "b.yaml:1: w",
        "b.yaml:3: x",
        "elsewhere",
    ]


def test_the_error_carries_every_problem_one_a_line() -> None:
    error = PolicyError(["a.yaml:1: one", "a.yaml:2: two"])
    assert (error.problems, str(error)) == (
        ["a.yaml:1: one", "a.yaml:2: two"],
        "a.yaml:1: one\na.yaml:2: two",
    )


@pytest.mark.parametrize(
    ("name", "said"),
    [("ml-lead", "did you mean `ml-leads`? "), ("zzz", "")],
    ids=["close", "nothing-close"],
)
def test_suggest_a_known_name(name: str, said: str) -> None:
    assert suggest(name, ["ml-leads", "oncall"]) == said


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (None, "nothing"),
        (True, "true"),
        (False, "false"),
        (5, "the number 5"),
        (0.5, "the number 0.5"),
        ("one", '"one"'),
        ("x" * 41, '"' + "x" * 37 + '..."'),
        ({}, "a mapping"),
        ([], "a list"),
        ((1,), "a tuple"),
    ],
    ids=["none", "true", "false", "int", "float", "text", "long-text", "mapping", "list", "other"],
)
def test_a_value_as_a_message_quotes_it(value: Any, said: str) -> None:
    assert describe(value) == said


def target(**fields: Any) -> dict[str, Any]:
    return {
        "models": [
            {
                "name": "m",
                "targets": {"production": {"requesters": ["eng"], "approvals": 0, **fields}},
            }
        ]
    }


TARGET = "models[0].targets.production"


@pytest.mark.parametrize(
    ("data", "problems"),
    [
        (
            {"peple": {}},
            [
                "p.yaml:1: peple: unknown key `peple` (did you mean `people`? allowed here: "
                "people, groups, models, registry)"
            ],
        ),
        (
            {"models": [{"name": "m"}]},
            [
                "p.yaml:3: models[0].targets: `targets` is required (map each target to its "
                "rules, e.g. production: {requesters: [...], ...})"
            ],
        ),
        (
            target(requesters="eng"),
            [
                f'p.yaml:5: {TARGET}.requesters: expected a list, got "eng" (list the groups or '
                "people who may ask, e.g. [ml-engineers])"
            ],
        ),
        (
            target(approvals="1"),
            [
                f'p.yaml:5: {TARGET}.approvals: expected a whole number, got "1" (write how '
                "many approvals are needed; 0 when nobody needs to approve)"
            ],
        ),
        (
            target(requesters=[]),
            [
                f"p.yaml:5: {TARGET}.requesters: must not be empty (list the groups or people "
                "who may ask, e.g. [ml-engineers])"
            ],
        ),
        (
            target(approvals=-1),
            [f"p.yaml:5: {TARGET}.approvals: must be 0 or more, got the number -1"],
        ),
        (
            target(self_approval="no"),
            [f'p.yaml:5: {TARGET}.self_approval: expected true or false, got "no"'],
        ),
        (
            target(require_stage="Staging"),
            [
                f"p.yaml:5: {TARGET}.require_stage: `Staging` must be written in lower case "
                "(write `staging`)"
            ],
        ),
        (
            {"people": []},
            [
                "p.yaml:1: people: expected a mapping (key: value), got a list (map each person "
                "to their handles, e.g. bob: {email: bob@example.com})"
            ],
        ),
    ],
    ids=[
        "unknown-key-suggested",
        "missing-with-hint",
        "not-a-list",
        "text-for-a-number",
        "empty-list",
        "negative",
        "text-for-a-boolean",
        "literal-in-the-wrong-case",
        "list-for-a-mapping",
    ],
)
def test_each_schema_error_is_one_sentence_at_the_fields_line(
    data: dict[str, Any], problems: list[str]
) -> None:
    def line_of(path: Iterable[str | int]) -> int:
        return len(list(path))  # stands in for the file's lines: how deep the field is

    with pytest.raises(ValidationError) as raised:
        RawPolicyFile.model_validate(data)
    assert schema_problems(raised.value, "p.yaml", line_of) == problems
