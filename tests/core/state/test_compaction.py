"""Which records stay on a model and which move to its ledger (bot/core/state/compaction.py):
pure, on tag dicts laid out as promobot writes them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.core.state import compaction
from bot.core.state.keys import EVENT_PREFIX, REQUEST_PREFIX, TARGET_LOCK_PREFIX

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _event(
    tags: dict[str, str], n: int, target: str, version: int, *, done: bool = True, rid: str = ""
) -> str:
    at = START + timedelta(minutes=n)
    rid = rid or f"req-ab12{n:06x}"
    key = f"{EVENT_PREFIX}{int(at.timestamp() * 1000):013d}.{n:020d}.{rid}"
    event = {"kind": "promote", "target_key": target, "target_label": target.title(),
             "version": version, "at": at.isoformat(), "request": rid, "line": "moved"}  # fmt: skip
    tags[key] = json.dumps(event)
    if done:
        outcome = {"state": "done", "by": "promobot", "at": at.isoformat()}
        tags[f"{REQUEST_PREFIX}{rid}.state"] = json.dumps(outcome)
    return rid


def _history(moves: int) -> dict[str, str]:
    """`moves` promotions to staging of versions 1, 2, 3, 1, …; then v9 to production."""
    tags = {"owner": "team-a", "mlflow.promobot.drift.staging": "{}"}
    for n in range(moves):
        _event(tags, n, "staging", n % 3 + 1)
    _event(tags, moves, "production", 9)
    return tags


def test_a_short_history_stays_whole() -> None:
    plan = compaction.split(_history(compaction.KEPT_RECENT - 1))
    assert plan == compaction.Split({}, None, 0)


def test_old_finished_families_move_and_each_target_keeps_its_last_moves() -> None:
    tags = _history(40)
    plan = compaction.split(tags)
    kept = {k: v for k, v in tags.items() if k not in plan.archive}
    # the newest KEPT_RECENT families stay, with their events and outcomes
    assert plan.families == 41 - compaction.KEPT_RECENT
    assert len([k for k in kept if k.startswith(EVENT_PREFIX)]) == compaction.KEPT_RECENT
    assert "owner" in kept and "mlflow.promobot.drift.staging" in kept
    # every moved record is older than the mark; every kept finished one newer, or needed
    assert all(compaction.record_ms(k, v) <= plan.mark for k, v in plan.archive.items())


def test_a_rarely_moved_target_keeps_its_last_events_and_the_move_that_moved_on() -> None:
    tags: dict[str, str] = {}
    old = _event(tags, 0, "production", 5)
    moved_on = _event(tags, 1, "archived", 5)  # v5 left production for another stage
    for n in range(2, 60):
        _event(tags, n, "staging", n % 3 + 1)
    plan = compaction.split(tags)
    for rid in (old, moved_on):
        assert not [k for k in plan.archive if rid in k], rid


def test_open_requests_executions_under_way_and_in_force_locks_stay() -> None:
    tags = _history(40)
    inflight = _event(
        tags, 1, "staging", 7, done=False, rid="req-ef560000aa"
    )  # old, but no outcome yet
    tags[f"{REQUEST_PREFIX}req-cd340000aa"] = json.dumps({"id": "req-cd340000aa"})  # open
    lock = {"kind": "lock", "target_key": "production", "at": START.isoformat()}
    lock_key = f"{TARGET_LOCK_PREFIX}{int(START.timestamp() * 1000):013d}.{0:020d}.production"
    tags[lock_key] = json.dumps(lock)
    plan = compaction.split(tags)
    assert not [k for k in plan.archive if inflight in k or "req-cd340000aa" in k]
    assert lock_key not in plan.archive


def test_a_leftover_approval_of_a_moved_request_is_finished() -> None:
    family = compaction.Family(
        "req:req-ab12000001", {f"{REQUEST_PREFIX}req-ab12000001.approval.x": "{}"}
    )
    assert compaction.finished(family)
    opened = {f"{REQUEST_PREFIX}req-ab12000001": "{}", **family.tags}
    assert not compaction.finished(compaction.Family("req:req-ab12000001", opened))


def test_a_round_moves_the_oldest_families_and_marks_the_newest_of_them() -> None:
    tags = _history(40)
    whole = compaction.split(tags)
    # Each family here is an event and an outcome: 2 records.
    first = compaction.split(tags, limit=10)
    assert first.families == 5 and len(first.archive) == 10
    assert set(first.archive) < set(whole.archive)
    assert first.mark is not None and whole.mark is not None and first.mark < whole.mark
    # the mark's promise: every family newer than it is left on the model
    left = {k: v for k, v in tags.items() if k not in first.archive}
    assert all(compaction.record_ms(k, v) <= first.mark for k, v in first.archive.items())
    assert (
        min(f.newest for f in compaction.families(left).values() if f.id.startswith("req:"))
        > first.mark
    )
    # rounds come to the whole move
    rounds: dict[str, str] = {}
    while (plan := compaction.split(tags, limit=10)).mark is not None:
        rounds.update(plan.archive)
        tags = {k: v for k, v in tags.items() if k not in plan.archive}
    assert rounds == whole.archive


def test_a_round_takes_families_as_old_as_its_last_together() -> None:
    same = compaction.Family("req:a", {"k1": "", "k2": ""}, newest=5)
    twin = compaction.Family("req:b", {"k3": "", "k4": ""}, newest=5)
    later = compaction.Family("req:c", {"k5": ""}, newest=6)
    assert compaction.oldest([later, twin, same], 2) == [same, twin]
    assert compaction.oldest([later, twin, same], 1) == [same, twin]  # at least one, and its twin
    assert compaction.oldest([later, twin, same], 5) == [same, twin, later]
