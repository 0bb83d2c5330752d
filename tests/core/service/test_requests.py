"""Approve and deny (bot/core/service/requests.py) against a real SQLite MLflow registry."""

from __future__ import annotations

import json

import pytest
from service_helpers import M, run, to_legacy_layout, to_production

from bot.core.service import Service


@pytest.mark.parametrize(
    "own_handle",
    ["slack:U01BOB", "github:bob", "bob@example.com", "cli:bob", "github:BOB"],
    ids=["slack", "github", "email", "cli", "github-case"],
)
def test_self_approval_refused_across_handles(service, models, two_versions, own_handle):
    run(service, "slack:U01BOB", f"promote {M} v1 staging x")
    pending = run(service, "slack:U01BOB", f"promote {M} v1 production y")
    result = run(service, own_handle, f"approve {pending.request_id}")
    assert result.status == "refused"
    assert "own request" in result.reasons[0]
    assert models.stage(M, 1) == "Staging"
    assert not any(".approval." in k for k in models.model_tags(M))


def test_non_approver_is_refused(service, models, two_versions):
    run(service, "slack:U01BOB", f"promote {M} v1 staging x")
    pending = run(service, "slack:U01BOB", f"promote {M} v1 production y")
    result = run(service, "github:carol", f"approve {pending.request_id}")
    assert result.status == "refused" and "ml-leads" in result.reasons[0]
    assert models.stage(M, 1) == "Staging"


def test_two_approvals_needed_counts_people_not_handles(service, models):
    model = "fraud-detector"
    models.version(model, auc=0.9)
    pending = run(service, "github:bob", f"promote {model} v1 production")
    assert pending.status == "pending" and pending.approvals_required == 2
    first = run(service, "github:alice", f"approve {pending.request_id}")
    assert first.status == "pending" and first.approvals == 1
    same_person = run(service, "slack:U01ALICE", f"approve {pending.request_id}")
    assert same_person.status == "pending" and same_person.approvals == 1
    second = run(service, "erin@example.com", f"approve {pending.request_id}")
    assert second.status == "done"
    assert models.stage(model, 1) == "Production"
    assert models.tags(model, 1)["approved_by"] == "alice@example.com, erin@example.com"


def test_double_approval_executes_once(service, models, two_versions):
    v1, _ = two_versions
    run(service, "slack:U01BOB", f"promote {M} v1 staging x")
    pending = run(service, "slack:U01BOB", f"promote {M} v1 production y")
    run(service, "github:alice", f"approve {pending.request_id}")
    again = run(service, "slack:U01ALICE", f"approve {pending.request_id}")
    assert again.status == "done" and again.already
    assert len(models.description(M, v1).splitlines()) == 2
    events = [k for k in models.model_tags(M) if k.startswith("mlflow.promobot.event.")]
    assert len(events) == 2  # staging + production


def test_deny_closes_request(service, models, two_versions):
    run(service, "slack:U01BOB", f"promote {M} v1 staging x")
    pending = run(service, "slack:U01BOB", f"promote {M} v1 production y")
    denied = run(service, "github:erin", f"deny {pending.request_id} not this week")
    assert denied.status == "done" and "denied" in denied.message
    late = run(service, "github:alice", f"approve {pending.request_id}")
    assert late.status == "refused" and "denied" in late.reasons[0]
    assert models.stage(M, 1) == "Staging"


def test_requester_may_withdraw_but_others_may_not_deny(service, models, two_versions):
    run(service, "slack:U01BOB", f"promote {M} v1 staging x")
    pending = run(service, "slack:U01BOB", f"promote {M} v1 production y")
    stranger = run(service, "github:carol", f"deny {pending.request_id}")
    assert stranger.status == "refused"
    withdrawn = run(service, "github:bob", f"deny {pending.request_id}")
    assert withdrawn.status == "done" and "withdrawn" in withdrawn.message


def test_request_expires(service, models, two_versions, clock):
    run(service, "slack:U01BOB", f"promote {M} v1 staging x")
    pending = run(service, "slack:U01BOB", f"promote {M} v1 production y")
    clock.advance(hours=25)
    late = run(service, "github:alice", f"approve {pending.request_id}")
    assert late.status == "refused" and "expired" in late.reasons[0]
    assert models.stage(M, 1) == "Staging"
    status = run(service, "cli:x", f"status {M}")
    assert status.pending == ()


