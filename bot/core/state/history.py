"""The history walk: what held a target before, and which execution is unfinished. Pure."""

from __future__ import annotations

from bot.core.state.history_event import HistoryEvent
from bot.core.state.records import all_events, events, outcome


def rollback_candidate(tags: dict[str, str], target_key: str, current: int | None) -> int | None:
    """The version that held `target_key` before the current holder.

    Replays the history as a stack: a promotion pushes, a rollback pops what it
    rolled back. So two rollbacks in a row walk back two promotions (v3 → v2 → v1),
    like undo, instead of flipping between the last two versions.
    """
    stack: list[int] = []
    for ev in events(tags):
        if not ev.on(target_key):
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


def held_versions(tags: dict[str, str], target_key: str) -> list[int]:
    """The versions promobot put on `target_key` (a promotion or rollback of each onto it),
    most recent first, each once: the only versions a rollback may restore there. A
    version that was on the target when promobot first moved it, or that was put there
    outside promobot, is not among them."""
    found: list[int] = []
    for ev in reversed(events(tags)):
        if ev.on(target_key) and ev.version not in found:
            found.append(ev.version)
    return found


def inflight(tags: dict[str, str], target_key: str) -> HistoryEvent | None:
    """The execution on `target_key` that has begun and not ended (its event, under `key`).

    Executions on a target are serial (the lock) and each one finishes an interrupted
    predecessor before it starts, so only the target's latest event can be unfinished.
    Events written before the event carried the whole intent (no "line") are history
    only."""
    for event in reversed(all_events(tags)):
        if not event.on(target_key):
            continue
        if not event.is_intent or outcome(tags, event.request) is not None:
            return None
        return event
    return None
