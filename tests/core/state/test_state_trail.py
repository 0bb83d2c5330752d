"""The audit trail's record builder (bot/core/state/trail.py), from tags written by hand as
MLflow holds them: which records each request leaves, their fields, and their order
when the stored times tie to the second."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core.state.trail import FIELDS, trail

M = "sentiment-classifier"
T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def rid(n: int) -> str:
    return f"req-8b4e{n:06x}"


def request(n: int, at: datetime, *, version: int = 2, target: str = "production", **extra: Any):
    """A request that waited for approvals, as moves.py stores it."""
    value = {
        "id": rid(n),
        "action": "promote",
        "model": M,
        "version": version,
        "target_key": target,
        "target_label": target.capitalize() if not target.startswith("@") else target,
        "target_kind": "alias" if target.startswith("@") else "stage",
        "actor": "slack:U01BOB",
        "reason": "passed shadow test",
        "created_at": iso(at),
        "expires_at": iso(at + timedelta(hours=24)),
        "channel": "slack",
        "link": "",
        "run_id": "abc",
        "source": "runs:/abc/model",
        "previous": 1,
        **extra,
    }
    return {f"promobot.request.{rid(n)}": json.dumps(value)}


def approval(n: int, person: str, at: datetime, comment: str = "", channel: str = "github"):
    value = {"actor": f"github:{person}", "person": person, "at": iso(at), "comment": comment}
    return {
        f"promobot.request.{rid(n)}.approval.{person}": json.dumps({**value, "channel": channel})
    }


def closed(n: int, state: str, at: datetime, by: str = "promobot", detail: str = ""):
    value = {"state": state, "by": by, "at": iso(at), "detail": detail}
    return {f"promobot.request.{rid(n)}.state": json.dumps(value)}


def event(n: int, at: datetime, *, kind: str = "promote", version: int = 2, **extra: Any):
    """A history event, keyed to the millisecond as execution.py keys it, and its
    request's `done` outcome (unless `outcome` says otherwise)."""
    outcome = extra.pop("outcome", "done")
    ms = int(at.timestamp() * 1000)
    target = extra.pop("target", "production")
    value = {
        "kind": kind,
        "target_key": target,
        "target_label": target.capitalize() if not target.startswith("@") else target,
        "target_kind": "alias" if target.startswith("@") else "stage",
        "version": version,
        "previous": 1,
        "by": "bob@example.com",
        "actor": "slack:U01BOB",
        "approved_by": "alice@example.com",
        "at": iso(at),
        "reason": "passed shadow test",
        "request": rid(n),
        "channel": "slack",
        "link": "",
        **extra,
    }
    tags = {f"promobot.event.{ms:013d}.{ms * 1000 + n:020d}.{rid(n)}": json.dumps(value)}
    if outcome:
        tags.update(closed(n, outcome, at, by="alice@example.com", detail="the line"))
    return tags