def test_approval_binds_to_the_requested_version(service, models, two_versions):
    run(service, "slack:U01BOB", f"promote {M} v1 staging x")
    pending = run(service, "slack:U01BOB", f"promote {M} v1 production y")
    models.client.delete_model_version(M, "1")
    models.version(M, accuracy=0.99, f1=0.99)  # v3; v1 is gone
    result = run(service, "github:alice", f"approve {pending.request_id}")
    assert result.status == "refused" and "deleted" in result.reasons[0]
    assert "production" not in models.aliases(M)


def test_approval_rechecks_the_rules_and_keeps_the_request_open(
    service, models, two_versions, clock
):
    """A freeze that begins between request and approval: the approval is kept, nothing
    moves, and a later approval (after the freeze) carries it out."""
    from datetime import UTC, datetime

    v1, _ = two_versions
    run(service, "slack:U01BOB", f"promote {M} v1 staging x")
    clock.now = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)  # Friday 14:00 in Berlin
    pending = run(service, "slack:U01BOB", f"promote {M} v1 production y")
    clock.now = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # 17:00: frozen
    frozen = run(service, "github:alice", f"approve {pending.request_id}")
    assert frozen.status == "refused"
    assert "stays open" in frozen.message
    assert [c.status for c in frozen.checks if c.name == "freeze"] == ["fail"]
    assert models.stage(M, v1) == "Staging"
    clock.now = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)  # Saturday 00:30 in Berlin
    done = run(service, "github:erin", f"approve {pending.request_id}")
    assert done.status == "done", done.reasons
    assert models.stage(M, v1) == "Production"
    assert models.tags(M, v1)["approved_by"] == "alice@example.com, erin@example.com"


def test_partial_approval_says_how_many_are_still_needed(service, models):
    from bot.render.message import to_text

    models.version("fraud-detector", auc=0.9)
    pending = run(service, "github:bob", "promote fraud-detector v1 production")
    first = run(service, "github:alice", f"approve {pending.request_id}")
    assert (first.status, first.approvals, first.approvals_required) == ("pending", 1, 2)
    assert "waiting for 1 approval from ml-leads" in to_text(first).splitlines()[0]


def test_request_id_names_its_targets_lock(service, models, two_versions):
    """`req-` + the 4 hex digits of the target's lock + 6 random: `approve` can take the
    lock before reading anything."""
    from bot.core.state import mutex_bucket

    v1, _ = two_versions
    run(service, "slack:U01BOB", f"promote {M} v{v1} staging ok")
    pending = run(service, "slack:U01BOB", f"promote {M} v{v1} production shadow ok")
    assert pending.request_id[4:8] == mutex_bucket(M, "production")


def test_approval_waits_for_the_targets_lock_and_writes_nothing_when_it_stays_held(
    service, models, two_versions, tracking_uri
):
    from bot.adapters.mlflow.gateway import Registry
    from bot.core.ports.registry import MutexBusy
    from bot.core.state import mutex_bucket

    v1, _ = two_versions
    run(service, "slack:U01BOB", f"promote {M} v{v1} staging ok")
    pending = run(service, "slack:U01BOB", f"promote {M} v{v1} production shadow ok")
    before = models.snapshot(M)
    impatient = Service(
        Registry(tracking_uri, lock_wait_s=0.3), service.policy, clock=service.deps.clock
    )
    held = service.registry.mutex(mutex_bucket(M, "production"), M, "production")
    with held, pytest.raises(MutexBusy) as busy:
        run(impatient, "github:alice", f"approve {pending.request_id}")
    assert "in progress" in str(busy.value)
    assert models.snapshot(M) == before
    done = run(service, "github:alice", f"approve {pending.request_id}")
    assert done.status == "done" and models.stage(M, v1) == "Production"


def test_request_whose_id_names_another_lock_is_treated_as_planted(service, models, two_versions):
    import json

    v1, _ = two_versions
    run(service, "slack:U01BOB", f"promote {M} v{v1} staging ok")
    pending = run(service, "slack:U01BOB", f"promote {M} v{v1} production shadow ok")
    real = pending.request_id
    bucket = real[4:8]
    forged = f"req-{'0000' if bucket != '0000' else '1111'}{real[8:]}"
    record = json.loads(models.model_tags(M)[f"mlflow.promobot.request.{real}"])
    record["id"] = forged
    models.client.set_registered_model_tag(
        M, f"mlflow.promobot.request.{forged}", json.dumps(record)
    )
    result = run(service, "github:alice", f"approve {forged}")
    assert result.status == "refused" and "There is no request" in result.reasons[0]
    assert models.stage(M, v1) == "Staging"


