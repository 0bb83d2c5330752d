"""Normalized rules: identities across doors, groups, the entry that applies to a model."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from bot.core.policy import MetricGate, TargetRule, load_policy
from bot.core.policy.rules import join_names, target_label
from bot.core.policy.values import metric_expr

ROOT = Path(__file__).resolve().parents[3]
RULES = load_policy(ROOT / "tests" / "fixtures" / "policies" / "good" / "rules.yaml")


@pytest.mark.parametrize(
    "handle",
    [
        "slack:U01ALICE",
        "github:alice",
        "github:ALICE",
        "cli:alice",
        "mlflow:alice.m",
        "alice@example.com",
        "Alice@Example.COM",
    ],
)
def test_identities_map_every_handle_to_one_person(handle: str) -> None:
    assert RULES.person_for(handle) == RULES.people["alice"]
    assert RULES.display(handle) == "alice@example.com"
    assert RULES.same_person(handle, "slack:U01ALICE")


def test_unknown_and_partial_identities() -> None:
    assert RULES.person_for("github:mallory") is None
    assert RULES.person_for("alice") is None  # a bare name is not a handle
    assert RULES.person_for("email:alice@example.com") is None
    # MLflow's usernames are matched as MLflow's sign-in compares them: exactly.
    assert RULES.person_for("mlflow:ALICE.M") is None
    assert RULES.display("github:mallory") == "github:mallory"
    assert RULES.display("github:erin-x") == "github:erin-x"  # no e-mail: the handle used
    assert RULES.display("frank@example.com") == "Frank@Example.com"
    assert RULES.same_person("github:mallory", "github:Mallory")
    assert not RULES.same_person("github:mallory", "github:alice")
    assert not RULES.same_person("github:alice", "github:bob")


def test_members_expands_groups_and_people() -> None:
    assert RULES.members(["ml-leads", "risk"]) == {"alice", "dave", "erin", "frank"}
    assert RULES.members(["bob", "oncall"]) == {"bob", "carol"}
    assert RULES.members(["nobody"]) == set()


@pytest.mark.parametrize(
    ("model", "pattern"),
    [
        ("sentiment-classifier", "sentiment-classifier"),
        ("fraud-detector", "fraud-*"),
        ("fraud-", "fraud-*"),
        ("Fraud-detector", "*"),  # globs are case-sensitive, like model names
        ("ranker", "ranker"),
        ("anything", "*"),
    ],
)
def test_first_matching_entry_wins(model: str, pattern: str) -> None:
    rules = RULES.rules_for(model)

    assert rules is not None and rules.pattern == pattern


@pytest.mark.parametrize(
    ("key", "label"),
    [("production", "Production"), ("staging", "Staging"), ("@champion", "@champion")],
    ids=["stage", "other-stage", "alias"],
)
def test_target_label(key: str, label: str) -> None:
    assert target_label(key) == label
    assert TargetRule(key, ("team",)).label == label


@pytest.mark.parametrize(
    ("names", "word", "text"),
    [
        ([], "or", ""),
        (["ml-leads"], "or", "ml-leads"),
        (["ml-leads", "risk"], "or", "ml-leads or risk"),
        (["a", "b", "c"], "and", "a, b and c"),
    ],
    ids=["none", "one", "two", "three"],
)
def test_join_names(names: list[str], word: str, text: str) -> None:
    assert join_names(names, word) == text


def test_rules_keep_the_typed_values_the_schema_made() -> None:
    rules = RULES.rules_for("fraud-detector")
    assert rules is not None
    production = rules.targets["production"]

    assert production.request_ttl == datetime.timedelta(hours=1, minutes=30)
    assert production.metrics == (
        MetricGate("false_positive_rate", metric_expr("< 0.05")),
        MetricGate("recall", metric_expr(">= staging")),
        MetricGate("auc", metric_expr("> production + 0.01")),
    )
    assert [gate.relative_to for gate in production.metrics] == [None, "Staging", "Production"]


@pytest.mark.parametrize(
    "where",
    [
        "policies",
        "policies/aliases-only",
        "deploy/kubernetes/overlays/example/policies",
    ],
)
def test_the_shipped_policies_map_each_persons_mlflow_account(where: str) -> None:
    """Signed in to MLflow as carol (`promobot --server`, docs/contract.md "Identities"),
    carol is the on-call engineer of the example, not an actor no rule names."""
    policy = load_policy(ROOT / where)
    for key in policy.people:
        person = policy.person_for(f"mlflow:{key}")
        assert person is not None and person.key == key
    assert policy.same_person("mlflow:carol", "slack:U01CAROL")
