"""The audit trail of one model: every request, approval, denial, expiry, failure,
promotion and rollback promobot recorded in its tags, and every drift it found (a change
made behind its back), as flat records, oldest first (`promobot audit export`). Pure: a
model's tags in, records out.

One request's records come in the order they happened: the request (only a request
that waited for approvals is stored), its approvals, then how it ended (a promotion or
rollback, a denial, an expiry or a failure). A request carried out because its version
already held the target moved nothing and leaves no closing record.

The order: request, approval and outcome times are stored to the second, history events
to the millisecond (in their keys). So every record is placed at the latest moment its
second allows that is not after the next record of its own request: a staging
promotion and the production request typed in the same second keep that order, and a
request's approval never sorts after the promotion it caused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.state.codec import format_time
from bot.core.state.drift import OUTSIDE_PROMOBOT, DriftRecord, drift_records
from bot.core.state.history_event import HistoryEvent
from bot.core.state.keys import REQUEST_PREFIXES, sequence
from bot.core.state.records import Request, all_events, approvals, events, outcome, requests

# The columns of an export, in order (CSV header, JSON keys).
FIELDS = (
    "at",
    "model",
    "event",
    "action",
    "version",
    "previous",
    "target",
    "by",
    "actor",
    "approved_by",
    "reason",
    "request",
    "channel",
    "link",
)
EVENTS = ("request", "approval", "denial", "expiry", "failure", "promotion", "rollback", "drift")
# A request's outcome tag → the record it leaves (`done` is the promotion or rollback).
_CLOSED = {"denied": "denial", "expired": "expiry", "failed": "failure"}
_LAST = 10**24  # sorts after every nanosecond tick


@dataclass(frozen=True)
class TrailRecord:
    at: datetime | None
    model: str
    event: str  # one of EVENTS
    action: str  # what the request asked: promote | rollback
    version: int | None
    previous: int | None  # the version it replaces (or would have)
    target: str  # the label: Production, @champion
    by: str  # the person, as promobot names people in tags
    actor: str  # the handle they acted with, as recorded (empty for outcomes)
    approved_by: str
    reason: str  # the reason, an approval's comment, a denial's or failure's detail
    request: str
    channel: str
    link: str
    # (ms, tick, request, position): where the record sorts within its model.
    order: tuple[int, int, str, int] = field(default=(0, 0, "", 0), compare=False, repr=False)

    @property
    def sort_key(self) -> tuple[int, int, str, str, int]:
        ms, tick, request, position = self.order
        return ms, tick, self.model, request, position

    def to_json(self) -> dict[str, Any]:
        return {
            "at": format_time(self.at) if self.at else None,
            "model": self.model,
            "event": self.event,
            "action": self.action,
            "version": self.version,
            "previous": self.previous,
            "target": self.target,
            "by": self.by,
            "actor": self.actor,
            "approved_by": self.approved_by,
            "reason": self.reason,
            "request": self.request,
            "channel": self.channel,
            "link": self.link,
        }


@dataclass
class _Draft:
    record: dict[str, Any]
    at: datetime | None
    exact: tuple[int, int] | None = None  # (ms, tick) of a history event


def trail(model: str, tags: dict[str, str], name: Callable[[str], str] = str) -> list[TrailRecord]:
    """Every record on one model, oldest first. `name(actor)` names a person the way
    promobot's tags do (the policy's e-mail, else the handle); outcomes and history
    events carry that name already."""
    asked = {r.id: r for r in requests(tags)}
    context = _event_context(tags)
    chains: dict[str, list[_Draft]] = {}
    for rid, own in _by_request(tags).items():
        req = asked.get(rid)
        about = _about(req, context.get(rid))
        chain = chains.setdefault(rid, [])
        if req is not None:
            chain.append(_request_draft(req, name))
        for approval in approvals(own, rid):
            chain.append(
                _Draft(
                    {
                        **about,
                        "event": "approval",
                        "by": name(approval.actor),
                        "actor": approval.actor,
                        "reason": approval.comment,
                        "channel": approval.channel,
                    },
                    approval.at,
                )
            )
        ended = outcome(own, rid)
        if ended is not None and ended.state in _CLOSED:
            closed = {"event": _CLOSED[ended.state], "by": ended.by, "reason": ended.detail}
            chain.append(_Draft({**about, **closed}, ended.at))
    for ev in events(tags):
        chains.setdefault(ev.request or ev.key, []).append(_event_draft(ev))
    for found in drift_records(model, tags):
        chains[found.key] = [_drift_draft(found)]
    out: list[TrailRecord] = []
    for rid, chain in chains.items():
        out.extend(_place(model, rid, chain))
    out.sort(key=lambda r: r.sort_key)
    return out


def _by_request(tags: dict[str, str]) -> dict[str, dict[str, str]]:
    """The tags of each request id (its record, approvals, outcome), in key order: one
    pass, so a model with thousands of requests is not scanned once per request."""
    found: dict[str, dict[str, str]] = {}
    for key in sorted(tags):
        for prefix in REQUEST_PREFIXES:  # the current layout, and the legacy one
            if key.startswith(prefix):
                rid = key[len(prefix) :].split(".", 1)[0]
                if rid:
                    found.setdefault(rid, {})[key] = tags[key]
                break
    return found


def _event_context(tags: dict[str, str]) -> dict[str, HistoryEvent]:
    """What each request's history event says it was about (a request carried out at
    once has no request record; a failed one's event is left out of the history)."""
    found: dict[str, HistoryEvent] = {}
    for event in all_events(tags):
        if event.request and event.request not in found:
            found[event.request] = event
    return found