def test_request_whose_id_names_no_lock_is_treated_as_planted(service, models, two_versions):
    """promobot makes every id name its target's lock: one that names none was written by
    someone else with tag access, and is unknown to `approve`."""
    v1, _ = two_versions
    run(service, "slack:U01BOB", f"promote {M} v{v1} staging ok")
    service.deps.new_id = lambda bucket: "req-abc123"
    pending = run(service, "slack:U01BOB", f"promote {M} v{v1} production shadow ok")
    assert pending.request_id == "req-abc123"
    before = models.snapshot(M)
    refused = run(service, "github:alice", f"approve {pending.request_id}")
    assert refused.status == "refused"
    assert list(refused.reasons) == [
        "There is no request `req-abc123`. `status <model>` lists the pending ones."
    ]
    assert models.snapshot(M) == before and models.stage(M, v1) == "Staging"


def test_approval_compares_with_the_figures_shown_while_the_holder_stays(
    service, models, two_versions
):
    """The request keeps what its relative gate compared with; while that version still
    holds the stage, the approval decides on the figures the approvers were shown."""
    v1, v2 = two_versions  # f1 0.874 and 0.890
    to_production(service, v1)
    run(service, "slack:U01BOB", f"promote {M} v{v2} staging ok")
    pending = run(service, "slack:U01BOB", f"promote {M} v{v2} production better f1")
    assert pending.status == "pending"
    holder_run = models.client.get_model_version(M, str(v1)).run_id
    models.client.log_metric(holder_run, "f1", 0.99)  # logged after the request was shown
    done = run(service, "github:alice", f"approve {pending.request_id}")
    assert done.status == "done", done.reasons
    assert models.stage(M, v2) == "Production"


def test_approval_rechecks_a_relative_gate_against_a_new_holder(service, models, two_versions):
    v1, v2 = two_versions  # f1 0.874 and 0.890
    to_production(service, v1)
    run(service, "slack:U01BOB", f"promote {M} v{v2} staging ok")
    pending = run(service, "slack:U01BOB", f"promote {M} v{v2} production better f1")
    stronger = models.version(M, accuracy=0.95, f1=0.95)
    assert to_production(service, stronger, approver="github:erin").status == "done"
    result = run(service, "github:alice", f"approve {pending.request_id}")
    assert result.status == "refused" and "stays open" in result.message
    gate = next(c for c in result.checks if c.name.startswith("f1"))
    assert gate.status == "fail" and "0.95" in gate.detail
    assert models.stage(M, stronger) == "Production" and models.stage(M, v2) != "Production"


# ---- approving and denying with a comment ---------------------------------------------------


def test_comments_of_approvals_are_kept_and_shown_everywhere(service, models, clock):
    model = "fraud-detector"
    models.version(model, auc=0.9)
    pending = run(service, "github:bob", f"promote {model} v1 production nightly retrain")
    first = run(service, "github:alice", f"approve {pending.request_id} dashboards checked")
    assert first.approval_comments == {"alice@example.com": "dashboards checked"}
    approval = json.loads(
        models.model_tags(model)[f"mlflow.promobot.request.{pending.request_id}.approval.alice"]
    )
    assert approval["comment"] == "dashboards checked"

    (shown,) = run(service, "cli:x", f"status {model}").to_json()["data"]["pending"]
    assert shown["approved_by"] == [
        {
            "by": "alice@example.com",
            "at": "2026-11-25T10:00:00+00:00",
            "comment": "dashboards checked",
        }
    ]
    view = service.request_view(pending.request_id)
    assert view is not None and view.approval_comments == {
        "alice@example.com": "dashboards checked"
    }

    clock.advance(minutes=3)
    done = run(service, "erin@example.com", f"approve {pending.request_id} fine\nsecond line")

    assert done.status == "done"
    assert done.approval_comments == {
        "alice@example.com": "dashboards checked",
        "erin@example.com": "fine\nsecond line",
    }
    assert models.tags(model, 1)["approved_by"] == "alice@example.com, erin@example.com"
    assert models.description(model, 1).splitlines()[-1] == (
        "2026-11-25 10:03 UTC → Production by bob@example.com, approved by alice@example.com "
        '("dashboards checked"), erin@example.com ("fine second line"): nightly retrain (auc 0.90)'
    )
    (entry,) = run(service, "cli:x", f"history {model}").to_json()["data"]["history"]
    assert entry["comments"] == [
        {"by": "alice@example.com", "comment": "dashboards checked"},
        {"by": "erin@example.com", "comment": "fine\nsecond line"},
    ]
    assert entry["approved_by"] == "alice@example.com, erin@example.com"


