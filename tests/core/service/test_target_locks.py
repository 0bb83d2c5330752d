"""Lock and unlock (bot/core/service/target_locks.py) against a real SQLite MLflow registry: what a
locked target refuses, what passes, who may lock, and what MLflow holds afterwards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SERVICE_POLICY
from service_helpers import M, run, to_production

from bot.core.service import Service


def lock_tags(models: Any, model: str = M) -> list[dict[str, Any]]:
    """The target-lock records on the model, oldest first, read straight from MLflow."""
    tags = models.model_tags(model)
    return [
        json.loads(tags[k]) for k in sorted(tags) if k.startswith("mlflow.promobot.target-lock.")
    ]


def policy_with(tmp_path: Path, **changes: Any) -> Path:
    """The service policy with the sentiment-classifier entry changed: `rollback` and
    `locks` keys merged into it."""
    data = yaml.safe_load(SERVICE_POLICY.read_text())
    entry = next(e for e in data["models"] if e["name"] == M)
    for key, value in changes.items():
        if key == "rollback":
            entry["rollback"].update(value)
        else:
            entry[key] = value
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def staged(service: Service, two_versions: tuple[int, int]) -> Service:
    """v1 in Production (approved by alice), v2 in Staging."""
    to_production(service, 1)
    run(service, "slack:U01BOB", f"promote {M} v2 staging candidate")
    return service


def test_a_locked_target_refuses_promotions_naming_who_when_why_and_until_when(
    staged: Service, models: Any
) -> None:
    locked = run(staged, "github:alice", f"lock {M} production incident 4711 --for 2h")

    assert locked.status == "done", locked.reasons
    assert [(lock.target, lock.by, lock.reason) for lock in locked.locks] == [
        ("Production", "alice@example.com", "incident 4711")
    ]
    assert locked.message == (
        f"Promotions of {M} to Production are refused until 2026-11-25 12:00 UTC; "
        "rollbacks still pass."
    )
    (record,) = lock_tags(models)
    assert record == {
        "kind": "lock",
        "target_key": "production",
        "target_label": "Production",
        "by": "alice@example.com",
        "actor": "github:alice",
        "at": "2026-11-25T10:00:00Z",
        "reason": "incident 4711",
        "until": "2026-11-25T12:00:00Z",
        "channel": "cli",
    }
    before = models.snapshot(M)

    refused = run(staged, "slack:U01BOB", f"promote {M} v2 production shadow ok")

    assert refused.status == "refused"
    assert list(refused.reasons) == [
        f"Production of {M} is locked by alice@example.com since 2026-11-25 10:00 UTC, until "
        '2026-11-25 12:00 UTC ("incident 4711"); promotions there are refused while it holds; '
        f"wait until 2026-11-25 12:00 UTC, or lift it: `unlock {M} production`."
    ]
    lock_check = [c for c in refused.checks if c.name == "lock"]
    assert [(c.status, c.detail) for c in lock_check] == [
        ("fail", "locked by alice@example.com until 2026-11-25 12:00 UTC: incident 4711")
    ]
    assert [c.name for c in refused.checks][-2:] == ["lock", "approvals"]
    # No request was stored, nothing moved.
    assert models.snapshot(M) == before
    # Another target is not locked.
    assert run(staged, "slack:U01BOB", f"promote {M} v2 archived x").status == "refused"
    assert run(staged, "github:alice", f"promote {M} v2 @champion best so far").status == "done"


def test_a_rollback_passes_a_lock_unless_the_rule_respects_locks(
    staged: Service, models: Any, service_factory: Any, tmp_path: Path
) -> None:
    run(staged, "slack:U01BOB", f"promote {M} v2 production shadow ok")
    pending = run(staged, "slack:U01BOB", f"promote {M} v2 production shadow ok")
    run(staged, "github:alice", f"approve {pending.request_id}")
    assert models.stage(M, 2) == "Production"
    run(staged, "github:alice", f"lock {M} production release freeze")
    strict = service_factory(policy_with(tmp_path, rollback={"respect_locks": True}))
    before = models.snapshot(M)

    refused = run(strict, "slack:U01CAROL", f"rollback {M} latency doubled")

    assert refused.status == "refused"
    assert (
        "rollbacks are refused too (the rollback rule sets `respect_locks: true`)"
        in (refused.reasons[0])
    )
    assert "locked by alice@example.com" in refused.reasons[0]
    assert models.snapshot(M) == before

    rolled = run(staged, "slack:U01CAROL", f"rollback {M} latency doubled")

    assert rolled.status == "done", rolled.reasons
    assert models.stage(M, 1) == "Production"
    (lock_check,) = [c for c in rolled.checks if c.name == "lock"]
    assert lock_check.status == "pass"
    assert lock_check.detail == (
        "locked by alice@example.com until someone unlocks it: release freeze; "
        "a rollback passes a lock"
    )


def test_a_lock_for_a_while_ends_by_itself(staged: Service, models: Any, clock: Any) -> None:
    run(staged, "github:alice", f"lock {M} production --for 90m")
    assert run(staged, "slack:U01BOB", f"promote {M} v2 production ok").status == "refused"
    writes = lock_tags(models)

    clock.advance(minutes=91)

    asked = run(staged, "slack:U01BOB", f"promote {M} v2 production ok")
    assert asked.status == "pending", asked.reasons
    assert not [c for c in asked.checks if c.name == "lock"]
    assert run(staged, "cli:x", f"status {M}").locks == ()
    # Nothing had to write the end of it.
    assert lock_tags(models) == writes
    late = run(staged, "github:alice", f"unlock {M} production")
    assert late.status == "done" and late.already
    assert late.message == (
        f"Production of {M} is not locked (the lock alice@example.com placed ended at "
        "2026-11-25 11:30 UTC); nothing changed."
    )


def test_unlock_by_someone_not_allowed_is_refused_and_the_lock_holds(
    staged: Service, models: Any
) -> None:
    run(staged, "github:alice", f"lock {M} @champion tuning the ranking")
    before = models.snapshot(M)

    refused = run(staged, "github:bob", f"unlock {M} @champion")

    assert refused.status == "refused"
    assert list(refused.reasons) == [
        f"Only ml-leads (the requesters and approvers of @champion) may lock or unlock "
        f"@champion of {M}, and bob is not among them; ask alice or erin."
    ]
    assert models.snapshot(M) == before
    stranger = run(staged, "github:mallory", f"unlock {M} @champion")
    assert "github:mallory is not in the policy's people" in stranger.reasons[0]
    assert run(staged, "github:alice", f"promote {M} v2 @champion x").status == "refused"

    lifted = run(staged, "slack:U01ERIN", f"unlock {M} @champion")

    assert lifted.status == "done"
    assert [lock.by for lock in lifted.locks] == ["alice@example.com"]
    assert lock_tags(models)[-1]["kind"] == "unlock"
    assert lock_tags(models)[-1]["by"] == "erin@example.com"
    assert run(staged, "github:alice", f"promote {M} v2 @champion x").status == "done"


def test_without_a_target_every_target_of_the_policy_is_locked_and_unlocked(
    staged: Service, models: Any
) -> None:
    refused = run(staged, "github:bob", f"lock {M} all hands")
    assert refused.status == "refused"
    assert any("may lock or unlock Archived" in reason for reason in refused.reasons)
    assert refused.reasons[-1] == (
        f"Without a target, `lock` locks every target of {M} (Staging, Production, Archived "
        f"and @champion); name the target to lock only that one, e.g. `lock {M} staging`."
    )
    assert lock_tags(models) == []

    locked = run(staged, "github:alice", f"lock {M} all hands")

    assert locked.status == "done"
    assert [lock.target for lock in locked.locks] == [
        "Staging",
        "Production",
        "Archived",
        "@champion",
    ]
    status = run(staged, "cli:x", f"status {M}")
    assert [lock.target for lock in status.locks] == [lock.target for lock in locked.locks]
    assert run(staged, "slack:U01BOB", f"promote {M} v1 staging again").status == "refused"

    # erin leads, but is neither requester nor approver of Staging.
    assert "may lock or unlock Staging" in run(staged, "github:erin", f"unlock {M}").reasons[0]
    lifted = run(staged, "slack:U01ALICE", f"unlock {M}")

    assert lifted.status == "done" and len(lifted.locks) == 4
    assert run(staged, "cli:x", f"status {M}").locks == ()
    again = run(staged, "github:erin", f"unlock {M}")
    assert again.already and again.message == f"{M} has no lock in force; nothing changed."


def test_the_policy_may_name_who_locks(
    staged: Service, models: Any, service_factory: Any, tmp_path: Path
) -> None:
    service = service_factory(policy_with(tmp_path, locks={"requesters": ["oncall"]}))

    refused = run(service, "github:alice", f"lock {M} production")
    assert refused.status == "refused"
    assert "Only oncall (the policy's `locks:` (" in refused.reasons[0]
    locked = run(service, "slack:U01CAROL", f"lock {M} production")
    assert locked.status == "done"
    assert "unlock" in locked.next_steps[0].command
    assert locked.next_steps[0].who == "to lift it, a member of oncall"
    assert run(service, "github:alice", f"unlock {M} production").status == "refused"
    assert run(service, "github:carol", f"unlock {M}").status == "done"
    assert [entry.kind for entry in run(service, "cli:x", f"history {M}").history][:2] == [
        "unlock",
        "lock",
    ]


def test_a_lock_placed_while_a_request_waits_stops_its_approval(
    staged: Service, models: Any, clock: Any
) -> None:
    pending = run(staged, "slack:U01BOB", f"promote {M} v2 production shadow ok")
    run(staged, "github:alice", f"lock {M} production incident 4711")

    blocked = run(staged, "github:erin", f"approve {pending.request_id}")

    assert blocked.status == "refused"
    assert "stays open" in blocked.message
    assert "locked by alice@example.com" in blocked.reasons[0]
    assert models.stage(M, 2) == "Staging"
    clock.advance(minutes=5)
    run(staged, "github:alice", f"unlock {M} production")
    done = run(staged, "github:erin", f"approve {pending.request_id}")
    assert done.status == "done", done.reasons
    assert models.stage(M, 2) == "Production"


def test_status_and_history_show_locks(staged: Service, models: Any, clock: Any) -> None:
    run(staged, "github:alice", f"lock {M} production incident 4711 --for 1d")
    clock.advance(minutes=1)
    run(staged, "github:alice", f"lock {M} @champion")

    status = run(staged, "cli:x", f"status {M}").to_json()

    assert status["data"]["locks"] == [
        {
            "target": "Production",
            "by": "alice@example.com",
            "at": "2026-11-25T10:00:00+00:00",
            "reason": "incident 4711",
            "until": "2026-11-26T10:00:00+00:00",
        },
        {
            "target": "@champion",
            "by": "alice@example.com",
            "at": "2026-11-25T10:01:00+00:00",
            "reason": "",
            "until": None,
        },
    ]
    clock.advance(minutes=1)
    run(staged, "github:erin", f"unlock {M} production")
    history = run(staged, "cli:x", f"history {M} --limit 4").to_json()["data"]["history"]
    assert [(h["kind"], h["target"], h["by"]) for h in history] == [
        ("unlock", "Production", "erin@example.com"),
        ("lock", "@champion", "alice@example.com"),
        ("lock", "Production", "alice@example.com"),
        ("promote", "Staging", "bob@example.com"),
    ]
    assert history[2]["until"] == "2026-11-26T10:00:00+00:00"
    assert history[2]["reason"] == "incident 4711"
    assert history[2]["version"] is None


def test_locking_again_replaces_the_lock(staged: Service, models: Any, clock: Any) -> None:
    run(staged, "github:alice", f"lock {M} production first")
    clock.advance(minutes=1)
    again = run(staged, "slack:U01BOB", f"lock {M} production second --for 1h")

    assert again.status == "done"
    assert again.message.endswith(
        'It replaces Production locked by alice@example.com at 2026-11-25 10:00 UTC ("first").'
    )
    (lock,) = run(staged, "cli:x", f"status {M}").locks
    assert (lock.by, lock.reason) == ("bob@example.com", "second")


BAD_LOCKS = [
    (
        f"lock {M} production " + "x" * 10_000,
        "The reason is 10,000 characters long; keep it under 500 (link to a document for "
        "the details).",
    ),
    (
        f"lock {M} @nope",
        "has no rule for @nope, so there is nothing to lock there; its targets are Staging, "
        "Production, Archived and @champion.",
    ),
    (
        "lock churn-model production",
        "No policy names model `churn-model`, so it has no targets to lock",
    ),
    ("lock fraud-detector production", "There is no registered model `fraud-detector` in MLflow"),
    ("unlock churn-model", "No policy names model `churn-model`"),
]


@pytest.mark.parametrize(
    ("text", "says"),
    BAD_LOCKS,
    ids=["reason-10000", "unknown-target", "no-policy", "not-registered", "unlock-no-policy"],
)
def test_bad_locks_are_refused_with_a_sentence_and_write_nothing(
    staged: Service, models: Any, text: str, says: str
) -> None:
    before = models.all_models()

    refused = run(staged, "github:alice", text)

    assert refused.status == "refused"
    assert says in refused.reasons[0]
    assert models.all_models() == before
