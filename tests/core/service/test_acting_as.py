"""Who a command acts as when the caller signed in to MLflow (bot/core/service/acting_as.py)."""

from __future__ import annotations

import pytest
from conftest import SERVICE_POLICY

from bot.core.policy import load_policy
from bot.core.service.acting_as import acting_as

POLICY = load_policy(SERVICE_POLICY)
SERVICE = frozenset({"svc-promobot"})


@pytest.mark.parametrize(
    ("asked", "username", "actor"),
    [
        ("", "", ""),  # nobody signed in, nothing asked: the door's default
        ("github:alice", "", "github:alice"),  # a local store: the caller's word
        ("", "bob", "mlflow:bob"),  # a person acts as their account
        ("mlflow:bob", "bob", "mlflow:bob"),
        ("github:carol", "svc-promobot", "github:carol"),  # a service account acts for others
        ("", "svc-promobot", "mlflow:svc-promobot"),
    ],
)
def test_who_acts(asked: str, username: str, actor: str) -> None:
    assert acting_as(asked, username, service_users=SERVICE, policy=POLICY).actor == actor


def test_a_person_names_themselves_by_any_handle_the_policy_gives_them() -> None:
    policy = load_policy(SERVICE_POLICY)
    people = dict(policy.people)
    people["bob"] = type(people["bob"])("bob", "bob@example.com", "bob", "U01BOB", None, "bob.m")
    mapped = type(policy)(people, policy.groups, policy.models)
    found = acting_as("github:bob", "bob.m", service_users=SERVICE, policy=mapped)
    assert (found.actor, found.refusal) == ("github:bob", "")
    refused = acting_as("github:alice", "bob.m", service_users=SERVICE, policy=mapped)
    assert refused.actor == ""
    assert "signed in to MLflow as bob.m" in refused.refusal
    assert "github:alice is not you" in refused.refusal


def test_a_service_users_name_is_matched_exactly() -> None:
    refused = acting_as("github:carol", "SVC-promobot", service_users=SERVICE, policy=POLICY)
    assert refused.refusal and not refused.actor


def test_the_refusal_suggests_a_policy_handle_only_to_an_account_the_policy_does_not_name() -> None:
    policy = load_policy(SERVICE_POLICY)
    people = dict(policy.people)
    people["bob"] = type(people["bob"])("bob", "bob@example.com", "bob", "U01BOB", None, "bob")
    mapped = type(policy)(people, policy.groups, policy.models)
    named = acting_as("github:alice", "bob", service_users=SERVICE, policy=mapped).refusal
    assert "mlflow:bob (bob in the policy)" in named
    assert "Leave out --as. Nothing was done." in named
    assert "add `mlflow:" not in named  # bob's entry already has it
    unnamed = acting_as("github:alice", "zed", service_users=SERVICE, policy=mapped).refusal
    assert "add `mlflow: zed` to your entry in the policy's people" in unnamed
