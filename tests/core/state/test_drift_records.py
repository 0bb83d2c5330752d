"""The trail's record of a drift (bot/core/state/drift.py): written once per drift on a
target, read back, told in the past tense, and exported as a `drift` record
(bot/core/state/trail.py), from tags written as MLflow holds them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.core.state import drift_records, finding_key, finding_record, unrecorded
from bot.core.state.drift import MIRROR, ORPHAN, OUTSIDE, Finding
from bot.core.state.trail import FIELDS, trail

M = "sentiment-classifier"
T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
FOUND = T0 + timedelta(hours=3)


def found(kind: str, holder: int | None, recorded: int | None, alias: int | None = 2):
    return Finding(
        model=M,
        target_key="production",
        target="Production",
        kind=kind,
        holder=holder,
        recorded=recorded,
        alias=alias,
        recorded_by="bob@example.com",
        recorded_at=T0,
    )


LESSON = [found(OUTSIDE, 1, 2), found(MIRROR, 1, 2)]  # the raw rollback of v2 to v1


def event(n: int, at: datetime, version: int) -> dict[str, str]:
    """A promotion onto Production (the history event, its request done)."""
    ms = int(at.timestamp() * 1000)
    value = {
        "kind": "promote",
        "target_key": "production",
        "target_label": "Production",
        "version": version,
        "previous": version - 1 or None,
        "by": "bob@example.com",
        "at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "request": f"req-8b4e00000{n}",
    }
    state = {"state": "done", "by": "alice@example.com", "at": value["at"], "detail": ""}
    return {
        f"mlflow.promobot.event.{ms:013d}.{ms * 1000:020d}.req-8b4e00000{n}": json.dumps(value),
        f"mlflow.promobot.request.req-8b4e00000{n}.state": json.dumps(state),
    }


def recorded(findings: list[Finding], at: datetime, since: str, by: str = "audit"):
    return {finding_key(at, "production"): finding_record(findings, at, by, since)}


def last_event_key(tags: dict[str, str]) -> str:
    return max(k for k in tags if k.startswith("mlflow.promobot.event."))


def test_a_record_reads_back_as_written() -> None:
    tags = {**event(1, T0, 2), "team": "ml"}
    tags.update(recorded(LESSON, FOUND, last_event_key(tags)))
    (record,) = drift_records(M, tags)
    assert (record.at, record.target_key, record.target, record.found_by) == (
        FOUND,
        "production",
        "Production",
        "audit",
    )
    assert record.findings == tuple(LESSON)
    assert record.primary.kind == OUTSIDE
    assert record.reason == (
        "Production held v1, but promobot had last put v2 there (bob@example.com, "
        "2026-11-25 10:00 UTC): it was changed outside promobot. Production held v1 but "
        f"its alias @production named v2: `models:/{M}/Production` and "
        f"`models:/{M}@production` loaded different things. Found by `promobot audit`."
    )


def test_a_drift_is_recorded_once_until_promobot_moves_the_target_again() -> None:
    tags = event(1, T0, 2)
    assert unrecorded(tags, "production", LESSON)
    tags.update(recorded(LESSON, FOUND, last_event_key(tags)))
    assert not unrecorded(tags, "production", LESSON)  # the same drift: recorded
    assert not unrecorded(tags, "production", [])  # nothing drifted: nothing to record
    assert unrecorded(tags, "production", [found(ORPHAN, None, 2, None)])  # another drift
    tags.update(event(2, FOUND + timedelta(minutes=5), 2))  # promobot put it right
    assert unrecorded(tags, "production", LESSON)  # the same change again is a new drift


def test_malformed_records_are_skipped() -> None:
    tags = {
        f"{finding_key(T0, 'production')}": "{not json",
        "mlflow.promobot.finding.0000000000001.1.production": json.dumps({"findings": []}),
    }
    assert drift_records(M, tags) == []
    assert trail(M, tags) == []


def test_the_trail_exports_a_drift_with_what_held_the_target_and_when_it_was_found() -> None:
    tags = event(1, T0, 2)
    tags.update(recorded(LESSON, FOUND, last_event_key(tags)))
    promoted, drifted = (r.to_json() for r in trail(M, tags))
    assert promoted["event"] == "promotion"
    assert list(drifted) == list(FIELDS)
    assert drifted == {
        "at": "2026-11-25T13:00:00Z",
        "model": M,
        "event": "drift",
        "action": "outside",
        "version": 1,
        "previous": 2,
        "target": "Production",
        "by": "outside promobot",
        "actor": "",
        "approved_by": "",
        "reason": drifted["reason"],
        "request": "",
        "channel": "audit",
        "link": "",
    }
    assert drifted["reason"].startswith("Production held v1, but promobot had last put v2")


def test_an_orphan_and_a_target_never_moved_are_told_in_the_past_tense() -> None:
    never = Finding(M, "staging", "Staging", OUTSIDE, 3, None, alias=None)
    tags = {finding_key(FOUND, "staging"): finding_record([never], FOUND, "webhook", "")}
    tags.update(recorded([found(ORPHAN, None, 2, None)], FOUND, "", by="audit-pass"))
    reasons = sorted((r.target, r.version, r.previous, r.reason) for r in trail(M, tags))
    assert reasons == [
        (
            "Production",
            None,
            2,
            "Nothing held Production, but promobot had last put v2 there (bob@example.com, "
            "2026-11-25 10:00 UTC). Found by the scheduled audit of `promobot serve`.",
        ),
        (
            "Staging",
            3,
            None,
            "Staging held v3, but promobot had never moved Staging: it was set outside "
            "promobot. Found by the audit after an MLflow webhook delivery.",
        ),
    ]