def _about(req: Request | None, event: HistoryEvent | None) -> dict[str, Any]:
    """The facts every record of one request shares."""
    if req is not None:
        return {
            "action": req.action,
            "version": req.version,
            "previous": req.previous,
            "target": req.target_label,
            "request": req.id,
        }
    if event is None:
        return {"action": "", "version": None, "previous": None, "target": "", "request": ""}
    return {
        "action": event.kind,
        "version": event.version,
        "previous": event.previous,
        "target": event.target_label,
        "request": event.request,
    }


def _request_draft(req: Request, name: Callable[[str], str]) -> _Draft:
    fields = {
        **_about(req, None),
        "event": "request",
        "by": name(req.actor),
        "actor": req.actor,
        "reason": req.reason,
        "channel": req.channel,
        "link": req.link,
    }
    return _Draft(fields, req.created_at)


def _event_draft(ev: HistoryEvent) -> _Draft:
    fields = {
        "event": "rollback" if ev.kind == "rollback" else "promotion",
        "action": ev.kind,
        "version": ev.version,
        "previous": ev.previous,
        "target": ev.target_label,
        "by": ev.by,
        "actor": ev.actor,
        "approved_by": ev.approved_by,
        "reason": ev.reason,
        "request": ev.request,
        "channel": ev.channel,
        "link": ev.link,
    }
    ms, tick = sequence(ev.key)
    exact = (ms, tick) if ms else None
    if exact is None and ev.at is not None:
        exact = (int(ev.at.timestamp() * 1000), 0)
    return _Draft(fields, ev.at, exact)


def _drift_draft(found: DriftRecord) -> _Draft:
    """A change made behind promobot's back, as found: what held the target (`version`),
    what promobot had recorded there (`previous`), what kind of drift (`action`) and
    what found it (`channel`)."""
    first = found.primary
    fields = {
        "event": "drift",
        "action": first.kind,
        "version": first.holder,
        "previous": first.recorded,
        "target": found.target,
        "by": OUTSIDE_PROMOBOT,
        "reason": found.reason,
        "request": "",
        "channel": found.found_by,
    }
    ms, tick = sequence(found.key)
    return _Draft(fields, found.at, (ms, tick) if ms else None)


def _place(model: str, rid: str, chain: list[_Draft]) -> list[TrailRecord]:
    """The records of one request with their sort positions, working back from the last:
    a record timed to the second sits at the end of its second, or just before the next
    record of the same request if that comes sooner."""
    placed: list[TrailRecord] = []
    after: tuple[int, int] | None = None
    for position in range(len(chain) - 1, -1, -1):
        draft = chain[position]
        if draft.exact is not None:
            when = draft.exact
        elif draft.at is not None:
            start = int(draft.at.timestamp()) * 1000
            when = (start + 999, _LAST)
            if after is not None and after < when:
                when = max(after, (start, 0))
        else:
            when = after or (0, 0)
        after = when
        fields = {
            "at": draft.at,
            "model": model,
            "approved_by": "",
            "actor": "",
            "channel": "",
            "link": "",
            **draft.record,
        }
        placed.append(TrailRecord(**fields, order=(*when, rid, position)))
    placed.reverse()
    return placed
