"""Verification state in MLflow, and when a version entered a stage
(bot/core/state/watch.py): the watch an execution started, as far as its runs got; when
the next run is due; and what is written back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.state import HistoryEvent
from bot.core.state.watch import Watch, current_watch, entered_stage, watches

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
PLAN = {"for_s": 600, "every_s": 60, "failures": 3, "checks": []}


def executed(
    rid: str, version: int, target: str = "production", verify: object = PLAN, minutes: int = 0
) -> HistoryEvent:
    label = "Production" if target == "production" else target.capitalize()
    return HistoryEvent(
        "promote",
        target,
        label,
        version,
        None,
        "bob",
        "",
        T0 + timedelta(minutes=minutes),
        "ok",
        rid,
        "cli",
        line="the line",
        verify=verify,  # type: ignore[arg-type]
    )


def tags_of(*steps: tuple[HistoryEvent, str | None]) -> dict[str, str]:
    """Each execution's event and, unless None, its request's outcome."""
    tags: dict[str, str] = {}
    for n, (event, state) in enumerate(steps, start=1):
        tags[f"mlflow.promobot.event.{n:013d}.{0:020d}.{event.request}"] = event.to_tag()
        if state is not None:
            tags[f"mlflow.promobot.request.{event.request}.state"] = json.dumps({"state": state})
    return tags


def test_a_watch_without_runs_yet_is_running_and_due_at_once() -> None:
    (watch,) = watches(tags_of((executed("req-1", 3), "done")))
    assert (watch.request, watch.version, watch.state, watch.runs, watch.plan) == (
        "req-1",
        3,
        "running",
        0,
        PLAN,
    )
    assert (watch.started, watch.until) == (T0, T0 + timedelta(minutes=10))
    assert watch.due(T0)


@pytest.mark.parametrize(
    ("state", "last_run", "now", "due"),
    [
        ("running", T0, T0 + timedelta(seconds=59), False),
        ("running", T0, T0 + timedelta(seconds=60), True),
        ("passed", None, T0, False),
        ("failed", None, T0, False),
        ("ended", None, T0, False),
    ],
    ids=["within-every", "every-elapsed", "passed", "failed", "ended"],
)
def test_due(state: str, last_run: datetime | None, now: datetime, due: bool) -> None:
    watch = Watch(executed("req-1", 3), state=state, last_run=last_run)
    assert watch.due(now) is due


def test_what_the_runs_found_is_written_and_read_back() -> None:
    found = Watch(
        executed("req-1", 3),
        state="failed",
        runs=4,
        failures={"error rate": 3},
        last={"error rate": {"value": 0.07, "problem": "", "ok": False}},
        last_run=T0 + timedelta(minutes=4),
        ended_at=T0 + timedelta(minutes=4),
        detail="error rate 0.07 (pass < 0.02)",
    )
    assert json.loads(found.record()) == {
        "state": "failed",
        "runs": 4,
        "failures": {"error rate": 3},
        "last": {"error rate": {"value": 0.07, "problem": "", "ok": False}},
        "last_run": "2026-11-25T10:04:00Z",
        "at": "2026-11-25T10:04:00Z",
        "detail": "error rate 0.07 (pass < 0.02)",
    }
    tags = {**tags_of((found.event, "done")), "mlflow.promobot.verification.req-1": found.record()}
    read = current_watch(tags, "production")
    assert read is not None and (read.request, read.record()) == ("req-1", found.record())


def test_a_record_not_as_promobot_writes_it_reads_as_far_as_it_can() -> None:
    record = json.dumps(
        {
            "runs": "2",
            "failures": {"a": 1, "b": "x"},
            "last": {"a": {"ok": True}, "b": 5},
            "last_run": "soon",
        }
    )
    tags = {**tags_of((executed("req-1", 3), "done")), "mlflow.promobot.verification.req-1": record}
    watch = current_watch(tags, "production")
    assert watch is not None
    assert (watch.state, watch.runs, watch.failures, watch.last, watch.last_run) == (
        "running",
        2,
        {"a": 1},
        {"a": {"ok": True}},
        None,
    )


def test_the_current_watch_is_that_of_the_targets_latest_finished_execution() -> None:
    tags = tags_of(
        (executed("req-1", 1), "done"),
        (executed("req-2", 2, "staging"), "done"),
        (executed("req-3", 3), "failed"),
        (executed("req-4", 4), None),  # under way
    )
    watch = current_watch(tags, "production")
    assert watch is not None and watch.request == "req-1"
    assert current_watch(tags, "@champion") is None
    assert current_watch(tags_of((executed("req-5", 5, verify=None), "done")), "production") is None
    assert [w.request for w in watches(tags)] == ["req-1", "req-2", "req-3", "req-4"]


def test_when_a_version_entered_a_stage() -> None:
    tags = tags_of(
        (executed("req-1", 3, "staging", minutes=5), "done"),
        (executed("req-2", 3, "staging", minutes=30), "failed"),
    )
    assert entered_stage(tags, {}, 3, "staging") == T0 + timedelta(minutes=5)
    assert entered_stage(tags, {}, 4, "staging") is None
    # A version moved before promobot kept history, by its own tags.
    tagged = {"promoted_to": "Staging", "promoted_at": "2026-11-24T09:00:00Z"}
    assert entered_stage({}, tagged, 4, "staging") == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert entered_stage({}, tagged, 4, "production") is None