def test_a_denial_keeps_its_reason_and_history_shows_it(service, models, two_versions, clock):
    run(service, "slack:U01BOB", f"promote {M} v1 staging x")
    pending = run(service, "slack:U01BOB", f"promote {M} v1 production y")
    clock.advance(minutes=1)

    denied = run(service, "github:erin", f"deny {pending.request_id} f1 dropped on holdout")

    assert denied.message == (
        f"{pending.request_id} denied by erin@example.com: f1 dropped on holdout. "
        "Nothing was promoted."
    )
    state = json.loads(models.model_tags(M)[f"mlflow.promobot.request.{pending.request_id}.state"])
    assert (state["state"], state["detail"]) == ("denied", "f1 dropped on holdout")
    view = service.request_view(pending.request_id)
    assert view is not None and "f1 dropped on holdout" in view.message
    history = run(service, "cli:x", f"history {M}").to_json()["data"]["history"]
    assert [(h["kind"], h["version"], h["target"], h["by"], h["reason"]) for h in history] == [
        ("deny", 1, "Production", "erin@example.com", "f1 dropped on holdout"),
        ("promote", 1, "Staging", "bob@example.com", "x"),
    ]


@pytest.fixture
def strict_denials(service_factory, tmp_path):
    """The service policy, with `deny_requires_reason: true` on production and rollback."""
    import yaml
    from conftest import SERVICE_POLICY

    data = yaml.safe_load(SERVICE_POLICY.read_text())
    fraud = next(e for e in data["models"] if e["name"] == "fraud-*")
    fraud["targets"]["production"]["deny_requires_reason"] = True
    fraud["rollback"]["deny_requires_reason"] = True
    path = tmp_path / "strict.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return service_factory(path)


def test_a_policy_may_require_a_reason_to_deny(strict_denials, models):
    service = strict_denials
    models.version("fraud-detector", auc=0.9)
    pending = run(service, "github:bob", "promote fraud-detector v1 production")
    before = models.snapshot("fraud-detector")

    bare = run(service, "github:alice", f"deny {pending.request_id}")

    assert bare.status == "refused"
    assert list(bare.reasons) == [
        "A denial of promotions to Production of fraud-detector needs a reason (the policy "
        "sets `deny_requires_reason: true`); write it after the request id: "
        f"`deny {pending.request_id} <why>`."
    ]
    assert models.snapshot("fraud-detector") == before
    assert "a denial needs a reason" in dict(_explained(service))["Production"]

    given = run(service, "github:alice", f"deny {pending.request_id} not before the audit")
    assert given.status == "done"
    state = json.loads(
        models.model_tags("fraud-detector")[f"mlflow.promobot.request.{pending.request_id}.state"]
    )
    assert state["detail"] == "not before the audit"


def test_the_requester_withdraws_without_a_reason_even_when_one_is_required(strict_denials, models):
    models.version("fraud-detector", auc=0.9)
    pending = run(strict_denials, "github:bob", "promote fraud-detector v1 production")
    withdrawn = run(strict_denials, "slack:U01BOB", f"deny {pending.request_id}")
    assert withdrawn.status == "done" and "withdrawn" in withdrawn.message


def _explained(service):
    result = run(service, "cli:x", "policy fraud-detector")
    return result.explanation


# ---- registries written before promobot's state moved under `mlflow.promobot.` ------------


