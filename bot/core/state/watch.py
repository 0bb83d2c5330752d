"""Verification state in MLflow, and when a version entered a stage. Pure.

A verification starts with the execution that puts a version onto a target whose rule
has `verify`: its history event carries the plan (`verify`). What the runs found is one
registered-model tag per verification, `mlflow.promobot.verification.<request id>` (JSON):

    {"state": "running"|"passed"|"failed"|"ended", "runs": 4, "failures": {check: n},
     "last": {check: {"value": 0.01|null, "problem": "", "ok": true}}, "last_run": iso,
     "at": iso (when it ended), "detail": "why it ended"}

No tag yet means running with no run so far. The version itself carries the tags people
read: `verification` (running, passed, failed, ended), `verified_at`, and on failure
`verification_failed_at` and `verification_figures`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.state.codec import dumps, format_time, loads, maybe_time
from bot.core.state.history_event import HistoryEvent
from bot.core.state.keys import verification_key
from bot.core.state.records import all_events, events, outcome

FINAL = ("passed", "failed", "ended")


@dataclass(frozen=True)
class Watch:
    """A verification as its execution started it, and as far as its runs got."""

    event: HistoryEvent  # the execution that started it (with its plan)
    state: str = "running"
    runs: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    last: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_run: datetime | None = None
    ended_at: datetime | None = None
    detail: str = ""

    @property
    def plan(self) -> dict[str, Any]:
        return self.event.verify or {}

    @property
    def request(self) -> str:
        return self.event.request

    @property
    def version(self) -> int:
        return self.event.version

    @property
    def started(self) -> datetime:
        return self.event.at or datetime.min.replace(tzinfo=UTC)

    @property
    def until(self) -> datetime:
        return self.started + timedelta(seconds=int(self.plan["for_s"]))

    def due(self, now: datetime) -> bool:
        if self.state in FINAL:
            return False
        every = timedelta(seconds=int(self.plan["every_s"]))
        return self.last_run is None or now - self.last_run >= every

    def record(self) -> str:
        return dumps(
            {
                "state": self.state,
                "runs": self.runs,
                "failures": self.failures,
                "last": self.last,
                "last_run": format_time(self.last_run) if self.last_run else None,
                "at": format_time(self.ended_at) if self.ended_at else None,
                "detail": self.detail,
            }
        )


def _latest_event(tags: dict[str, str], target_key: str) -> HistoryEvent | None:
    """The target's newest finished execution (an unfinished one is finished first)."""
    for event in reversed(all_events(tags)):
        if event.target_key != target_key:
            continue
        done = outcome(tags, event.request)
        if done is None or done.state != "done":
            continue
        return event
    return None


def _from_record(event: HistoryEvent, value: str | None) -> Watch:
    data = loads(value) if value else {}
    failures = data.get("failures") if isinstance(data.get("failures"), dict) else {}
    last = data.get("last") if isinstance(data.get("last"), dict) else {}
    return Watch(
        event=event,
        state=str(data.get("state") or "running"),
        runs=int(data.get("runs") or 0),
        failures={str(k): int(v) for k, v in failures.items() if isinstance(v, int)},
        last={str(k): v for k, v in last.items() if isinstance(v, dict)},
        last_run=maybe_time(data.get("last_run")),
        ended_at=maybe_time(data.get("at")),
        detail=str(data.get("detail") or ""),
    )


def current_watch(tags: dict[str, str], target_key: str) -> Watch | None:
    """The verification of the target's latest execution, if it started one."""
    event = _latest_event(tags, target_key)
    if event is None or not event.verifies:
        return None
    return _from_record(event, tags.get(verification_key(event.request)))


def watches(tags: dict[str, str]) -> list[Watch]:
    """Every verification an execution started, oldest first (for history)."""
    return [
        _from_record(event, tags.get(verification_key(event.request)))
        for event in all_events(tags)
        if event.verifies
    ]


def entered_stage(
    tags: dict[str, str], version_tags: dict[str, str], version: int, stage_key: str
) -> datetime | None:
    """When `version` entered a stage: from promobot's history event of that promotion,
    else the version's own `promoted_at` tag when `promoted_to` names the stage."""
    for ev in reversed(events(tags)):
        if ev.on(stage_key) and ev.version == version:
            return ev.at
    if version_tags.get("promoted_to", "").lower() == stage_key:
        return maybe_time(version_tags.get("promoted_at"))
    return None
