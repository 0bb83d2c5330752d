"""bot/notifiers/github_deployments.py on its own: the notifier takes only `executed`, replies
with the service's sentence (added to the result people see, never to the published one),
and never raises into the service; the sender's bodies are what GitHub's deployments API
takes. (The whole path, from each door against the fake GitHub and a real registry, is
tests/doors/test_deployment_from_each_door.py and tests/core/service/test_deployments.py.)"""

from __future__ import annotations

import logging

import pytest

from bot.core import events
from bot.core.ports.github import DeploymentPlan
from bot.core.ports.registry import RegistryError
from bot.core.results import MoveResult, Result
from bot.core.service import Context
from bot.notifiers.github_deployments import (
    KINDS,
    DeploymentNotifier,
    deployment_body,
    status_body,
)


class Records:
    """The one call the notifier makes on the service, answering as told."""

    def __init__(self, answer: str | Exception | None) -> None:
        self.answer = answer
        self.asked: list[Result] = []

    def record_deployment(self, result: Result) -> events.Reply | None:
        self.asked.append(result)
        if isinstance(self.answer, Exception):
            raise self.answer
        return events.Reply(self.answer, {"deployment": {"id": 7}}) if self.answer else None


def executed() -> events.Event:
    done = MoveResult(status="done", action="promote", model="m", version=3, request_id="req-1")
    return events.Event(events.EXECUTED, done, Context(actor="cli:bob"))


def test_it_subscribes_to_executed_only_and_adds_the_sentence_to_the_result() -> None:
    records = Records("Recorded on GitHub: deployment 7.")
    bus = events.EventBus()
    bus.subscribe(DeploymentNotifier(records), KINDS)
    event = executed()

    made = bus.publish(events.REQUEST_MADE, event.result, event.ctx)
    shown = bus.publish(events.EXECUTED, event.result, event.ctx)

    assert records.asked == [event.result]
    assert made is event.result and event.result.notes == ()
    assert shown.notes == ("Recorded on GitHub: deployment 7.",)
    assert shown.to_json()["data"]["deployment"] == {"id": 7}


def test_mlflow_failing_to_take_the_record_leaves_the_promotion_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    event = executed()

    DeploymentNotifier(Records(RegistryError("MLflow is unreachable"))).notify(event)

    assert event.answered() is event.result and event.result.status == "done"
    assert "recording the GitHub deployment failed" in caplog.text
    assert [r.levelno for r in caplog.records] == [logging.WARNING]


PLAN = DeploymentPlan(
    repository="acme/models",
    sha="6" * 40,
    environment="m/Production",
    production=True,
    description="v3 → Production by bob@example.com: shadow ok",
    payload={"model": "m", "version": 3},
    environment_url="",
)


def test_the_bodies_github_is_sent() -> None:
    assert deployment_body(PLAN) == {
        "ref": "6" * 40,
        "environment": "m/Production",
        "auto_merge": False,
        "required_contexts": [],
        "production_environment": True,
        "payload": {"model": "m", "version": 3},
        "description": "v3 → Production by bob@example.com: shadow ok",
    }
    assert status_body(PLAN, "success") == {
        "state": "success",
        "description": "v3 → Production by bob@example.com: shadow ok",
    }
    assert status_body(PLAN, "inactive") == {"state": "inactive", "description": "replaced by v3"}
