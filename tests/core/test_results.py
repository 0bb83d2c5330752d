"""bot/core/results.py: a result is built once and never changed after it is published;
its status and action are the contract's words."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bot.core import events
from bot.core.context import Context
from bot.core.results import (
    DONE,
    ErrorResult,
    HelpResult,
    MoveResult,
    Result,
    StatusResult,
)


def done() -> MoveResult:
    return MoveResult(
        status="done", action="promote", model="m", version=3, reasons=["r"], extra={"a": 1}
    )


def test_a_published_result_cannot_be_changed() -> None:
    result = done()
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = "refused"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.notes = ("added later",)  # type: ignore[misc]
    with pytest.raises(AttributeError):
        result.reasons.append("more")  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        result.extra["deployment"] = {}  # type: ignore[index]
    assert result.reasons == ("r",) and dict(result.extra) == {"a": 1}


def test_what_notifiers_say_back_comes_in_a_new_value() -> None:
    class Recorder:
        def notify(self, event: events.Event) -> None:
            event.reply(events.Reply("Recorded on GitHub.", {"deployment": {"id": 7}}))

    bus = events.EventBus()
    bus.subscribe(Recorder(), (events.EXECUTED,))
    published = done()
    shown = bus.publish(events.EXECUTED, published, Context(actor="cli:bob"))
    assert published.notes == () and "deployment" not in published.extra
    assert shown.notes == ("Recorded on GitHub.",)
    assert shown.to_json()["data"] == {
        "checks": [],
        "notes": ["Recorded on GitHub."],
        "a": 1,
        "deployment": {"id": 7},
    }
    assert bus.publish(events.REQUEST_MADE, published, Context(actor="cli:bob")) is published


def test_status_and_action_are_the_contract_s_words() -> None:
    result = done()
    assert result.status == DONE and result.status == "done" and result.action == "promote"
    assert json.dumps(result.to_json()).startswith('{"status": "done", "request_id": null')
    assert json.loads(json.dumps(result.to_json()))["action"] == "promote"
    with pytest.raises(ValueError):
        MoveResult(status="finished", action="promote")
    with pytest.raises(ValueError):
        StatusResult(status="done", action="stat")


def test_only_a_kind_of_outcome_is_built() -> None:
    with pytest.raises(TypeError):
        Result(status="done", action="promote")
    assert HelpResult(text="x").to_json()["data"] == {"help": "x"}
    failed = ErrorResult(message="MLflow is down")
    assert failed.status == "error" and "action" not in failed.to_json()
