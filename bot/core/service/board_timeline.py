"""The release board's pictures, from a model's tags: the timeline of its targets (a
segment per version held, a marker per move and drift) and the newest verification to
chart. Pure: tags and the time in, values out; the Prometheus series are read by the
use case (bot/core/service/board.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core import state
from bot.core.board import Marker, Segment, Timeline, TimelineRow
from bot.core.policy.rules import target_label
from bot.core.state import HistoryEvent
from bot.core.state.drift import drift_records
from bot.core.state.watch import Watch, watches

VERIFY_CHANNEL = "verify"  # promobot's own rollback after a failed verification
EMPTY_SPAN = timedelta(days=1)  # a model promobot never moved: the last day


def auto_rollback(event: HistoryEvent) -> bool:
    """Whether promobot itself rolled back (a failed verification), not a person."""
    return event.kind == "rollback" and event.channel == VERIFY_CHANNEL


def timeline(model: str, tags: dict[str, str], keys: Sequence[str], now: datetime) -> Timeline:
    """One row per target (the policy's, then any other promobot moved), from what the
    model's own tags hold: the recent moves compaction keeps on it (bounded), so the
    page costs the same at 10 or 10,000 past executions."""
    moves = state.events(tags)
    keys = list(dict.fromkeys([*keys, *(e.target_key for e in moves)]))
    found = drift_records(model, tags)
    times = [e.at for e in moves if e.at] + [d.at for d in found if d.at]
    start = min(times, default=now - EMPTY_SPAN)
    start -= max((now - start) / 50, timedelta(seconds=1))  # the first move is not on the edge
    rows = []
    for key in keys:
        mine = [e for e in moves if e.target_key == key and e.at is not None]
        markers = [_move_marker(e) for e in mine]
        for drift in (d for d in found if d.target_key == key and d.at is not None):
            assert drift.at is not None
            markers.append(Marker(drift.at, "drift", drift.primary.holder, drift.reason))
            fixed = next((e for e in mine if e.at and e.at > drift.at), None)
            if fixed is not None and fixed.at is not None:
                text = f"drift put right: v{fixed.version} by {fixed.by}"
                markers.append(Marker(fixed.at, "drift-fixed", fixed.version, text))
        markers.sort(key=lambda m: m.at)
        rows.append(TimelineRow(target_label(key), tuple(_segments(mine, moves)), tuple(markers)))
    return Timeline(start, now, tuple(rows))


def _segments(mine: list[HistoryEvent], moves: list[HistoryEvent]) -> list[Segment]:
    """A segment per holding: each move starts one; the next move on the target ends it,
    and so does the version's move to another stage (_left_stage)."""
    out = []
    for i, event in enumerate(mine):
        assert event.at is not None
        ends = [mine[i + 1].at if i + 1 < len(mine) else None, _left_stage(event, moves)]
        end = min((at for at in ends if at is not None), default=None)
        out.append(Segment(event.version, event.at, end, event.by))
    return out


def _left_stage(event: HistoryEvent, moves: list[HistoryEvent]) -> datetime | None:
    """When the version `event` put on a stage was moved on to another stage: a version
    has one stage in MLflow (v2 promoted from Staging to Production leaves Staging
    empty), where an alias is held beside any other. None: it has not left."""
    if event.target_kind != "stage" or event.at is None:
        return None
    start = event.at
    return next(
        (
            e.at
            for e in moves
            if e.at is not None
            and e.at > start
            and e.target_kind == "stage"
            and e.version == event.version
            and e.target_key != event.target_key
        ),
        None,
    )


def _move_marker(event: HistoryEvent) -> Marker:
    assert event.at is not None
    kind = "auto-rollback" if auto_rollback(event) else event.kind
    verb = {"promote": "promoted", "rollback": "rolled back to"}.get(event.kind, event.kind)
    said = f"v{event.version} {verb} {event.target_label} by {event.by}"
    if event.approved_by:
        said += f", approved by {event.approved_by}"
    if event.reason:
        said += f": {event.reason}"
    return Marker(event.at, kind, event.version, said)


@dataclass(frozen=True)
class Charted:
    """The verification to chart, and promobot's rollback that ended it, if any."""

    watch: Watch
    rollback: HistoryEvent | None


def newest_watch(tags: dict[str, str]) -> Charted | None:
    """The newest promotion under verification or just verified. When promobot rolled a
    failed version back, the rollback starts a watch of the version restored; the chart
    shows the failed one, whose story it is, until a person moves the target again."""
    found = watches(tags)
    if not found:
        return None
    newest = found[-1]
    moves = state.events(tags)
    if auto_rollback(newest.event):
        failed = [w for w in found if w.state == "failed" and w.event.on(newest.event.target_key)]
        if failed:
            return Charted(failed[-1], newest.event)
    rollback = next(
        (
            e
            for e in moves
            if auto_rollback(e)
            and e.on(newest.event.target_key)
            and e.at is not None
            and e.at >= newest.started
        ),
        None,
    )
    return Charted(newest, rollback)


def chart_window(watch: Watch, now: datetime) -> tuple[datetime, datetime, float]:
    """(start, end, step in seconds) around a verification: a little before it started,
    to its end (or now), about 120 points."""
    planned = timedelta(seconds=int(watch.plan.get("for_s") or 60))
    ended = watch.ended_at or min(now, watch.started + planned)
    end = min(now, max(ended, watch.started + timedelta(seconds=10)) + planned / 4)
    start = watch.started - max(planned / 4, timedelta(seconds=10))
    step = max(1.0, (end - start).total_seconds() / 120)
    return start, max(end, start + timedelta(seconds=1)), step
