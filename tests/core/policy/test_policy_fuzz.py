"""Whatever a policy file holds, loading gives a Policy or a PolicyError, never a crash."""

from __future__ import annotations

import datetime
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.policy import Policy, PolicyError, RequestFacts, decide, explain, load_policy

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TOKENS = [
    "people:",
    "groups:",
    "models:",
    "targets:",
    "rollback:",
    "name:",
    "requesters:",
    "approvers:",
    "approvals:",
    "self_approval:",
    "require_stage:",
    "require_reason:",
    "metrics:",
    "freeze:",
    "request_ttl:",
    "from:",
    "to:",
    "days:",
    "timezone:",
    "reason:",
    "email:",
    "github:",
    "slack:",
    "cli:",
    "production",
    "staging",
    "@champion",
    "alice",
    "ml-leads",
    "[",
    "]",
    "{",
    "}",
    ",",
    ": ",
    "- ",
    "\n",
    "  ",
    "    ",
    "&a ",
    "*a",
    "<<: ",
    "!!int ",
    "!!str ",
    "!!python/object ",
    "'",
    '"',
    "#",
    "0",
    "1",
    "-1",
    "0.8",
    ".nan",
    '">= 0.80"',
    '">= production - 0.01"',
    '"16:00"',
    "16:00",
    "Europe/Berlin",
    "24h",
    "true",
    "no",
    "null",
    "~",
    "\t",
    "%YAML 1.2\n",
    "---\n",
    "...\n",
    "|\n",
    ">\n",
    "?",
]

yamlish_text = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)

KEYS = [
    "people",
    "groups",
    "models",
    "name",
    "targets",
    "rollback",
    "requesters",
    "approvers",
    "approvals",
    "self_approval",
    "require_stage",
    "require_reason",
    "metrics",
    "freeze",
    "request_ttl",
    "from",
    "to",
    "days",
    "timezone",
    "reason",
    "email",
    "github",
    "slack",
    "cli",
    "production",
    "staging",
    "archived",
    "@champion",
    "alice",
    "ml-leads",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "16:00",
            "25:99",
            "Europe/Berlin",
            "Mars/Olympus",
            "24h",
            "0m",
            "9999999d",
            "fri",
            ">= 0.80",
            ">= production - 0.01",
            "< staging",
            "~ 1",
            "alice",
            "ml-leads",
            "*",
            "sentiment-*",
            "@latest",
            "U01ALICE",
            "a@b.co",
        ]
    ),
    st.text(max_size=12),
)
nested = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), children, max_size=5
        ),
    ),
    max_leaves=40,
)


def _policy_like() -> st.SearchStrategy[dict[str, Any]]:
    """Mostly-right policies with random holes, so the fuzzing reaches the deep rules."""
    names = st.sampled_from(["alice", "bob", "ml-leads", "ml-engineers", "ghost"])
    value = st.one_of(scalars, st.lists(names, max_size=3), nested)
    target = st.fixed_dictionaries(
        {"requesters": st.lists(names, max_size=3)},
        optional={
            "approvers": st.lists(names, max_size=3),
            "approvals": st.one_of(st.integers(-1, 4), value),
            "self_approval": st.one_of(st.booleans(), value),
            "require_stage": st.one_of(st.sampled_from(["staging", "production"]), value),
            "require_reason": st.booleans(),
            "metrics": st.dictionaries(st.sampled_from(["accuracy", "f1"]), value, max_size=2),
            "freeze": st.lists(
                st.fixed_dictionaries(
                    {"from": value, "to": value, "timezone": value},
                    optional={
                        "days": st.lists(st.sampled_from(["mon", "fri", "sun"])),
                        "reason": value,
                    },
                ),
                max_size=2,
            ),
            "request_ttl": value,
            "extra": value,
        },
    )
    person = st.fixed_dictionaries(
        {},
        optional={"email": value, "github": value, "slack": value, "cli": value},
    )
    return st.fixed_dictionaries(
        {
            "people": st.dictionaries(st.sampled_from(["alice", "bob", "carol"]), person),
            "groups": st.dictionaries(
                st.sampled_from(["ml-leads", "ml-engineers"]), st.lists(names, max_size=3)
            ),
            "models": st.lists(
                st.fixed_dictionaries(
                    {
                        "name": st.sampled_from(["m", "m-*", "*", ""]),
                        "targets": st.dictionaries(
                            st.sampled_from(["staging", "production", "@champion", "Prod"]),
                            target,
                            max_size=3,
                        ),
                    },
                    optional={"rollback": target},
                ),
                max_size=3,
            ),
        }
    )


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    # One folder for the module: hypothesis runs many examples per test function, and
    # a function-scoped tmp_path would be shared by them anyway.
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def _load_or_refuse(path: Path) -> Policy | None:
    try:
        policy = load_policy(path)
    except PolicyError as error:
        assert error.problems
        assert all(str(path) in problem for problem in error.problems), error.problems
        return None
    assert isinstance(policy, Policy)
    _exercise(policy)
    return policy


def _exercise(policy: Policy) -> None:
    """A policy that loads must also decide and explain without raising."""
    now = datetime.datetime(2026, 11, 27, 16, 30, tzinfo=datetime.UTC)
    for rules in policy.models:
        model = rules.pattern.replace("*", "x")
        explain(policy, model)
        keys = [*rules.targets, "nowhere"]
        for action in ("promote", "rollback"):
            for key in keys:
                facts = RequestFacts(
                    model,
                    action,
                    key,
                    key.capitalize(),
                    "cli:alice",
                    "why",
                    2,
                    "Staging",
                    {"accuracy": 0.9},
                    {"Production": (1, {"f1": 0.5})},
                    now,
                )
                decision = decide(policy, facts)
                assert decision.outcome in ("allowed", "needs_approval", "refused")


@SETTINGS
@given(text=st.one_of(yamlish_text, st.text(max_size=200)))
def test_any_text(workdir: Path, text: str) -> None:
    path = workdir / "text.yaml"
    path.write_text(text, encoding="utf-8")

    _load_or_refuse(path)


@SETTINGS
@given(content=st.binary(max_size=200))
def test_any_bytes(workdir: Path, content: bytes) -> None:
    path = workdir / "bytes.yaml"
    path.write_bytes(content)

    _load_or_refuse(path)


@SETTINGS
@given(data=nested)
def test_any_nested_data(workdir: Path, data: Any) -> None:
    path = workdir / "nested.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")

    _load_or_refuse(path)


@SETTINGS
@given(data=_policy_like())
def test_policy_shaped_data(workdir: Path, data: dict[str, Any]) -> None:
    path = workdir / "policy.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    _load_or_refuse(path)