def merged(*parts: dict[str, str]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for part in parts:
        tags.update(part)
    return dict(reversed(list(tags.items())))  # the order MLflow returns tags in is no order


def shown(tags: dict[str, str]) -> list[tuple[str, str]]:
    return [(r.event, r.request) for r in trail(M, tags)]


S = T0 + timedelta(seconds=0.3)  # inside T0's second

ORDER_ROWS = [
    ("a promotion needing no approval: one record", merged(event(1, S)), [("promotion", rid(1))]),
    (
        "a request, two approvals, the promotion, all in one second",
        merged(
            request(1, T0),
            approval(1, "alice", T0),
            approval(1, "erin", T0),
            event(1, S),
        ),
        [
            ("request", rid(1)),
            ("approval", rid(1)),
            ("approval", rid(1)),
            ("promotion", rid(1)),
        ],
    ),
    (
        "a staging promotion, then a request in the same second",
        merged(event(1, S, target="staging"), request(2, T0)),
        [("promotion", rid(1)), ("request", rid(2))],
    ),
    (
        "the request's approval and promotion before a later second's promotion",
        merged(
            request(1, T0),
            approval(1, "alice", T0 + timedelta(seconds=1)),
            event(1, T0 + timedelta(seconds=1.2)),
            event(2, T0 + timedelta(seconds=1.5), kind="rollback", version=1),
        ),
        [("request", rid(1)), ("approval", rid(1)), ("promotion", rid(1)), ("rollback", rid(2))],
    ),
    (
        "a promotion earlier in the second sorts before another request's approval",
        merged(
            request(1, T0 - timedelta(minutes=5)),
            event(2, S, target="staging"),
            approval(1, "alice", T0),
            event(1, T0 + timedelta(seconds=0.7)),
        ),
        [("request", rid(1)), ("promotion", rid(2)), ("approval", rid(1)), ("promotion", rid(1))],
    ),
    (
        "a denial",
        merged(request(1, T0), closed(1, "denied", T0 + timedelta(minutes=1), "alice@example.com")),
        [("request", rid(1)), ("denial", rid(1))],
    ),
    (
        "an expiry",
        merged(request(1, T0), closed(1, "expired", T0 + timedelta(hours=25))),
        [("request", rid(1)), ("expiry", rid(1))],
    ),
    (
        "a failure: the event it began is not a promotion",
        merged(request(1, T0), event(1, S, outcome="failed")),
        [("request", rid(1)), ("failure", rid(1))],
    ),
    ("an open request", merged(request(1, T0)), [("request", rid(1))]),
    (
        "a request closed because its version already held the target: no closing record",
        merged(request(1, T0), approval(1, "alice", T0), closed(1, "done", T0)),
        [("request", rid(1)), ("approval", rid(1))],
    ),
    (
        "where a door showed a request is not a record",
        merged(request(1, T0), {f"promobot.request.{rid(1)}.slack": '{"channel":"C1","ts":"1"}'}),
        [("request", rid(1))],
    ),
    (
        "an unfinished execution is a promotion (the next command finishes it)",
        merged(event(1, S, outcome=None)),
        [("promotion", rid(1))],
    ),
    (
        "malformed tags are skipped",
        merged(
            event(1, S),
            {"promobot.event.0000000000001.1.req-x": "{not json"},
            {"promobot.request.req-bad": "[]"},
            {"mlflow.promobot.drift.production": "outside:2:1:2", "team": "ml"},
        ),
        [("promotion", rid(1))],
    ),
]


@pytest.mark.parametrize(
    ("tags", "expected"), [r[1:] for r in ORDER_ROWS], ids=[r[0] for r in ORDER_ROWS]
)
def test_which_records_and_in_what_order(tags: dict[str, str], expected: list) -> None:
    assert shown(tags) == expected


def test_a_promotion_through_approval_carries_every_field() -> None:
    tags = merged(
        request(1, T0, link="https://github.com/o/r/pull/7#issuecomment-1"),
        approval(1, "alice", T0 + timedelta(minutes=1), "looks good"),
        event(1, T0 + timedelta(minutes=1, seconds=0.5), link="https://github.com/o/r/pull/7"),
    )
    asked, approved, promoted = (r.to_json() for r in trail(M, tags, name=_emails))
    assert list(asked) == list(FIELDS)
    assert asked == {
        "at": "2026-11-25T10:00:00Z",
        "model": M,
        "event": "request",
        "action": "promote",
        "version": 2,
        "previous": 1,
        "target": "Production",
        "by": "bob@example.com",
        "actor": "slack:U01BOB",
        "approved_by": "",
        "reason": "passed shadow test",
        "request": rid(1),
        "channel": "slack",
        "link": "https://github.com/o/r/pull/7#issuecomment-1",
    }
    assert approved == {
        **asked,
        "at": "2026-11-25T10:01:00Z",
        "event": "approval",
        "by": "alice@example.com",
        "actor": "github:alice",
        "reason": "looks good",
        "channel": "github",
        "link": "",
    }
    assert promoted == {
        **asked,
        "at": "2026-11-25T10:01:00Z",
        "event": "promotion",
        "approved_by": "alice@example.com",
        "link": "https://github.com/o/r/pull/7",
    }


CLOSING_ROWS = [
    (
        "denied by a lead",
        closed(1, "denied", T0, "alice@example.com", "metrics look off"),
        ("denial", "alice@example.com", "metrics look off"),
    ),
    (
        "withdrawn by the requester",
        closed(1, "denied", T0, "bob@example.com", "withdrawn by the requester"),
        ("denial", "bob@example.com", "withdrawn by the requester"),
    ),
    (
        "expired",
        closed(1, "expired", T0, "promobot", "no decision before 2026-11-26 10:00 UTC"),
        ("expiry", "promobot", "no decision before 2026-11-26 10:00 UTC"),
    ),
    (
        "failed",
        closed(1, "failed", T0, "promobot", "v2 was deleted; nothing was promoted"),
        ("failure", "promobot", "v2 was deleted; nothing was promoted"),
    ),
]


@pytest.mark.parametrize(
    ("tag", "expected"), [r[1:] for r in CLOSING_ROWS], ids=[r[0] for r in CLOSING_ROWS]
)
def test_how_a_request_ended(tag: dict[str, str], expected: tuple[str, str, str]) -> None:
    records = trail(M, merged(request(1, T0 - timedelta(hours=1)), tag))
    assert [r.event for r in records] == ["request", expected[0]]
    end = records[1]
    assert (end.event, end.by, end.reason) == expected
    assert (end.version, end.target, end.request, end.action) == (
        2,
        "Production",
        rid(1),
        "promote",
    )
    assert (end.actor, end.channel, end.link, end.approved_by) == ("", "", "", "")
    assert end.at == T0


def test_a_failed_execution_without_a_request_record_names_its_version_from_the_event() -> None:
    (failure,) = trail(M, merged(event(1, S, version=7, target="staging", outcome="failed")))
    assert (failure.event, failure.version, failure.target, failure.action) == (
        "failure",
        7,
        "Staging",
        "promote",
    )


def test_a_rollback_keeps_its_reason_as_recorded() -> None:
    (record,) = trail(
        M,
        merged(event(1, S, kind="rollback", version=1, previous=2, reason="rollback: p99 doubled")),
    )
    assert (record.event, record.action, record.version, record.previous, record.reason) == (
        "rollback",
        "rollback",
        1,
        2,
        "rollback: p99 doubled",
    )


def test_people_are_named_by_the_function_given_history_keeps_its_own_names() -> None:
    tags = merged(request(1, T0), approval(1, "alice", T0), event(1, S, by="bob (as recorded)"))
    by = [(r.event, r.by) for r in trail(M, tags, name=lambda actor: actor.upper())]
    assert by == [
        ("request", "SLACK:U01BOB"),
        ("approval", "GITHUB:ALICE"),
        ("promotion", "bob (as recorded)"),
    ]


def test_no_promobot_tags_no_records() -> None:
    assert trail(M, {"team": "ml", "owner": "alice"}) == []


def _emails(actor: str) -> str:
    return {"slack:U01BOB": "bob@example.com", "github:alice": "alice@example.com"}.get(
        actor, actor
    )
