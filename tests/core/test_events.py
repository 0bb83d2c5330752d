"""The outbound seam (bot/core/events.py): notifiers get the kinds they subscribe to, in
order, and one that fails never stops the others or reaches the caller."""

from __future__ import annotations

import logging

import pytest

from bot.core import events
from bot.core.results import MoveResult, Result
from bot.core.service import Context


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.seen: list[tuple[str, str | None]] = []
        self.fail = fail

    def notify(self, event: events.Event) -> None:
        self.seen.append((event.kind, event.result.request_id))
        if self.fail:
            raise RuntimeError("Slack is down")


def result(request_id: str) -> Result:
    return MoveResult(status="done", action="approve", model="m", request_id=request_id)


def test_each_notifier_gets_only_the_kinds_it_subscribed_to() -> None:
    bus = events.EventBus()
    everything, decisions = Recorder(), Recorder()
    bus.subscribe(everything)
    bus.subscribe(decisions, (events.REQUEST_DECIDED,))
    ctx = Context(actor="github:alice", channel="github")
    bus.publish(events.REQUEST_MADE, result("req-1"), ctx)
    bus.publish(events.REQUEST_DECIDED, result("req-1"), ctx)
    assert everything.seen == [("request_made", "req-1"), ("request_decided", "req-1")]
    assert decisions.seen == [("request_decided", "req-1")]


def test_a_failing_notifier_is_logged_and_the_next_one_still_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = events.EventBus()
    broken, after = Recorder(fail=True), Recorder()
    bus.subscribe(broken)
    bus.subscribe(after)
    with caplog.at_level(logging.WARNING, logger="promobot.events"):
        bus.publish(events.EXECUTED, result("req-2"), Context(actor="cli:carol"))
    assert broken.seen == after.seen == [("executed", "req-2")]
    assert "a notifier failed on executed of req-2" in caplog.text


def test_an_unknown_kind_cannot_be_subscribed_to() -> None:
    with pytest.raises(ValueError, match="unknown event kinds"):
        events.EventBus().subscribe(Recorder(), ("request_exploded",))


def test_the_service_reports_what_happened_in_order(service, models, two_versions) -> None:
    """A production request made, one approval that completes it: made, executed,
    decided; a promotion to staging that needs no approval: executed only."""
    from service_helpers import M, run

    seen = Recorder()
    service.events.subscribe(seen)
    v1, _ = two_versions
    run(service, "slack:U01BOB", f"promote {M} v{v1} staging ok")
    pending = run(service, "slack:U01BOB", f"promote {M} v{v1} production shadow ok")
    run(service, "github:alice", f"approve {pending.request_id}")
    kinds = [kind for kind, _ in seen.seen]
    assert kinds == ["executed", "request_made", "executed", "request_decided"]
    assert seen.seen[1:] == [(k, pending.request_id) for k in kinds[1:]]
