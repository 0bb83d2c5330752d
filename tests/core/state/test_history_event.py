"""The history event (bot/core/state/history_event.py): one type, written by the execution
and read by every reader; the tag it writes is the layout promobot has always written,
and the older layouts read as they did."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.core import state
from bot.core.state import HistoryEvent
from bot.core.state.history import inflight, rollback_candidate
from bot.core.state.trail import trail
from bot.core.state.watch import current_watch

AT = datetime(2026, 11, 25, 10, 2, tzinfo=UTC)
KEY = "mlflow.promobot.event.1795600920000.00000000000000000001.req-aaaa000001"
PLAN = {"checks": [{"name": "error rate"}], "every_s": 60, "for_s": 600, "failures": 3}


def written(**overrides: object) -> HistoryEvent:
    """A rollback as the execution builds it, with everything an event may carry."""
    values: dict[str, object] = {
        "kind": "rollback",
        "target_key": "production",
        "target_label": "Production",
        "target_kind": "stage",
        "target_name": "Production",
        "version": 2,
        "previous": 3,
        "by": "carol@example.com",
        "actor": "slack:U01CAROL",
        "approved_by": "alice@example.com",
        "comments": (("alice@example.com", "dashboards checked"),),
        "at": AT,
        "reason": "rollback: latency",
        "request": "req-aaaa000001",
        "channel": "slack",
        "link": "",
        "line": "2026-11-25 10:02 UTC → Production by carol@example.com: rollback: latency",
        "stale_aliases": ("staging",),
        "stale_tags": ("archived_at", "archived_by"),
        "rollback_reason": "latency",
        "verify": PLAN,
        "ends_verification": True,
        "key": KEY,
        **overrides,
    }
    return HistoryEvent(**values)  # type: ignore[arg-type]


def test_what_is_written_reads_back_the_same() -> None:
    event = written()
    back = HistoryEvent.from_tag(KEY, event.to_tag())
    assert back == event and back is not None and back.key == KEY and back.verify == PLAN


def test_the_tag_is_the_layout_promobot_has_always_written() -> None:
    """Compact JSON, keys sorted, the time to the second in UTC, the optional keys only
    when they say something: a registry written by the current release keeps working."""
    plain = written(rollback_reason=None, verify=None, ends_verification=False, kind="promote")
    assert plain.to_tag() == (
        '{"actor":"slack:U01CAROL","approved_by":"alice@example.com","at":"2026-11-25T10:02:00Z",'
        '"by":"carol@example.com","channel":"slack","comments":[{"by":"alice@example.com",'
        '"comment":"dashboards checked"}],"kind":"promote","line":"2026-11-25 10:02 UTC → '
        'Production by carol@example.com: rollback: latency","link":"","previous":3,'
        '"reason":"rollback: latency","request":"req-aaaa000001","stale_aliases":["staging"],'
        '"stale_tags":["archived_at","archived_by"],"target_key":"production",'
        '"target_kind":"stage","target_label":"Production","target_name":"Production",'
        '"version":2}'
    )
    full = json.loads(written().to_tag())
    assert (full["rollback_reason"], full["verify"], full["ends_verification"]) == (
        "latency",
        PLAN,
        True,
    )


def test_an_event_written_before_it_was_the_whole_intent_is_history_only() -> None:
    """The oldest layout: no line, label, kind or name of the target, stale lists, actor."""
    old = {
        "kind": "promote",
        "target_key": "@champion",
        "version": 4,
        "previous": None,
        "by": "bob@example.com",
        "approved_by": "",
        "at": "2026-11-25T10:02:00Z",
        "reason": "x",
        "request": "req-aaaa000002",
        "channel": "cli",
    }
    key = "promobot.event.1795600920000.00000000000000000002.req-aaaa000002"
    event = HistoryEvent.from_tag(key, json.dumps(old))
    assert event is not None
    assert (event.target_label, event.target_name, event.target_kind) == ("@champion", "", "stage")
    assert (event.is_intent, event.stale_tags, event.stale_aliases, event.actor) == (
        False,
        None,
        (),
        "",
    )
    tags = {key: json.dumps(old)}
    assert inflight(tags, "@champion") is None  # not finished by a later command
    assert [e.version for e in state.events(tags)] == [4]
    assert rollback_candidate(tags, "@champion", 5) == 4


def test_what_is_not_an_event_is_left_out() -> None:
    for value in ("{not json", "[]", json.dumps({"kind": "promote", "target_key": "production"})):
        assert HistoryEvent.from_tag(KEY, value) is None
    assert state.events({KEY: "{not json"}) == []


def test_every_reader_reads_the_event_the_execution_writes() -> None:
    """The history, the unfinished execution, the verification, the deployment records
    and the audit trail all read the one type from the same tag."""
    event = written(kind="promote", rollback_reason=None, previous=None, ends_verification=False)
    tags = {KEY: event.to_tag()}
    assert state.events(tags) == [event]
    assert inflight(tags, "production") == event  # no outcome yet: under way
    outcome = state.dumps(state.done_outcome(event))
    tags[state.state_key(event.request)] = outcome
    assert inflight(tags, "production") is None
    assert state.execution_of(tags, event.request) == event
    assert state.latest_executions(tags) == {"production": event}
    watch = current_watch(tags, "production")
    assert watch is not None and (watch.event, watch.version, watch.plan) == (event, 2, PLAN)
    (record,) = trail("m", tags)
    assert (record.event, record.version, record.actor, record.request) == (
        "promotion",
        2,
        "slack:U01CAROL",
        event.request,
    )


def test_the_audit_tags_come_from_the_event() -> None:
    new_tags, old_tags = state.version_tags_of(written())
    assert new_tags["promoted_at"] == "2026-11-25T10:02:00Z"
    assert new_tags["verification"] == "running"
    assert old_tags == {
        "replaced_by": "v2",
        "verification": "ended",
        "archived_at": "2026-11-25T10:02:00Z",
        "archived_by": "carol@example.com",
        "rolled_back_at": "2026-11-25T10:02:00Z",
        "rolled_back_by": "carol@example.com",
        "rollback_reason": "latency",
    }
