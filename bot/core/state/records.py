"""Pure readers of promobot's state: requests, approvals, outcomes and history events
(bot/core/state/history_event.py), read from a registered model's tag dict (the layout is
in bot/core/state/keys.py). Each one reads both layouts, `mlflow.promobot.` and the
legacy `promobot.`, so a registry written before the change reads as it did, and a
request made before it can still be approved."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from bot.core.state.codec import format_time, loads, maybe_time, parse_time
from bot.core.state.history_event import HistoryEvent
from bot.core.state.keys import (
    WEBHOOK_PREFIX,
    approval_prefixes,
    event_keys,
    message_keys,
    request_id_of,
    request_keys,
    state_keys,
)

FINAL_STATES = ("done", "denied", "expired", "refused", "failed", "superseded")


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
    # Record the version that holds the target now (put there outside promobot) as a
    # promotion, and put its mirrored alias right: drift repaired through the policy.
    repair: bool = False
    # The digest of the version's files when it was asked for (signed receipts on only):
    # the execution refuses to carry out a version whose files changed since.
    artifact_digest: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def mutex_key(self) -> tuple[str, str]:
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
                repair=data.get("repair") is True,
                artifact_digest=str(data["artifact_digest"])
                if data.get("artifact_digest")
                else None,
                raw=data,
            )
        except (KeyError, TypeError, ValueError):
            return None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
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
        if self.repair:
            out["repair"] = True
        if self.artifact_digest:
            out["artifact_digest"] = self.artifact_digest
        return out


@dataclass(frozen=True)
class Approval:
    actor: str
    person: str
    at: datetime
    comment: str
    channel: str = ""


@dataclass(frozen=True)
class Outcome:
    state: str
    by: str
    at: datetime | None
    detail: str


def _first(tags: dict[str, str], keys: tuple[str, ...]) -> str | None:
    """The value of the first of `keys` that is set: the current layout before the legacy
    one."""
    return next((tags[k] for k in keys if tags.get(k)), None)


def has_request(tags: dict[str, str], request_id: str) -> bool:
    return any(k in tags for k in request_keys(request_id))


def request(tags: dict[str, str], request_id: str) -> Request | None:
    value = _first(tags, request_keys(request_id))
    return Request.from_tag(value) if value else None


def message_ref(tags: dict[str, str], request_id: str, door: str) -> dict[str, Any] | None:
    """Where a door showed a request (its message reference), or None. The current key
    wins: a message recorded before the change of layout and redrawn after it has both."""
    value = _first(tags, message_keys(request_id, door))
    return loads(value) if value else None


def approvals(tags: dict[str, str], request_id: str) -> list[Approval]:
    prefixes = approval_prefixes(request_id)
    found = []
    for key in sorted(k for k in tags if k.startswith(prefixes)):
        data = loads(tags[key])
        found.append(
            Approval(
                actor=str(data.get("actor", "")),
                person=str(data.get("person", "")),
                at=maybe_time(data.get("at")),
                comment=str(data.get("comment", "")),
                channel=str(data.get("channel", "")),
            )
        )
    found.sort(key=lambda a: a.at or datetime.min.replace(tzinfo=UTC))
    return found


def outcome(tags: dict[str, str], request_id: str) -> Outcome | None:
    value = _first(tags, state_keys(request_id))
    return _outcome(value) if value else None


@lru_cache(maxsize=8192)
def _outcome(value: str) -> Outcome:
    """A request's outcome parsed once, as _event is (a page reads each one again for
    every event and target it looks at); an Outcome is frozen, so sharing one is safe."""
    data = loads(value)
    return Outcome(
        state=str(data.get("state", "")),
        by=str(data.get("by", "")),
        at=maybe_time(data.get("at")),
        detail=str(data.get("detail", "")),
    )


def requests(tags: dict[str, str]) -> list[Request]:
    """Every request on the model, oldest first; each id once, in either layout."""
    ids = {rid for key in tags if (rid := request_id_of(key))}
    found = [req for rid in ids if (req := request(tags, rid))]
    found.sort(key=lambda r: (r.created_at, r.id))
    return found


def open_requests(tags: dict[str, str]) -> list[Request]:
    return [r for r in requests(tags) if outcome(tags, r.id) is None]


def all_events(tags: dict[str, str]) -> list[HistoryEvent]:
    """Every history event on the model, oldest first (keys sort by time), whatever
    became of its request."""
    found = (_event(key, tags[key]) for key in event_keys(tags))
    return [ev for ev in found if ev is not None]


@lru_cache(maxsize=8192)
def _event(key: str, value: str) -> HistoryEvent | None:
    """One record parsed once: a page of the release board or a pass reads each model's
    events again for every target it looks at (its watch, drift, what is in flight), 11
    times a model on the overview. A record's key and value are its whole input, and an
    event is frozen and never changed by its readers, so sharing one is safe; 8,192 is
    a hundred models' kept records with room to spare."""
    return HistoryEvent.from_tag(key, value)


def events(tags: dict[str, str]) -> list[HistoryEvent]:
    """All promotions and rollbacks, oldest first. An execution that could not be
    finished (its version was deleted before it was in place) is left out: it never
    happened."""
    return [
        ev
        for ev in all_events(tags)
        if (done := outcome(tags, ev.request)) is None or done.state != "failed"
    ]


def deliveries_before(tags: dict[str, str], cutoff: datetime) -> list[str]:
    """The keys of the webhook deliveries remembered on a model that were handled before
    `cutoff` (an unreadable time counts as old: it is pruned too)."""
    old = []
    for key, value in tags.items():
        if key.startswith(WEBHOOK_PREFIX):
            at = maybe_time(value)
            if at is None or at < cutoff:
                old.append(key)
    return sorted(old)
