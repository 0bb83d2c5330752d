"""How promobot's state is laid out in registered-model tags. Pure: reads a tag dict.

One tag per fact, written once, so concurrent writers never overwrite one another:

    promobot.request.<id>                      the request, as asked (JSON, never rewritten)
    promobot.request.<id>.approval.<person>    one per approving person
    promobot.request.<id>.state                its outcome: done, denied, expired, refused,
                                               failed (JSON with who, when, why)
    promobot.request.<id>.slack                where the Slack message is, to update it
    promobot.event.<ms>.<ns>.<id>              one per promotion or rollback (history); it
                                               is also the execution's intent: written
                                               first, it holds everything the execution
                                               writes, so the next command can finish an
                                               execution a dead process left half done

An execution is under way (or was cut short) while its event has no outcome tag: the
outcome is the execution's last write. Two writes frame every execution, both of them
facts the history needs anyway, so the intent costs no extra MLflow call.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.registry import EVENT_PREFIX, REQUEST_PREFIX, loads, safe_tag_part

FINAL_STATES = ("done", "denied", "expired", "refused", "failed", "superseded")


def request_bucket(request_id: str) -> str | None:
    """The lock a request id names (`req-` + 4 hex digits of its target's lock + 6 random,
    bot/registry.lock_bucket), or None for an id that names none (6 hex digits: made
    before 2026-11-26, or typed by hand)."""
    digits = request_id.removeprefix("req-")
    return digits[:4] if len(digits) == 10 else None


def request_key(request_id: str) -> str:
    return f"{REQUEST_PREFIX}{request_id}"


def approval_key(request_id: str, person: str) -> str:
    return f"{REQUEST_PREFIX}{request_id}.approval.{safe_tag_part(person)}"


def state_key(request_id: str) -> str:
    return f"{REQUEST_PREFIX}{request_id}.state"


def message_key(request_id: str, door: str) -> str:
    """Where a door keeps the message it posted about a request (`….slack`)."""
    return f"{REQUEST_PREFIX}{request_id}.{door}"


def event_key(at: datetime, request_id: str) -> str:
    # The host's nanosecond clock breaks ties between events in the same millisecond,
    # so keys sort in the order the events happened on one host.
    return f"{EVENT_PREFIX}{int(at.timestamp() * 1000):013d}.{time.time_ns():020d}.{request_id}"


@dataclass(frozen=True)
class Request:
    id: str
    action: str  # "promote" | "rollback"
    model: str
    version: int
    target_key: str
    target_label: str
    target_kind: str  # "stage" | "alias"
    actor: str
    reason: str
    created_at: datetime
    expires_at: datetime
    channel: str
    link: str
    run_id: str | None
    source: str
    previous: int | None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def lock_key(self) -> tuple[str, str]:
        """(model, target) of the lock its execution takes."""
        return self.model, self.target_key

    @classmethod
    def from_tag(cls, value: str) -> Request | None:
        data = loads(value)
        try:
            return cls(
                id=str(data["id"]),
                action=str(data["action"]),
                model=str(data["model"]),
                version=int(data["version"]),
                target_key=str(data["target_key"]),
                target_label=str(data["target_label"]),
                target_kind=str(data.get("target_kind", "stage")),
                actor=str(data["actor"]),
                reason=str(data.get("reason", "")),
                created_at=parse_time(data["created_at"]),
                expires_at=parse_time(data["expires_at"]),
                channel=str(data.get("channel", "")),
                link=str(data.get("link", "")),
                run_id=data.get("run_id") or None,
                source=str(data.get("source", "")),
                previous=int(data["previous"]) if data.get("previous") else None,
                raw=data,
            )
        except (KeyError, TypeError, ValueError):
            return None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "action": self.action,
            "model": self.model,
            "version": self.version,
            "target_key": self.target_key,
            "target_label": self.target_label,
            "target_kind": self.target_kind,
            "actor": self.actor,
            "reason": self.reason,
            "created_at": format_time(self.created_at),
            "expires_at": format_time(self.expires_at),
            "channel": self.channel,
            "link": self.link,
            "run_id": self.run_id,
            "source": self.source,
            "previous": self.previous,
        }


@dataclass(frozen=True)
class Approval:
    actor: str
    person: str
    at: datetime
    comment: str


@dataclass(frozen=True)
class Outcome:
    state: str
    by: str
    at: datetime | None
    detail: str


@dataclass(frozen=True)
class Event:
    key: str
    kind: str  # "promote" | "rollback"
    target_key: str
    target_label: str
    version: int
    previous: int | None
    by: str
    approved_by: str
    at: datetime | None
    reason: str
    request: str
    channel: str


def request(tags: dict[str, str], request_id: str) -> Request | None:
    value = tags.get(request_key(request_id))
    return Request.from_tag(value) if value else None


def approvals(tags: dict[str, str], request_id: str) -> list[Approval]:
    prefix = f"{REQUEST_PREFIX}{request_id}.approval."
    found = []
    for key in sorted(k for k in tags if k.startswith(prefix)):
        data = loads(tags[key])
        found.append(
            Approval(
                actor=str(data.get("actor", "")),
                person=str(data.get("person", "")),
                at=_maybe_time(data.get("at")),
                comment=str(data.get("comment", "")),
            )
        )
    found.sort(key=lambda a: a.at or datetime.min.replace(tzinfo=UTC))
    return found


def outcome(tags: dict[str, str], request_id: str) -> Outcome | None:
    value = tags.get(state_key(request_id))
    if not value:
        return None
    data = loads(value)
    return Outcome(
        state=str(data.get("state", "")),
        by=str(data.get("by", "")),
        at=_maybe_time(data.get("at")),
        detail=str(data.get("detail", "")),
    )


def requests(tags: dict[str, str]) -> list[Request]:
    found = []
    for key, value in tags.items():
        rest = key[len(REQUEST_PREFIX) :] if key.startswith(REQUEST_PREFIX) else None
        if rest and "." not in rest:
            req = Request.from_tag(value)
            if req:
                found.append(req)
    found.sort(key=lambda r: r.created_at)
    return found


def open_requests(tags: dict[str, str]) -> list[Request]:
    return [r for r in requests(tags) if outcome(tags, r.id) is None]


def events(tags: dict[str, str]) -> list[Event]:
    """All promotions and rollbacks, oldest first (keys sort by time). An execution that
    could not be finished (its version was deleted before it was in place) is left out:
    it never happened."""
    found = []
    for key in sorted(k for k in tags if k.startswith(EVENT_PREFIX)):
        data = loads(tags[key])
        done = outcome(tags, str(data.get("request", "")))
        if done is not None and done.state == "failed":
            continue
        try:
            found.append(
                Event(
                    key=key,
                    kind=str(data["kind"]),
                    target_key=str(data["target_key"]),
                    target_label=str(data.get("target_label", data["target_key"])),
                    version=int(data["version"]),
                    previous=int(data["previous"]) if data.get("previous") else None,
                    by=str(data.get("by", "")),
                    approved_by=str(data.get("approved_by", "")),
                    at=_maybe_time(data.get("at")),
                    reason=str(data.get("reason", "")),
                    request=str(data.get("request", "")),
                    channel=str(data.get("channel", "")),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return found


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
    for key in sorted((k for k in tags if k.startswith(EVENT_PREFIX)), reverse=True):
        data = loads(tags[key])
        if data.get("target_key") != target_key:
            continue
        if "line" not in data or outcome(tags, str(data.get("request", ""))) is not None:
            return None
        return key, data
    return None


def audit_tags(event: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The model-version tags an execution writes (design.md, "What is written onto
    MLflow"): on the version put in place, and on the one it replaced."""
    new_tags = {
        "requested_by": event["by"],
        "approved_by": event["approved_by"],
        "promoted_to": event["target_label"],
        "promoted_at": event["at"],
        "promotion_reason": event["reason"],
        "promotion_request": event["request"],
        "promotion_channel": event["channel"],
    }
    if event.get("link"):
        new_tags["promotion_link"] = event["link"]
    old_tags: dict[str, str] = {}
    if event.get("previous") is not None:
        old_tags = {"replaced_by": f"v{event['version']}"}
        if event["target_kind"] == "stage":
            old_tags.update({"archived_at": event["at"], "archived_by": event["by"]})
        if event["kind"] == "rollback":
            old_tags.update(
                {
                    "rolled_back_at": event["at"],
                    "rolled_back_by": event["by"],
                    "rollback_reason": event.get("rollback_reason", ""),
                }
            )
    return new_tags, old_tags


def done_outcome(event: dict[str, Any]) -> dict[str, str]:
    """The request's outcome tag that closes an execution: its last write."""
    return {
        "state": "done",
        "by": event["approved_by"] or event["by"],
        "at": event["at"],
        "detail": event["line"],
    }


def format_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    parsed = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _maybe_time(text: Any) -> datetime | None:
    if not text:
        return None
    try:
        return parse_time(str(text))
    except ValueError:
        return None