def test_a_request_made_before_the_upgrade_is_approved_after_it(service, models, two_versions):
    """An old pending request (tags under `promobot.`): the upgraded promobot finds it,
    records the approval and the outcome under the current keys, where its readers (and
    the next command) find them, and leaves the old tags as they were."""
    v1, _ = two_versions
    run(service, "slack:U01BOB", f"promote {M} v{v1} staging x")
    pending = run(service, "slack:U01BOB", f"promote {M} v{v1} production shadow ok")
    rid = pending.request_id
    before = to_legacy_layout(models.client, M)
    assert f"promobot.request.{rid}" in before

    done = run(service, "github:alice", f"approve {rid} lgtm")

    assert done.status == "done", done.reasons
    assert models.stage(M, v1) == "Production"
    assert models.tags(M, v1)["approved_by"] == "alice@example.com"
    tags = models.model_tags(M)
    assert json.loads(tags[f"mlflow.promobot.request.{rid}.approval.alice"])["comment"] == "lgtm"
    assert json.loads(tags[f"mlflow.promobot.request.{rid}.state"])["state"] == "done"
    assert {k: v for k, v in tags.items() if k.startswith("promobot.")} == before
    assert len([k for k in tags if k.startswith("mlflow.promobot.event.")]) == 1
    # The next commands read the two layouts as one state.
    again = run(service, "github:alice", f"approve {rid}")
    assert again.status == "done" and again.already
    status = run(service, "cli:bob", f"status {M}")
    assert status.pending == ()
    history = run(service, "cli:bob", f"history {M}")
    assert [(h.kind, h.version, h.target) for h in history.history] == [
        ("promote", v1, "Production"),
        ("promote", v1, "Staging"),
    ]


def test_an_approval_given_before_the_upgrade_still_counts(service, models):
    model = "fraud-detector"
    models.version(model, auc=0.9)
    pending = run(service, "github:bob", f"promote {model} v1 production")
    rid = pending.request_id
    assert run(service, "github:alice", f"approve {rid}").approvals == 1
    to_legacy_layout(models.client, model)

    same_person = run(service, "slack:U01ALICE", f"approve {rid}")
    assert same_person.status == "pending" and same_person.approvals == 1
    second = run(service, "erin@example.com", f"approve {rid}")

    assert second.status == "done", second.reasons
    assert models.tags(model, 1)["approved_by"] == "alice@example.com, erin@example.com"
    tags = models.model_tags(model)
    assert f"promobot.request.{rid}.approval.alice" in tags  # before the upgrade
    assert f"mlflow.promobot.request.{rid}.approval.erin" in tags  # after it


def test_a_request_closed_before_the_upgrade_stays_closed(service, models, two_versions):
    v1, _ = two_versions
    run(service, "slack:U01BOB", f"promote {M} v{v1} staging x")
    pending = run(service, "slack:U01BOB", f"promote {M} v{v1} production shadow ok")
    run(service, "slack:U01BOB", f"deny {pending.request_id} changed my mind")
    to_legacy_layout(models.client, M)
    before = models.snapshot(M)

    late = run(service, "github:alice", f"approve {pending.request_id}")

    assert late.status == "refused" and "denied" in " ".join(late.reasons), late.reasons
    assert models.snapshot(M) == before


def test_request_view_writes_nothing_and_an_expired_request_reads_as_expired(
    service, models, two_versions, clock
):
    """A read: the view of a pending request and of one whose time ran out leaves the
    registry as it was; the expired one reads as expired before anything records it, and
    the next approve (a use case that writes) closes it."""
    run(service, "slack:U01BOB", f"promote {M} v1 staging x")
    pending = run(service, "slack:U01BOB", f"promote {M} v1 production y")
    before = models.snapshot(M)

    view = service.request_view(pending.request_id)
    assert view is not None and view.status == "pending" and view.approvals_required == 1

    clock.advance(hours=25)
    expired = service.request_view(pending.request_id)
    assert expired is not None and expired.status == "refused"
    assert expired.reasons[0].startswith(f"{pending.request_id} expired at ")
    assert service.request_view(pending.request_id) == expired
    assert models.snapshot(M) == before
    state_key = f"mlflow.promobot.request.{pending.request_id}.state"
    assert state_key not in models.model_tags(M)

    late = run(service, "github:alice", f"approve {pending.request_id}")
    assert late.reasons == expired.reasons
    assert json.loads(models.model_tags(M)[state_key])["state"] == "expired"
    assert service.request_view(pending.request_id) == expired
