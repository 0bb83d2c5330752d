"""The release board's use case (bot/core/service/board.py) on a real SQLite registry:
what holds each target and since when, what waits for whom, the timeline's segments and
markers, the verification chart (a fake Prometheus), and the trail's pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from conftest import FIXTURES, Clock, ModelFactory
from service_helpers import M, run, to_production

from bot.core.ports.prometheus import Reading, Series
from bot.core.service import Service
from bot.core.service import board as board_module


class FakePrometheus:
    """Version 2 is bad; every range query answers three points around the threshold."""

    def __init__(self) -> None:
        self.ranges: list[tuple[str, datetime, datetime, float]] = []

    def query(self, expr: str) -> Reading:
        return Reading(0.5 if 'version="2"' in expr else 0.001)

    def query_range(self, expr: str, start: datetime, end: datetime, step_s: float) -> Series:
        self.ranges.append((expr, start, end, step_s))
        t = start.timestamp()
        return Series(((t, 0.001), (t + step_s, 0.3), (t + 2 * step_s, 0.5)))


def test_the_overview_shows_each_target_holder_and_pending_count(
    service: Service, two_versions: tuple[int, int]
) -> None:
    to_production(service, 1)
    run(service, "slack:U01BOB", f"promote {M} v2 staging candidate")
    assert run(service, "slack:U01BOB", f"promote {M} v2 production better").status == "pending"

    found = service.board.overview()
    (model,) = found.models
    assert model.name == M
    assert model.pending == 1
    rows = {r.label: r for r in model.targets}
    assert rows["Production"].version == 1
    assert rows["Production"].asked_by == "bob@example.com"
    assert rows["Production"].approved_by == "alice@example.com"
    assert rows["Production"].since is not None
    assert rows["Staging"].version == 2
    assert rows["@champion"].version is None


def test_a_pending_request_names_what_is_missing_and_who_may_approve(
    service: Service, two_versions: tuple[int, int]
) -> None:
    to_production(service, 1)
    run(service, "slack:U01BOB", f"promote {M} v2 staging candidate")
    pending = run(service, "slack:U01BOB", f"promote {M} v2 production better")

    page = service.board.model(M)
    assert page is not None
    (waiting,) = page.waiting
    assert waiting.command == f"approve {pending.request_id}"
    assert waiting.reason == "better"
    assert waiting.missing == ("1 more from ml-leads: alice or erin",)


def test_the_timeline_has_a_segment_per_holding_and_a_marker_per_move(
    service: Service, two_versions: tuple[int, int], clock: Clock
) -> None:
    to_production(service, 1)
    clock.advance(minutes=5)
    to_production(service, 2)
    clock.advance(minutes=5)
    run(service, "slack:U01CAROL", f"rollback {M} production p99 doubled")

    page = service.board.model(M)
    assert page is not None
    rows = {r.label: r for r in page.timeline.rows}
    assert [s.version for s in rows["Production"].segments] == [1, 2, 1]
    assert [m.kind for m in rows["Production"].markers] == ["promote", "promote", "rollback"]
    assert rows["Production"].segments[-1].end is None


def test_a_version_promoted_on_from_staging_leaves_staging_in_the_timeline(
    service: Service, two_versions: tuple[int, int], clock: Clock
) -> None:
    # MLflow gives a version one stage: v1 moved to Production is no longer in Staging,
    # so Staging's bar ends there (the overview says Staging holds nothing).
    run(service, "slack:U01BOB", f"promote {M} v1 staging candidate")
    clock.advance(minutes=5)
    pending = run(service, "slack:U01BOB", f"promote {M} v1 production shadow ok")
    run(service, "github:alice", f"approve {pending.request_id}")

    page = service.board.model(M)
    assert page is not None
    rows = {r.label: r for r in page.timeline.rows}
    (staged,) = rows["Staging"].segments
    (produced,) = rows["Production"].segments
    assert staged.version == produced.version == 1
    assert staged.end == produced.start
    assert produced.end is None
    assert {t.label: t.version for t in page.targets}["Staging"] is None


def test_the_trail_pages_newest_first(
    service: Service,
    two_versions: tuple[int, int],
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(board_module, "PER_PAGE", 3)
    to_production(service, 1)
    clock.advance(minutes=1)
    to_production(service, 2)

    first = service.board.model(M, page=1)
    second = service.board.model(M, page=2)
    assert first is not None and second is not None
    assert len(first.trail.records) == 3 and first.trail.more
    newest = [r.at for r in first.trail.records + second.trail.records]
    assert newest == sorted(newest, reverse=True)
    assert not {id(r) for r in first.trail.records} & {id(r) for r in second.trail.records}
    everything = list(service.board.records(M))
    assert len(everything) == len(first.trail.records) + len(second.trail.records) + len(
        service.board.model(M, page=3).trail.records  # type: ignore[union-attr]
    )


def test_a_model_no_policy_names_has_no_page(service: Service, models: ModelFactory) -> None:
    models.version("unnamed-model", accuracy=0.9)
    assert service.board.model("unnamed-model") is None
    assert service.board.model("no-such-model") is None
    assert [m.name for m in service.board.overview().models] == []


@pytest.fixture
def watched(
    service_factory: Callable[..., Any], models: ModelFactory, clock: Clock
) -> tuple[Service, FakePrometheus]:
    service = service_factory(FIXTURES / "verify_policy.yaml")
    fake = FakePrometheus()
    service.deps.prometheus = fake
    for _ in (1, 2):
        models.version("watch-board", accuracy=0.9)
    run(service, "slack:U01BOB", "promote watch-board v1 production first")
    clock.advance(seconds=30)
    run(service, "slack:U01BOB", "promote watch-board v2 production second")
    for _ in range(10):
        clock.advance(seconds=1)
        if service.verify().failed:
            break
    return service, fake


def test_the_chart_shows_the_failed_verification_and_promobots_rollback(
    watched: tuple[Service, FakePrometheus],
) -> None:
    service, fake = watched
    page = service.board.model("watch-board")
    assert page is not None
    chart = page.chart
    assert chart is not None
    assert (chart.version, chart.state, chart.target) == (2, "failed", "Production")
    assert chart.rollback_at is not None and chart.start < chart.rollback_at <= chart.end
    assert [line.name for line in chart.lines] == ["error rate", "p99 latency"]
    assert chart.lines[0].threshold == 0.02 and chart.lines[0].op == "<"
    assert len(chart.lines[0].points) == 3
    assert all('version="2"' in expr for expr, *_ in fake.ranges)
    production = next(r for r in page.timeline.rows if r.label == "Production")
    assert [s.version for s in production.segments] == [1, 2, 1]
    assert production.markers[-1].kind == "auto-rollback"
    row = next(r for r in page.targets if r.label == "Production")
    assert (row.version, row.verification, row.rolled_back) == (1, "failed", True)
