"""The GitHub deployment of a promotion as promobot records it on the model version, and
the facts it is built from (bot/core/state/deployments.py): the version's repository and
commit, the executions carried out, and the record written and read back."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.core.state import HistoryEvent
from bot.core.state.deployments import (
    DeploymentRecord,
    deployment_record,
    environment_name,
    execution_of,
    git_source,
    latest_executions,
    new_record,
)

AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SHA = "a" * 40


def executed(
    rid: str, version: int, target: str = "production", line: str = "the line"
) -> HistoryEvent:
    label = "Production" if target == "production" else target
    return HistoryEvent(
        "promote", target, label, version, None, "bob", "", AT, "ok", rid, "cli", line=line
    )


def test_a_promotion_that_went_through_is_recorded_with_githubs_id() -> None:
    record = new_record("m", executed("req-1", 3), ("acme/models", SHA), AT, deployment_id=7)
    assert record == DeploymentRecord(
        "success", "req-1", "m/Production", "acme/models", SHA, "2026-11-25T10:00:00Z", 7
    )
    assert json.loads(record.to_tag()) == {
        "state": "success",
        "request": "req-1",
        "environment": "m/Production",
        "repository": "acme/models",
        "sha": SHA,
        "at": "2026-11-25T10:00:00Z",
        "id": 7,
        "why": "",
    }


def test_a_promotion_github_refused_is_recorded_failed_with_why() -> None:
    record = new_record(
        "m",
        executed("req-1", 3),
        ("acme/models", SHA),
        AT,
        deployment_id=None,
        why="GitHub answered 502",
    )
    assert (record.state, record.id, record.why) == ("failed", None, "GitHub answered 502")


def test_what_is_written_reads_back_and_a_long_why_is_cut_to_1000_characters() -> None:
    record = DeploymentRecord(
        "failed", "req-1", "m/@champion", "acme/models", SHA, "t", 9, "x" * 2000
    )
    tags = {"github_deployment.champion": record.to_tag()}
    assert deployment_record(tags, "@champion") == DeploymentRecord(
        "failed", "req-1", "m/@champion", "acme/models", SHA, "t", 9, "x" * 1000
    )


@pytest.mark.parametrize(
    ("value", "read"),
    [
        ('{"state": "success", "id": true}', DeploymentRecord("success", "", "", "", "", "", None)),
        ('{"state": "success", "id": "7"}', DeploymentRecord("success", "", "", "", "", "", None)),
        ('{"id": 3}', None),
        ("{not json", None),
    ],
    ids=["id-a-boolean", "id-as-text", "no-state", "malformed"],
)
def test_a_record_promobot_did_not_write_is_read_for_what_it_holds(
    value: str, read: DeploymentRecord | None
) -> None:
    assert deployment_record({"github_deployment.Production": value}, "Production") == read


@pytest.mark.parametrize(
    ("tags", "source"),
    [
        ({"git_repository": "acme/models", "git_commit": SHA}, ("acme/models", SHA)),
        (
            {"git_repository": " acme/models ", "git_commit": SHA.upper() + " "},
            ("acme/models", SHA),
        ),
        ({"git_repository": "acme", "git_commit": SHA}, None),
        ({"git_repository": "https://github.com/acme/models", "git_commit": SHA}, None),
        ({"git_repository": "acme/models", "git_commit": "abc123"}, None),
        ({"git_commit": SHA}, None),
        ({}, None),
    ],
    ids=[
        "repository-and-commit",
        "spaces-and-upper-case",
        "no-owner",
        "a-url",
        "short-sha",
        "no-repository",
        "neither",
    ],
)
def test_git_source(tags: dict[str, str], source: tuple[str, str] | None) -> None:
    assert git_source(tags) == source


def test_the_environment_of_a_target() -> None:
    assert environment_name("m", "Production") == "m/Production"
    assert environment_name("m", "@champion") == "m/@champion"


def test_only_executions_carried_out_are_found_the_latest_per_target() -> None:
    def tag(n: int, event: HistoryEvent) -> tuple[str, str]:
        return f"mlflow.promobot.event.{n:013d}.{0:020d}.{event.request}", event.to_tag()

    def outcome(rid: str, state: str) -> tuple[str, str]:
        return f"mlflow.promobot.request.{rid}.state", json.dumps({"state": state})

    tags = dict(
        [
            tag(1, executed("req-1", 1)),
            outcome("req-1", "done"),
            tag(2, executed("req-2", 2)),
            outcome("req-2", "failed"),
            tag(3, executed("req-3", 3, line="")),  # history only: written before intents
            outcome("req-3", "done"),
            tag(4, executed("req-4", 4, "@champion")),
            outcome("req-4", "done"),
            tag(5, executed("req-5", 5)),  # under way: no outcome yet
        ]
    )
    assert [e.version for e in latest_executions(tags).values()] == [1, 4]
    assert list(latest_executions(tags)) == ["production", "@champion"]
    found = execution_of(tags, "req-4")
    assert found is not None and found.version == 4
    assert [execution_of(tags, rid) for rid in ("req-2", "req-3", "req-5", "req-9")] == [None] * 4
