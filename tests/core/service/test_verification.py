"""Verification after a promotion, against a real Prometheus (1 s scrapes of an exporter
the test controls) and a real MLflow registry: a bad version rolled back by promobot, a
good one passed, a person's rollback ending it, Prometheus stopped mid-way, a first
holder never left empty, status and history; two services roll back exactly once."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.mlflow.gateway import Registry
from bot.adapters.prometheus import PrometheusClient
from bot.core.commands import parse
from bot.core.events import VERIFICATION_FAILED, VERIFICATION_PASSED, Event, EventBus
from bot.core.policy import load_policy
from bot.core.service import Context, Outside, Service
from bot.core.state.watch import watches
from bot.render.message import to_text

POLICY = load_policy(Path(__file__).resolve().parents[2] / "fixtures" / "verify_policy.yaml")
BOB = Context(actor="cli:bob", channel="github", link="https://github.com/o/r/pull/7#c1")
CAROL = Context(actor="cli:carol")


class Recorder:
    def __init__(self) -> None:
        self.seen: list[Event] = []

    def notify(self, event: Event) -> None:
        self.seen.append(event)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.seen]


def make_service(uri: str, prometheus_url: str, recorder: Recorder | None = None) -> Service:
    bus = EventBus()
    if recorder is not None:
        bus.subscribe(recorder, (VERIFICATION_PASSED, VERIFICATION_FAILED))
    client = PrometheusClient(prometheus_url, timeout_s=2)
    return Service(Registry(uri), POLICY, events=bus, outside=Outside(prometheus=client))


def do(service: Service, text: str, ctx: Context = BOB) -> Any:
    command = parse(text)
    return service.handle(command.command, ctx)  # type: ignore[union-attr]


def until(service: Service, state: str, timeout: float = 10.0) -> list[Any]:
    """Run the pass every half second until an outcome reaches `state`."""
    outcomes: list[Any] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        outcomes.extend(service.verify().outcomes)
        if any(o.state == state for o in outcomes):
            return outcomes
        time.sleep(0.5)
    raise AssertionError(f"no verification reached {state}: {outcomes}")


@pytest.fixture
def setup(
    tracking_uri: str, models: Any, prometheus: Any, exporter: Any, request: Any
) -> Callable[..., tuple[Service, Recorder, str]]:
    def make(prefix: str, good: float, bad: float) -> tuple[Service, Recorder, str]:
        name = f"{prefix}-{request.node.name[-40:].replace('[', '-').replace(']', '')}"
        models.version(name, accuracy=0.9)
        models.version(name, accuracy=0.9)
        exporter.set(name, 1, error_rate=good)
        exporter.set(name, 2, error_rate=bad)
        prometheus.wait_for(f'model_error_rate{{model="{name}",version="2"}}', bad)
        recorder = Recorder()
        return make_service(tracking_uri, prometheus.url, recorder), recorder, name

    return make


def test_a_bad_version_is_rolled_back_by_promobot_naming_the_figure(
    setup: Callable[..., Any], models: Any
) -> None:
    service, recorder, name = setup("watch-bad", good=0.001, bad=0.071)
    assert do(service, f"promote {name} v1 production first").status == "done"
    assert models.tags(name, 1)["verification"] == "running"
    assert do(service, f"promote {name} v2 production next").status == "done"
    assert models.tags(name, 1)["verification"] == "ended"
    assert models.tags(name, 2)["verification"] == "running"

    outcomes = until(service, "failed")

    reason = "verification failed: error rate 0.071 (pass < 0.02), 3 checks in a row"
    failed = next(o for o in outcomes if o.state == "failed")
    assert (failed.version, failed.rolled_back_to, failed.detail) == (2, 1, reason)
    # Caught at the first moment it could be: after `failures` (3) runs, `every` apart.
    [watched] = [w for w in watches(models.model_tags(name)) if w.version == 2]
    assert watched.runs == 3
    assert models.stage(name, 1) == "Production"
    assert models.stage(name, 2) == "Archived"
    assert models.aliases(name)["production"] == 1
    v1, v2 = models.tags(name, 1), models.tags(name, 2)
    assert v1["promotion_reason"] == f"rollback: {reason}"
    assert v1["requested_by"] == "promobot"
    assert v1["promotion_channel"] == "verify"
    assert v2["rollback_reason"] == reason
    assert v2["rolled_back_by"] == "promobot"
    assert v2["verification"] == "failed"
    assert "error rate 0.071 (pass < 0.02)" in v2["verification_figures"]
    assert "verification_failed_at" in v2
    assert (
        models.description(name, 1)
        .splitlines()[-1]
        .endswith(f"→ Production by promobot: rollback: {reason} (accuracy 0.90)")
    )
    # The restored holder is watched in turn.
    assert v1["verification"] == "running"

    [event] = recorder.seen
    assert event.kind == VERIFICATION_FAILED
    assert event.result.message == reason
    assert event.result.replaced_version == 1
    assert event.result.requested_by == "bob@example.com"
    assert (event.ctx.channel, event.ctx.link) == ("github", BOB.link)

    history = to_text(do(service, f"history {name}"))
    assert "v2 on Production: verification failed" in history
    assert "v1 → Production (v2 out)" in history


def test_a_good_version_is_marked_passed_after_for(setup: Callable[..., Any], models: Any) -> None:
    service, recorder, name = setup("watch-good", good=0.001, bad=0.005)
    do(service, f"promote {name} v2 production looks fine")
    status = do(service, f"status {name}")
    [view] = status.verifications
    assert (view["version"], view["state"], view["runs"]) == (2, "running", 0)

    until(service, "passed")
    tags = models.tags(name, 2)
    assert tags["verification"] == "passed"
    assert tags["verified_at"]
    assert models.stage(name, 2) == "Production"
    assert [e.kind for e in recorder.seen] == [VERIFICATION_PASSED]
    assert recorder.seen[0].result.message.startswith(
        f"{name} v2 passed verification on Production: passed: error rate 0.005 (pass < 0.02)"
    )
    assert "v2 on Production: verification passed" in to_text(do(service, f"history {name}"))
    assert service.verify().outcomes == []  # nothing left to run


def test_status_shows_checks_last_figures_failures_and_time_left(
    setup: Callable[..., Any],
) -> None:
    service, _, name = setup("told-status", good=0.001, bad=0.071)
    do(service, f"promote {name} v2 production")
    [outcome] = service.verify().outcomes
    assert outcome.state == "running"
    text = to_text(do(service, f"status {name}"))
    assert "🔎 v2 on Production is being verified: " in text
    assert "1 run(s); promobot tells after 2 failures of one check in a row" in text
    assert "error rate < 0.02: 0.071, 1 failure(s) in a row" in text
    data = do(service, f"status {name}").to_json()["data"]["verifications"][0]
    assert data["checks"][0]["value"] == pytest.approx(0.071)
    assert 0 < data["seconds_left"] <= 4


def test_notify_and_a_first_holder_are_told_never_left_empty(
    setup: Callable[..., Any], models: Any
) -> None:
    service, recorder, name = setup("watch-first", good=0.001, bad=0.071)
    do(service, f"promote {name} v2 production")  # the first holder: nothing before it
    until(service, "failed")
    assert models.stage(name, 2) == "Production"
    assert models.tags(name, 2)["verification"] == "failed"
    [event] = recorder.seen
    assert event.result.replaced_version is None
    assert list(event.result.reasons) == [
        "v2 was the first holder of Production: nothing to go back to"
    ]
    assert event.result.next_steps[0].command == f"rollback {name}"


def test_on_failure_notify_tells_with_the_rollback_command(
    setup: Callable[..., Any], models: Any
) -> None:
    service, recorder, name = setup("told-bad", good=0.001, bad=0.071)
    do(service, f"promote {name} v1 production")
    do(service, f"promote {name} v2 production")
    until(service, "failed")
    assert models.stage(name, 2) == "Production"  # told, not moved
    [event] = recorder.seen
    assert event.result.message == (
        "verification failed: error rate 0.071 (pass < 0.02), 2 checks in a row"
    )
    assert list(event.result.reasons) == ["on_failure: notify"]
    assert event.result.next_steps[0].command == f"rollback {name}"


def test_a_persons_rollback_ends_the_verification(setup: Callable[..., Any], models: Any) -> None:
    service, recorder, name = setup("watch-person", good=0.001, bad=0.071)
    do(service, f"promote {name} v1 production")
    do(service, f"promote {name} v2 production")
    service.verify()
    result = do(service, f"rollback {name} looks wrong", CAROL)
    assert result.status == "done", result.reasons
    assert models.tags(name, 2)["verification"] == "ended"
    assert models.tags(name, 1)["verification"] == "running"
    history = to_text(do(service, f"history {name}"))
    assert "v2 on Production: verification ended" in history
    [view] = do(service, f"status {name}").verifications
    assert view["version"] == 1
    assert recorder.seen == []


def test_a_busy_target_is_left_to_the_next_pass_and_the_others_still_run(
    tracking_uri: str, models: Any
) -> None:
    from bot.core import state

    busy, free = "watch-busy-held", "watch-busy-free"
    for name in (busy, free):
        models.version(name, accuracy=0.9)
    # No Prometheus: each run is no data, a failure in a row (no_data: fail), still running.
    service = Service(Registry(tracking_uri, lock_wait_s=0.2), POLICY)
    for name in (busy, free):
        assert do(service, f"promote {name} v1 production").status == "done"
    other = Registry(tracking_uri)  # a promotion elsewhere holding the busy target's lock
    with other.mutex(state.mutex_bucket(busy, "production"), busy, "production"):
        outcomes = service.verify().outcomes
    assert [(o.model, o.state) for o in outcomes] == [(free, "running")]
    assert busy in {o.model for o in service.verify().outcomes}  # its turn, once free


def test_a_failing_restored_version_is_not_rolled_back_onto_the_failed_one(
    setup: Callable[..., Any], models: Any
) -> None:
    # Both versions bad: v2 fails and promobot restores v1, whose own watch fails in
    # turn; promobot tells instead of putting v2, the version it just rolled back, back.
    service, recorder, name = setup("watch-both-bad", good=0.071, bad=0.071)
    assert do(service, f"promote {name} v1 production first").status == "done"
    assert do(service, f"promote {name} v2 production next").status == "done"
    first = next(o for o in until(service, "failed") if o.state == "failed")
    assert (first.version, first.rolled_back_to) == (2, 1)
    second = next(o for o in until(service, "failed") if o.state == "failed")
    assert (second.version, second.rolled_back_to) == (1, None)
    assert models.stage(name, 1) == "Production"
    assert models.tags(name, 1)["verification"] == "failed"
    assert "promobot rolled back for failing verification" in recorder.seen[-1].result.reasons[0]
