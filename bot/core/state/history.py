"""The history walk: what held a target before, and which execution is unfinished. Pure."""

from __future__ import annotations

from typing import Any

from bot.core.state.codec import loads
from bot.core.state.keys import event_keys
from bot.core.state.records import events, outcome


def rollback_candidate(tags: dict[str, str], target_key: str, current: int | None) -> int | None:
    """The version that held `target_key` before the current holder.

    Replays the history as a stack: a promotion pushes, a rollback pops what it
    rolled back. So two rollbacks in a row walk back two promotions (v3 → v2 → v1),
    like undo, instead of flipping between the last two versions.
    """
    stack: list[int] = []
    for ev in events(tags):
        if ev.target_key != target_key:
            continue
        if ev.kind == "rollback":
            if ev.previous is not None and stack and stack[-1] == ev.previous:
                stack.pop()
            if not stack or stack[-1] != ev.version:
                stack.append(ev.version)
        elif not stack or stack[-1] != ev.version:
            stack.append(ev.version)
    while stack and stack[-1] == current:
        stack.pop()
    return stack[-1] if stack else None


def inflight(tags: dict[str, str], target_key: str) -> tuple[str, dict[str, Any]] | None:
    """The execution on `target_key` that has begun and not ended: (event key, event).

    Executions on a target are serial (the lock) and each one finishes an interrupted
    predecessor before it starts, so only the target's latest event can be unfinished.
    Events written before the event carried the whole intent (no "line") are history
    only."""
    for key in reversed(event_keys(tags)):
        data = loads(tags[key])
        if data.get("target_key") != target_key:
            continue
        if "line" not in data or outcome(tags, str(data.get("request", ""))) is not None:
            return None
        return key, data
    return None
