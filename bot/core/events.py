"""What the service reports, and the bus notifiers subscribe to (the outbound seam).

The core never calls Slack, GitHub or any other outside system. After a use case has
written what it decided to MLflow it publishes one event: the Result people would see
and the Context it came from. Notifiers (bot/notifiers/) subscribe to the kinds they
care about; bot/app.py wires them. A notifier that fails is logged and forgotten: it
never undoes or blocks what the registry already holds.

The published Result never changes. A notifier with something to tell the person who
acted (the GitHub deployment recorded, or why not) replies on the event; `publish`
returns the result with the replies added (a new value), which the use case returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from bot.core.context import Context
    from bot.core.results import Result

log = logging.getLogger("promobot.events")

REQUEST_MADE = "request_made"  # a request now waits for approvals
APPROVAL_RECORDED = "approval_recorded"  # an approval counted, more are needed
REQUEST_DECIDED = "request_decided"  # carried out by its last approval, or denied
REQUEST_EXPIRED = "request_expired"  # closed without a decision in time
EXECUTED = "executed"  # a promotion or rollback is in place
DRIFT_FOUND = "drift_found"  # a target changed outside promobot (reported once)
VERSION_REGISTERED = "version_registered"  # a new version's card (Service.announce_version)
# A verification after a promotion (bot/core/service/verification.py): the Result's `extra`
# carries it as status shows it; `requested_by` who promoted the version; the Context is
# the promotion's own door and link. A failed one says in `replaced_version` the
# version promobot rolled back to (None: it only tells; `next_steps` has the command).
VERIFICATION_PASSED = "verification_passed"
VERIFICATION_FAILED = "verification_failed"
KINDS = (
    REQUEST_MADE,
    APPROVAL_RECORDED,
    REQUEST_DECIDED,
    REQUEST_EXPIRED,
    EXECUTED,
    DRIFT_FOUND,
    VERSION_REGISTERED,
    VERIFICATION_PASSED,
    VERIFICATION_FAILED,
)


R = TypeVar("R", bound="Result")


@dataclass(frozen=True)
class Reply:
    """What a notifier tells the person who acted: a sentence for the result's notes, and
    detail for `--json`'s data."""

    note: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    kind: str
    result: Result
    ctx: Context
    replies: list[Reply] = field(default_factory=list, compare=False, repr=False)

    def reply(self, reply: Reply) -> None:
        """Say something back to the person who acted (the result itself never changes)."""
        self.replies.append(reply)

    def answered(self) -> Result:
        """The result with what the notifiers said back: a new value, or the same one."""
        return with_replies(self.result, *self.replies)


def with_replies(result: R, *replies: Reply | None) -> R:
    """`result` with what was said back added to its notes and `--json` data: a new
    value (results never change once built), or the same one when nothing was said."""
    said = [r for r in replies if r is not None]
    if not said:
        return result
    notes = tuple(r.note for r in said if r.note)
    data = {key: value for r in said for key, value in r.data.items()}
    return replace(result, notes=(*result.notes, *notes), extra={**result.extra, **data})


class Notifier(Protocol):
    def notify(self, event: Event) -> None: ...


class EventBus:
    """Hands each event to the notifiers subscribed to its kind, in order."""

    def __init__(self) -> None:
        self._subscribers: list[tuple[frozenset[str], Callable[[Event], None]]] = []

    def subscribe(self, notifier: Notifier, kinds: tuple[str, ...] = KINDS) -> None:
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown event kinds: {sorted(unknown)}")
        self._subscribers.append((frozenset(kinds), notifier.notify))

    def publish(self, kind: str, result: Result, ctx: Context) -> Result:
        """Hand the event to its notifiers; returns `result` with their replies added."""
        event = Event(kind, result, ctx)
        for kinds, notify in self._subscribers:
            if kind not in kinds:
                continue
            try:
                notify(event)
            except Exception:
                log.warning("a notifier failed on %s of %s", kind, result.request_id, exc_info=True)
        return event.answered()
