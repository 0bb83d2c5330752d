"""The locks people put on targets (`lock`, `unlock`), read from a model's tags. Pure.

Each `lock` and `unlock` of a target is one tag, `promobot.target-lock.<ms>.<ns>.<target>`,
written once and never changed: the newest one of a target says whether it is locked, and
all of them are its history. So a lock is one write (nothing half-written), and a lock
with an end (`--for`) ends by itself: past its `until` it is simply not in force.

Not the execution lock of bot/adapters/mlflow/mutex.py (see bot/core/state/keys.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.state.codec import dumps, format_time, loads, maybe_time
from bot.core.state.keys import TARGET_LOCK_PREFIX, target_lock_key

LOCK, UNLOCK = "lock", "unlock"


@dataclass(frozen=True)
class TargetLock:
    """One `lock` or `unlock` of a target, as written."""

    key: str
    kind: str  # "lock" | "unlock"
    target_key: str  # "production", "@champion"
    target_label: str  # "Production", "@champion"
    by: str  # the person, as tags name them
    actor: str  # the handle they acted with
    at: datetime
    reason: str
    until: datetime | None  # a lock's end; None: until someone unlocks it
    channel: str

    def holds(self, now: datetime) -> bool:
        """Is this a lock in force at `now`?"""
        return self.kind == LOCK and (self.until is None or now < self.until)


def target_lock_record(lock: TargetLock) -> tuple[str, str]:
    """(key, value) of the tag that records `lock` (its `key` is made here)."""
    value: dict[str, Any] = {
        "kind": lock.kind,
        "target_key": lock.target_key,
        "target_label": lock.target_label,
        "by": lock.by,
        "actor": lock.actor,
        "at": format_time(lock.at),
        "reason": lock.reason,
        "until": format_time(lock.until) if lock.until else None,
        "channel": lock.channel,
    }
    return target_lock_key(lock.at, lock.target_key), dumps(value)


def target_locks(tags: dict[str, str]) -> list[TargetLock]:
    """Every `lock` and `unlock` of the model's targets, oldest first."""
    found = []
    for key in sorted(k for k in tags if k.startswith(TARGET_LOCK_PREFIX)):
        data = loads(tags[key])
        at = maybe_time(data.get("at"))
        kind = data.get("kind")
        target = data.get("target_key")
        if at is None or kind not in (LOCK, UNLOCK) or not isinstance(target, str):
            continue  # not one promobot wrote
        found.append(
            TargetLock(
                key=key,
                kind=str(kind),
                target_key=target,
                target_label=str(data.get("target_label") or target),
                by=str(data.get("by", "")),
                actor=str(data.get("actor", "")),
                at=at,
                reason=str(data.get("reason") or ""),
                until=maybe_time(data.get("until")),
                channel=str(data.get("channel", "")),
            )
        )
    return found


def locks_in_force(tags: dict[str, str], now: datetime) -> dict[str, TargetLock]:
    """The locks that hold at `now`, by target key, in the order they were placed."""
    latest: dict[str, TargetLock] = {}
    for lock in target_locks(tags):
        latest[lock.target_key] = lock
    held = [lock for lock in latest.values() if lock.holds(now)]
    return {lock.target_key: lock for lock in sorted(held, key=lambda lock: lock.key)}
