"""Requests, approvals, outcomes and history events read from a model's tags
(bot/core/state/records.py): each written once under its own key, read back whole, in
either layout, and what promobot did not write ignored."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.state.records import (
    Approval,
    Outcome,
    Request,
    all_events,
    approvals,
    deliveries_before,
    events,
    has_request,
    message_ref,
    open_requests,
    outcome,
    request,
    requests,
)

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
PREFIX = "mlflow.promobot.request."


def asked(rid: str, minutes: int = 0, **fields: object) -> tuple[str, str]:
    data = {
        "id": rid,
        "action": "promote",
        "model": "m",
        "version": 3,
        "target_key": "production",
        "target_label": "Production",
        "target_kind": "stage",
        "actor": "slack:U01BOB",
        "reason": "shadow ok",
        "created_at": (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "expires_at": (T0 + timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "channel": "slack",
        "link": "",
        "run_id": "abc",
        "source": "models:/m-1",
        "previous": 2,
        **fields,
    }
    return f"{PREFIX}{rid}", json.dumps(data)


def ended(rid: str, state: str, prefix: str = PREFIX) -> tuple[str, str]:
    return f"{prefix}{rid}.state", json.dumps(
        {"state": state, "by": "alice@example.com", "at": "2026-11-25T10:05:00Z", "detail": "ok"}
    )


def event(rid: str, ms: int, version: int = 3) -> tuple[str, str]:
    key = f"mlflow.promobot.event.{ms:013d}.{0:020d}.{rid}"
    value = {"kind": "promote", "target_key": "production", "version": version, "request": rid}
    return key, json.dumps(value)


def test_a_request_reads_back_every_field_and_writes_the_same() -> None:
    key, value = asked("req-1", repair=True)
    read = request({key: value}, "req-1")
    assert read == Request(
        id="req-1",
        action="promote",
        model="m",
        version=3,
        target_key="production",
        target_label="Production",
        target_kind="stage",
        actor="slack:U01BOB",
        reason="shadow ok",
        created_at=T0,
        expires_at=T0 + timedelta(hours=24),
        channel="slack",
        link="",
        run_id="abc",
        source="models:/m-1",
        previous=2,
        repair=True,
    )
    assert read is not None and read.mutex_key == ("m", "production")
    assert read.to_json() == json.loads(value)


def test_a_request_written_before_its_newer_fields_reads_with_their_defaults() -> None:
    _, value = asked("req-1")
    data = json.loads(value)
    for optional in ("target_kind", "reason", "channel", "link", "run_id", "source", "previous"):
        del data[optional]
    read = Request.from_tag(json.dumps(data))
    assert read is not None
    assert (read.target_kind, read.reason, read.run_id, read.previous, read.repair) == (
        "stage",
        "",
        None,
        None,
        False,
    )
    assert "repair" not in read.to_json()


@pytest.mark.parametrize(
    "value",
    [
        "",
        "{not json",
        json.dumps({"id": "req-1"}),
        json.loads(asked("req-1")[1]) | {"version": "three"},
    ],
    ids=["empty", "malformed", "missing-fields", "version-not-a-number"],
)
def test_a_request_promobot_did_not_write_is_none(value: object) -> None:
    text = value if isinstance(value, str) else json.dumps(value)
    assert Request.from_tag(text) is None


def test_the_current_key_wins_over_the_legacy_one() -> None:
    _, current = asked("req-1", reason="current")
    _, old = asked("req-1", reason="legacy")
    tags = {"promobot.request.req-1": old, f"{PREFIX}req-1": current}
    found = request(tags, "req-1")
    assert found is not None and found.reason == "current"
    assert has_request({"promobot.request.req-1": old}, "req-1")
    assert not has_request(tags, "req-2")


def test_approvals_are_read_oldest_first_with_what_each_said() -> None:
    def approval(person: str, at: str, prefix: str = PREFIX) -> tuple[str, str]:
        value = {"actor": f"github:{person}", "person": person, "at": at, "comment": "ok"}
        return f"{prefix}req-1.approval.{person}", json.dumps(value)

    tags = dict(
        [
            approval("erin", "2026-11-25T10:03:00Z"),
            approval("alice", "2026-11-25T10:04:00Z", "promobot.request."),
            approval("zed", "not a time"),
            (f"{PREFIX}req-2.approval.bob", "{}"),
        ]
    )
    assert approvals(tags, "req-1") == [
        Approval("github:zed", "zed", None, "ok"),  # type: ignore[arg-type]
        Approval("github:erin", "erin", T0 + timedelta(minutes=3), "ok"),
        Approval("github:alice", "alice", T0 + timedelta(minutes=4), "ok"),
    ]


def test_an_outcome_is_how_who_when_and_why() -> None:
    assert outcome(dict([ended("req-1", "done")]), "req-1") == Outcome(
        "done", "alice@example.com", T0 + timedelta(minutes=5), "ok"
    )
    assert outcome(dict([ended("req-1", "denied", "promobot.request.")]), "req-1") is not None
    assert outcome({}, "req-1") is None


def test_requests_are_each_read_once_oldest_first_and_open_ones_have_no_outcome() -> None:
    tags = dict(
        [
            asked("req-b", minutes=2),
            asked("req-a", minutes=1),
            ("promobot.request.req-a", asked("req-a", minutes=1)[1]),
            asked("req-c", minutes=3),
            ended("req-b", "done"),
            (f"{PREFIX}req-c.slack", json.dumps({"channel": "C1", "ts": "1.2"})),
            (f"{PREFIX}broken", "{not json"),
        ]
    )
    assert [r.id for r in requests(tags)] == ["req-a", "req-b", "req-c"]
    assert [r.id for r in open_requests(tags)] == ["req-a", "req-c"]
    assert message_ref(tags, "req-c", "slack") == {"channel": "C1", "ts": "1.2"}
    assert message_ref(tags, "req-a", "slack") is None


def test_a_failed_execution_is_history_for_nobody_but_the_audit() -> None:
    tags = dict(
        [
            event("req-1", 1, version=1),
            event("req-2", 2, version=2),
            event("req-3", 3, version=3),
            ended("req-2", "failed"),
            ended("req-1", "done"),
            ("mlflow.promobot.event.0000000000004.00000000000000000000.req-4", "{not json"),
        ]
    )
    assert [e.version for e in all_events(tags)] == [1, 2, 3]
    assert [e.version for e in events(tags)] == [1, 3]


def test_deliveries_handled_before_a_time_are_found_unreadable_ones_too() -> None:
    tags = {
        "mlflow.promobot.webhook.d-old": "2026-11-25T09:00:00Z",
        "mlflow.promobot.webhook.d-new": "2026-11-25T11:00:00Z",
        "mlflow.promobot.webhook.d-garbled": "yesterday",
        "mlflow.promobot.request.req-1": "2026-11-25T09:00:00Z",
    }
    assert deliveries_before(tags, T0) == [
        "mlflow.promobot.webhook.d-garbled",
        "mlflow.promobot.webhook.d-old",
    ]
