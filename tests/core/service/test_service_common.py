"""What every use case shares (bot/core/service/common.py): request ids that name their
target's lock, who holds a target, the URI deployment code loads, the rule a command
falls under, and the sentences of a missing model and a reason too long."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import FIXTURES, SERVICE_POLICY

from bot.adapters.mlflow.gateway import Registry
from bot.core.commands import Target
from bot.core.policy import load_policy
from bot.core.ports.registry import ModelInfo
from bot.core.results import MoveResult
from bot.core.service.common import (
    Deps,
    already,
    holder,
    new_request_id,
    no_model,
    reason_problem,
    refused,
    target_of,
    uri,
)
from bot.core.state import Request

STAGING, PRODUCTION, ARCHIVED = (Target("stage", s) for s in ("Staging", "Production", "Archived"))
CHAMPION = Target("alias", "champion")


def test_a_request_id_begins_with_the_lock_it_names_then_six_random_digits() -> None:
    made = {new_request_id("8b4e") for _ in range(20)}
    assert all(re.fullmatch(r"req-8b4e[0-9a-f]{6}", rid) for rid in made)
    assert len(made) > 1


INFO = ModelInfo(
    name="m",
    tags={},
    aliases={"champion": 4, "archived": 1, "production": 3},
    stage_latest={"Production": 3, "Staging": 5, "Archived": 2, "None": 6},
)


@pytest.mark.parametrize(
    ("target", "held_by"),
    [
        (PRODUCTION, 3),
        (STAGING, 5),
        (ARCHIVED, 1),
        (CHAMPION, 4),
        (Target("alias", "shadow"), None),
    ],
    ids=["production", "staging", "archived-by-its-alias", "alias", "alias-unset"],
)
def test_the_version_holding_a_target(target: Target, held_by: int | None) -> None:
    assert holder(INFO, target) == held_by


@pytest.mark.parametrize(
    ("target", "loaded"),
    [(PRODUCTION, "models:/m/Production"), (CHAMPION, "models:/m@champion")],
    ids=["stage", "alias"],
)
def test_the_uri_deployment_code_loads_a_target_with(target: Target, loaded: str) -> None:
    assert uri("m", target) == loaded


def request_for(kind: str, label: str) -> Request:
    at = datetime(2026, 11, 25, tzinfo=UTC)
    return Request(
        "req-1",
        "promote",
        "m",
        3,
        label.lower(),
        label,
        kind,
        "bob",
        "",
        at,
        at,
        "cli",
        "",
        None,
        "",
        None,
    )


@pytest.mark.parametrize(
    ("kind", "label", "target"),
    [("stage", "Production", PRODUCTION), ("alias", "@champion", CHAMPION)],
    ids=["stage", "alias"],
)
def test_the_target_a_stored_request_names(kind: str, label: str, target: Target) -> None:
    assert target_of(request_for(kind, label)) == target


def test_already_is_done_without_a_change_and_refused_adds_its_reasons() -> None:
    asked = MoveResult(status="pending", action="promote", model="m", reasons=("first",))
    assert (already(asked, uri="models:/m/Production").status, already(asked).already) == (
        "done",
        True,
    )
    assert already(asked, uri="models:/m/Production").uri == "models:/m/Production"
    said_no = refused(asked, "second", "third")
    assert (said_no.status, said_no.reasons) == ("refused", ("first", "second", "third"))


@pytest.mark.parametrize(
    ("name", "shown"),
    [("sentiment", "sentiment"), ("m" * 81, "m" * 77 + "…")],
    ids=["short", "clipped"],
)
def test_no_model_names_it_and_says_what_to_check(name: str, shown: str) -> None:
    assert no_model(name) == (
        f"There is no registered model `{shown}` in MLflow; check the name "
        "(`promobot status <model>`) or register it first."
    )


def test_a_reason_over_500_characters_is_refused_with_its_length() -> None:
    assert reason_problem("x" * 500) is None
    assert reason_problem("x" * 1234) == (
        "The reason is 1,234 characters long; keep it under 500 (link to a document for the "
        "details)."
    )


def deps(policy: Path, tmp_path: Path) -> Deps:
    # Making a Registry opens no database: nothing here reads MLflow.
    return Deps(Registry(f"sqlite:///{tmp_path / 'mlflow.db'}"), load_policy(policy))


def test_the_rule_a_command_falls_under(tmp_path: Path) -> None:
    d = deps(SERVICE_POLICY, tmp_path)
    production = d.rule("sentiment-classifier", "promote", "production")
    assert production is not None and production.target_key == "production"
    rollback = d.rule("sentiment-classifier", "rollback", "production")
    assert rollback is not None and rollback.target_key == "rollback"
    assert d.rule("fraud-scorer", "promote", "production") is not None  # by the glob fraud-*
    assert d.rule("sentiment-classifier", "promote", "@shadow") is None
    assert d.rule("unknown", "promote", "production") is None


def test_without_a_directory_the_rules_teams_are_read_as_not_looked_up(tmp_path: Path) -> None:
    d = deps(FIXTURES / "groups_policy.yaml", tmp_path)
    membership = d.membership(d.rule("sentiment-classifier", "promote", "production"))
    assert membership.handles("github-team:acme/ml-leads") == ()
    assert (
        membership.why("github-team:acme/ml-leads")
        == "promobot runs without GitHub and Slack lookups here"
    )
    assert d.membership(None).unread(["github-team:acme/ml-leads"]) == [
        "github-team:acme/ml-leads could not be read: it was not looked up"
    ]
