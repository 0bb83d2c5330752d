"""The locks people put on targets, read from a model's tags
(bot/core/state/target_locks.py): each `lock` and `unlock` one tag written once, the
newest of a target says whether it holds, and a lock with an end ends by itself."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.state.target_locks import TargetLock, locks_in_force, target_lock_record, target_locks

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def placed(kind: str, minutes: int, target: str = "production", **fields: object) -> TargetLock:
    values: dict[str, object] = {
        "key": "",
        "kind": kind,
        "target_key": target,
        "target_label": "Production" if target == "production" else target,
        "by": "alice@example.com",
        "actor": "github:alice",
        "at": T0 + timedelta(minutes=minutes),
        "reason": "release week",
        "until": None,
        "channel": "slack",
        **fields,
    }
    return TargetLock(**values)  # type: ignore[arg-type]


def test_the_record_of_a_lock_is_one_tag_that_reads_back_whole() -> None:
    lock = placed("lock", 1, "@champion", until=T0 + timedelta(hours=2))
    key, value = target_lock_record(lock)
    assert key.startswith("mlflow.promobot.target-lock.1795600860000.")
    assert key.endswith(".alias-champion")
    assert json.loads(value) == {
        "kind": "lock",
        "target_key": "@champion",
        "target_label": "@champion",
        "by": "alice@example.com",
        "actor": "github:alice",
        "at": "2026-11-25T10:01:00Z",
        "reason": "release week",
        "until": "2026-11-25T12:00:00Z",
        "channel": "slack",
    }
    (read,) = target_locks({key: value})
    assert read == TargetLock(**{**lock.__dict__, "key": key})


@pytest.mark.parametrize(
    ("lock", "now", "holds"),
    [
        (placed("lock", 0), T0 + timedelta(days=365), True),
        (placed("lock", 0, until=T0 + timedelta(hours=1)), T0 + timedelta(minutes=59), True),
        (placed("lock", 0, until=T0 + timedelta(hours=1)), T0 + timedelta(hours=1), False),
        (placed("unlock", 0), T0, False),
    ],
    ids=["until-unlocked", "before-its-end", "at-its-end", "an-unlock"],
)
def test_holds(lock: TargetLock, now: datetime, holds: bool) -> None:
    assert lock.holds(now) is holds


def test_what_promobot_did_not_write_is_not_a_lock() -> None:
    prefix = "mlflow.promobot.target-lock.0000000000001.00000000000000000001"
    tags = {
        f"{prefix}.a": "{not json",
        f"{prefix}.b": json.dumps(
            {"kind": "hold", "target_key": "production", "at": "2026-11-25T10:00:00Z"}
        ),
        f"{prefix}.c": json.dumps({"kind": "lock", "target_key": "production"}),
        f"{prefix}.d": json.dumps({"kind": "lock", "target_key": 5, "at": "2026-11-25T10:00:00Z"}),
        f"{prefix}.e": json.dumps(
            {"kind": "lock", "target_key": "production", "at": "2026-11-25T10:00:00Z"}
        ),
    }
    (found,) = target_locks(tags)
    assert (found.key, found.target_label, found.reason, found.until) == (
        f"{prefix}.e",
        "production",
        "",
        None,
    )


def test_the_newest_lock_or_unlock_of_each_target_decides_in_the_order_they_were_placed() -> None:
    tags = dict(
        target_lock_record(lock)
        for lock in (
            placed("lock", 1, "@champion"),
            placed("lock", 2, "production"),
            placed("unlock", 3, "@champion"),
            placed("lock", 4, "staging", until=T0 + timedelta(minutes=10)),
            placed("lock", 5, "@champion"),
        )
    )
    assert [(lock.kind, lock.target_key) for lock in target_locks(tags)] == [
        ("lock", "@champion"),
        ("lock", "production"),
        ("unlock", "@champion"),
        ("lock", "staging"),
        ("lock", "@champion"),
    ]
    assert list(locks_in_force(tags, T0 + timedelta(minutes=6))) == [
        "production",
        "staging",
        "@champion",
    ]
    assert list(locks_in_force(tags, T0 + timedelta(minutes=10))) == ["production", "@champion"]
