"""The valid remainder of a file that fails the schema, and the paths as written."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bot.core.policy.remainder import Remainder, remainder
from bot.core.policy.schema import RawPerson, RawPolicyFile

RULE = {"requesters": ["bob"], "approvals": 0}


def _remainder(data: dict[str, Any]) -> Remainder:
    with pytest.raises(ValidationError) as raised:
        RawPolicyFile.model_validate(data)
    return remainder(data, raised.value)


@pytest.mark.parametrize(
    ("data", "left"),
    [
        ({"people": {"alice": 5}}, {"people": {"alice": RawPerson()}}),
        (
            {"people": {"alice": {"githb": "a", "email": "a@x.io"}}},
            {"people": {"alice": {"email": "a@x.io"}}},
        ),
        ({"people": {"x y": {}, "bob": {}}}, {"people": {"bob": RawPerson()}}),
        ({"people": [1]}, {"people": {}}),
        ({"groups": {"team": 5}}, {"groups": {"team": []}}),
        ({"groups": {"team": [42, "bob", None]}}, {"groups": {"team": ["bob"]}}),
        (
            {"models": [{"name": "m", "targets": {"staging": {"requesters": []}}}]},
            {"models": [{"name": "m", "targets": {}}]},
        ),
        (
            {"models": [{"name": "m", "targets": 5, "rollback": {**RULE, "approvals": -1}}]},
            {"models": [{"name": "m", "targets": {}}]},
        ),
        (
            {"models": [{"name": "", "targets": {}}, {"name": "m", "targets": {"staging": RULE}}]},
            {"models": [{"name": "m", "targets": {"staging": RULE}}]},
        ),
        (
            {"models": [{"name": "m", "targets": {"Staging": RULE, "staging": RULE}}]},
            {"models": [{"name": "m", "targets": {"staging": RULE}}]},
        ),
        (
            {"models": [{"name": "m", "targets": {"staging": {**RULE, "metrics": {"f1": "~"}}}}]},
            {"models": [{"name": "m", "targets": {"staging": RULE}}]},
        ),
    ],
    ids=[
        "a-person-of-the-wrong-kind-is-emptied",
        "an-unknown-key-goes",
        "a-refused-key-takes-its-entry",
        "a-section-of-the-wrong-kind-is-emptied",
        "a-group-of-the-wrong-kind-is-emptied",
        "refused-members-go",
        "a-rule-without-requesters-goes",
        "targets-of-the-wrong-kind-are-emptied-and-a-broken-rollback-goes",
        "an-entry-without-a-name-goes",
        "a-target-in-capitals-goes",
        "a-bad-metric-goes",
    ],
)
def test_what_is_left(data: dict[str, Any], left: dict[str, Any]) -> None:
    assert _remainder(data).raw == RawPolicyFile.model_validate(left)


def test_paths_name_list_items_as_written() -> None:
    data = {
        "groups": {"team": [42, "bob", 7, "carol"]},
        "models": [{"name": 5, "targets": {}}, {"name": "m", "targets": {"staging": RULE}}],
    }

    left = _remainder(data)

    assert left.raw.groups["team"] == ["bob", "carol"]
    assert left.written_path(("groups", "team", 1)) == ("groups", "team", 3)
    assert left.written_path(("models", 0, "targets", "staging", "requesters", 0)) == (
        "models",
        1,
        "targets",
        "staging",
        "requesters",
        0,
    )


def test_an_aliased_value_is_pruned_in_each_place_on_its_own() -> None:
    shared = [42, "bob"]  # what a YAML alias gives: one list in two places
    data = {"groups": {"a": shared, "b": shared}}

    left = _remainder(data)

    assert left.raw.groups == {"a": ["bob"], "b": ["bob"]}
    assert left.written_path(("groups", "b", 0)) == ("groups", "b", 1)
    assert shared == [42, "bob"]  # the data read from the file is left as it was
