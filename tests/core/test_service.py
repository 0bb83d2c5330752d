"""The use cases against a real SQLite MLflow registry: what MLflow holds afterwards."""

from __future__ import annotations

import re
from typing import Any

import pytest
from state_facts import unfinished

from bot.commands import parse
from bot.results import Result
from bot.service import Context, Service

M = "sentiment-classifier"


def run(service: Service, actor: str, text: str, channel: str = "cli", link: str = "") -> Result:
    parsed = parse(text)
    assert parsed.command is not None, parsed.reply
    return service.handle(parsed.command, Context(actor=actor, channel=channel, link=link))


@pytest.fixture
def two_versions(models):
    v1 = models.version(M, accuracy=0.91, f1=0.874)
    v2 = models.version(M, accuracy=0.93, f1=0.890)
    return v1, v2


def to_production(service, version: int, approver: str = "github:alice") -> Result:
    run(service, "slack:U01BOB", f"promote {M} v{version} staging candidate")
    pending = run(service, "slack:U01BOB", f"promote {M} v{version} production shadow ok")
    assert pending.status == "pending", pending.reasons
    return run(service, approver, f"approve {pending.request_id}")


# ---- promote --------------------------------------------------------------------------


def test_promote_to_staging_moves_stage_mirrors_alias_and_writes_tags(
    service, models, two_versions
):
    v1, _ = two_versions
    result = run(
        service,
        "slack:U01BOB",
        f"promote {M} v1 staging first cut",
        channel="slack",
        link="https://slack.example/archives/C1/p1",
    )
    assert result.status == "done"
    assert result.uri == f"models:/{M}/Staging"
    assert models.stage(M, v1) == "Staging"
    assert models.aliases(M) == {"staging": v1}
    tags = models.tags(M, v1)
    assert tags["requested_by"] == "bob@example.com"
    assert tags["approved_by"] == ""
    assert tags["promoted_to"] == "Staging"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", tags["promoted_at"])
    assert tags["promotion_reason"] == "first cut"
    assert tags["promotion_request"] == result.request_id
    assert tags["promotion_channel"] == "slack"
    assert tags["promotion_link"] == "https://slack.example/archives/C1/p1"
    assert models.description(M, v1) == (
        "2026-11-25 10:00 UTC → Staging by bob@example.com: first cut (accuracy 0.91, f1 0.87)"
    )


def test_production_needs_approval_then_lead_approves(service, models, two_versions):
    v1, _ = two_versions
    run(service, "slack:U01BOB", f"promote {M} v1 staging ok")
    pending = run(service, "slack:U01BOB", f"promote {M} v1 production passed shadow test")
    assert pending.status == "pending"
    assert re.fullmatch(r"req-[0-9a-f]{10}", pending.request_id)
    assert models.stage(M, v1) == "Staging"  # nothing moved yet
    names = [c.name for c in pending.checks]
    assert names[0] == "requester" and "approvals" in names
    assert [c.status for c in pending.checks if c.name == "approvals"] == ["pending"]

    done = run(service, "github:alice", f"approve {pending.request_id} lgtm", channel="github")
    assert done.status == "done"
    assert models.stage(M, v1) == "Production"
    # the version left Staging, so @staging no longer points at it
    assert models.aliases(M) == {"production": v1}
    tags = models.tags(M, v1)
    assert tags["approved_by"] == "alice@example.com"
    assert tags["promoted_to"] == "Production"
    assert tags["promotion_reason"] == "passed shadow test"
    lines = models.description(M, v1).splitlines()
    assert lines[-1] == (
        "2026-11-25 10:00 UTC → Production by bob@example.com, approved by "
        "alice@example.com: passed shadow test (accuracy 0.91, f1 0.87)"
    )
    assert len(lines) == 2


def test_second_production_promotion_archives_previous_holder(service, models, two_versions):
    v1, v2 = two_versions
    to_production(service, v1)
    result = to_production(service, v2, approver="slack:U01ERIN")
    assert result.status == "done" and result.replaced_version == v1
    assert models.stage(M, v1) == "Archived"
    assert models.stage(M, v2) == "Production"
    assert models.aliases(M) == {"production": v2}
    old = models.tags(M, v1)
    assert old["replaced_by"] == f"v{v2}"
    assert old["archived_by"] == "bob@example.com"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", old["archived_at"])


def test_tags_name_a_person_without_an_email_by_the_handle_they_used(service, models, two_versions):
    """design.md, Identities: by e-mail where the policy gives one, else by handle."""
    v1, _ = two_versions
    assert run(service, "github:dave", f"promote {M} v{v1} staging ok").status == "done"
    assert models.tags(M, v1)["requested_by"] == "github:dave"  # dave has no e-mail
    pending = run(service, "slack:U01DAVE", f"promote {M} v{v1} production dave's pick")
    done = run(service, "github:alice", f"approve {pending.request_id}")
    assert done.status == "done", done.reasons
    tags = models.tags(M, v1)
    assert (tags["requested_by"], tags["approved_by"]) == ("slack:U01DAVE", "alice@example.com")


def test_alias_target_points_alias_without_touching_stages(service, models, two_versions):
    v1, v2 = two_versions
    done = run(service, "github:alice", f"promote {M} v2 @champion best so far")
    assert done.status == "done" and done.uri == f"models:/{M}@champion"
    assert models.aliases(M) == {"champion": v2}
    assert models.stage(M, v2) == "None"
    assert models.tags(M, v2)["promoted_to"] == "@champion"
    again = run(service, "github:alice", f"promote {M} v1 @champion back")
    assert again.status == "done" and again.replaced_version == v2
    assert models.aliases(M) == {"champion": v1}
    assert models.tags(M, v2)["replaced_by"] == f"v{v1}"


def test_archived_target_moves_version_to_archived(service, models, two_versions):
    v1, _ = two_versions
    run(service, "slack:U01BOB", f"promote {M} v1 staging x")
    result = run(service, "github:alice", f"promote {M} v1 archived retired")
    assert result.status == "done"
    assert models.stage(M, v1) == "Archived"
    assert models.aliases(M) == {"archived": v1}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("v2", 2), ("2", 2), ("latest", 2), ("@challenger", 1), ("staging", 1)],
    ids=["v-number", "bare-number", "latest", "alias", "stage-name"],
)
def test_version_specifiers_resolve(service, models, two_versions, spec, expected):
    models.client.set_registered_model_alias(M, "challenger", "1")
    if spec == "staging":
        run(service, "slack:U01BOB", f"promote {M} v1 staging x")
        result = run(service, "github:alice", f"promote {M} {spec} @champion y")
    else:
        result = run(service, "github:alice", f"promote {M} {spec} @champion y")
    assert result.status == "done", result.reasons
    assert models.aliases(M)["champion"] == expected


def test_promoting_the_current_holder_again_changes_nothing(service, models, two_versions):
    run(service, "slack:U01BOB", f"promote {M} v1 staging x")
    before = models.snapshot(M)
    again = run(service, "slack:U01BOB", f"promote {M} v1 staging x")
    assert again.status == "done" and again.already
    assert models.snapshot(M) == before


def test_dry_run_writes_nothing(service, models, two_versions):
    before = models.snapshot(M)
    result = run(service, "slack:U01BOB", f"promote {M} v1 staging x --dry-run")
    assert result.status == "done" and result.dry_run and "nothing was written" in result.message
    run(service, "slack:U01BOB", f"promote {M} v1 production x --dry-run")
    assert models.snapshot(M) == before


# ---- policy rules at the service level --------------------------------------------------


def test_refusal_lists_every_failed_rule(service, models):
    v = models.version(M, accuracy=0.5, f1=0.4)
    before = models.snapshot(M)
    result = run(service, "slack:U01BOB", f"promote {M} v{v} production")
    assert result.status == "refused"
    failed = {c.name for c in result.checks if c.status == "fail"}
    assert "stage order" in failed and "reason" in failed
    assert any(name.startswith("accuracy") for name in failed)
    assert len(result.reasons) >= 3
    assert models.snapshot(M) == before


def test_requester_not_in_policy_is_refused(service, models, two_versions):
    before = models.snapshot(M)
    result = run(service, "github:mallory", f"promote {M} v1 staging sneaky")
    assert result.status == "refused"
    assert [c.status for c in result.checks if c.name == "requester"] == ["fail"]
    assert models.snapshot(M) == before


def test_relative_metric_gate_against_production(service, models, two_versions):
    v1, _v2 = two_versions
    to_production(service, v1)
    worse = models.version(M, accuracy=0.95, f1=0.80)  # f1 below production - 0.01
    run(service, "slack:U01BOB", f"promote {M} v{worse} staging x")
    result = run(service, "slack:U01BOB", f"promote {M} v{worse} production y")
    assert result.status == "refused"
    gate = next(c for c in result.checks if c.name.startswith("f1"))
    assert gate.status == "fail" and "0.874" in gate.detail
    assert [(m.name, m.candidate, m.current) for m in result.metrics][:2] == [
        ("accuracy", 0.95, 0.91),
        ("f1", 0.80, 0.874),
    ]


def test_freeze_blocks_promotion_but_not_rollback(service, models, two_versions, clock):
    from datetime import UTC, datetime

    v1, v2 = two_versions
    to_production(service, v1)
    to_production(service, v2)
    run(service, "slack:U01BOB", f"promote {M} v1 staging x")  # v1 back to staging
    clock.now = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # Friday 18:00 in Berlin
    refused = run(service, "slack:U01BOB", f"promote {M} v1 production y")
    assert refused.status == "refused"
    assert [c.status for c in refused.checks if c.name == "freeze"] == ["fail"]
    rolled = run(service, "slack:U01CAROL", f"rollback {M} to v1 error spike")
    assert rolled.status == "done"
    assert models.stage(M, v1) == "Production"


def test_model_without_policy_is_refused_and_untouched(service, models):
    models.version("unlisted-model", accuracy=0.99)
    before = models.snapshot("unlisted-model")
    result = run(service, "github:alice", "promote unlisted-model v1 staging x")
    assert result.status == "refused"
    assert "No policy names model" in result.reasons[0]
    assert models.snapshot("unlisted-model") == before


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        (f"promote {M} v9 staging x", "has no version 9"),
        (f"promote {M} @nope staging x", "has no alias @nope"),
        ("promote no-such-model v1 staging x", "no registered model `no-such-model`"),
        (f"promote {M} production staging x", "No version of sentiment-classifier is in"),
        (f"rollback {M} to v42 oops", "has no version 42"),
        ("status no-such-model", "no registered model"),
        ("history no-such-model", "no registered model"),
        ("approve req-abcdef", "no request `req-abcdef`"),
        ("deny req-abcdef", "no request `req-abcdef`"),
    ],
    ids=[
        "version",
        "alias",
        "model",
        "empty-stage",
        "rollback-version",
        "status",
        "history",
        "approve",
        "deny",
    ],
)
def test_things_that_do_not_exist_are_refused_with_nothing_written(
    service, models, two_versions, text, phrase
):
    before = models.all_models()
    result = run(service, "github:alice", text)
    assert result.status == "refused"
    assert any(phrase in r for r in result.reasons), result.reasons
    assert models.all_models() == before


# ---- approvals -----------------------------------------------------------------------


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
    events = [k for k in models.model_tags(M) if k.startswith("promobot.event.")]
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
    assert status.pending == []


def test_approval_binds_to_the_requested_version(service, models, two_versions):
    run(service, "slack:U01BOB", f"promote {M} v1 staging x")
    pending = run(service, "slack:U01BOB", f"promote {M} v1 production y")
    models.client.delete_model_version(M, "1")
    models.version(M, accuracy=0.99, f1=0.99)  # v3; v1 is gone
    result = run(service, "github:alice", f"approve {pending.request_id}")
    assert result.status == "refused" and "deleted" in result.reasons[0]
    assert "production" not in models.aliases(M)


# ---- rollback ------------------------------------------------------------------------


def test_rollback_restores_previous_holder_and_tags_both(service, models, two_versions):
    v1, v2 = two_versions
    to_production(service, v1)
    to_production(service, v2)
    result = run(service, "slack:U01CAROL", f"rollback {M} latency doubled", channel="slack")
    assert result.status == "done" and result.version == v1 and result.replaced_version == v2
    assert models.stage(M, v1) == "Production" and models.stage(M, v2) == "Archived"
    assert models.aliases(M) == {"production": v1}
    restored = models.tags(M, v1)
    assert restored["promotion_reason"] == "rollback: latency doubled"
    assert restored["requested_by"] == "carol@example.com"
    out = models.tags(M, v2)
    assert out["rolled_back_by"] == "carol@example.com"
    assert out["rollback_reason"] == "latency doubled"
    assert "rolled_back_at" in out
    assert models.description(M, v1).splitlines()[-1] == (
        "2026-11-25 10:00 UTC → Production by carol@example.com: rollback: latency doubled "
        "(accuracy 0.91, f1 0.87)"
    )


def test_rollback_twice_walks_back_two_promotions(service, models, two_versions):
    v1, v2 = two_versions
    v3 = models.version(M, accuracy=0.94, f1=0.9)
    for v in (v1, v2, v3):
        to_production(service, v)
    first = run(service, "slack:U01CAROL", f"rollback {M} bad v3")
    second = run(service, "slack:U01CAROL", f"rollback {M} bad too")
    assert (first.version, second.version) == (v2, v1)
    assert models.stage(M, v1) == "Production"
    assert models.aliases(M)["production"] == v1
    third = run(service, "slack:U01CAROL", f"rollback {M} nothing left")
    assert third.status == "refused" and "rollback" in third.reasons[0]


def test_rollback_to_named_version_and_requires_reason(service, models, two_versions):
    v1, v2 = two_versions
    to_production(service, v2)
    no_reason = run(service, "slack:U01CAROL", f"rollback {M} to v1")
    assert no_reason.status == "refused"
    done = run(service, "slack:U01CAROL", f"rollback {M} to v1 hotfix")
    assert done.status == "done" and models.stage(M, v1) == "Production"


def test_rollback_refused_for_non_oncall(service, models, two_versions):
    v1, v2 = two_versions
    to_production(service, v1)
    to_production(service, v2)
    result = run(service, "slack:U01BOB", f"rollback {M} want v1")
    assert result.status == "refused"
    assert models.stage(M, v2) == "Production"


# ---- status, history, policy, help -----------------------------------------------------


def test_status_shows_holders_and_pending(service, models, two_versions):
    v1, v2 = two_versions
    to_production(service, v1)
    run(service, "slack:U01BOB", f"promote {M} v2 staging x")
    pending = run(service, "slack:U01BOB", f"promote {M} v2 production y")
    models.client.set_registered_model_alias(M, "champion", str(v1))
    status = run(service, "cli:x", f"status {M}")
    holders = {h.target: h.version for h in status.holders}
    assert holders == {"Production": v1, "Staging": v2, "@champion": v1}
    assert [
        (p.request_id, p.version, p.target, p.approvals, p.approvals_required)
        for p in status.pending
    ] == [(pending.request_id, v2, "Production", 0, 1)]


def test_history_newest_first_with_limit(service, models, two_versions):
    v1, v2 = two_versions
    to_production(service, v1)
    run(service, "slack:U01CAROL", f"rollback {M} to v2 hmm")
    history = run(service, "cli:x", f"history {M}")
    assert [(h.kind, h.version, h.target) for h in history.history] == [
        ("rollback", v2, "Production"),
        ("promote", v1, "Production"),
        ("promote", v1, "Staging"),
    ]
    limited = run(service, "cli:x", f"history {M} --limit 1")
    assert len(limited.history) == 1


def test_policy_explains_each_target(service):
    result = run(service, "cli:x", f"policy {M}")
    assert result.status == "done"
    labels = [label for label, _ in result.explanation]
    assert "Production" in labels and any("rollback" in label.lower() for label in labels)
    unknown = run(service, "cli:x", "policy nothing-here")
    assert unknown.status == "refused"


def test_help_answers(service):
    result = run(service, "cli:x", "help promote")
    assert result.status == "done" and "promote" in result.text


def test_overlong_reason_refused_without_write(service, models, two_versions):
    before = models.snapshot(M)
    result = run(service, "slack:U01BOB", f"promote {M} v1 staging {'x' * 200_000}")
    assert result.status == "refused" and "200,000" in result.reasons[0]
    assert models.snapshot(M) == before


def killed_before_the_description(service: Service, monkeypatch: Any, text: str) -> None:
    """Run `text` as bob, with the process dying when it comes to write the description:
    the stage has moved, the tags and the description line are not written."""
    registry = service.registry
    real = registry.append_description

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("process killed")

    monkeypatch.setattr(registry, "append_description", crash)
    with pytest.raises(RuntimeError):
        run(service, "slack:U01BOB", text)
    monkeypatch.setattr(registry, "append_description", real)


def test_interrupted_promotion_is_completed_by_the_retry(
    service, models, two_versions, monkeypatch
):
    """A crash after the stage moved but before tags and description: the same command
    again finishes it, with no duplicate description line or history entry."""
    v1, _ = two_versions
    killed_before_the_description(service, monkeypatch, f"promote {M} v1 staging x")
    assert models.stage(M, v1) == "Staging"
    assert unfinished(models.model_tags(M))  # the event is written, its outcome is not
    again = run(service, "slack:U01BOB", f"promote {M} v1 staging x")
    assert again.status == "done"
    assert len(models.description(M, v1).splitlines()) == 1
    tags = models.model_tags(M)
    assert not unfinished(tags)
    assert len([k for k in tags if k.startswith("promobot.event.")]) == 1


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
    from bot.render import to_text

    models.version("fraud-detector", auc=0.9)
    pending = run(service, "github:bob", "promote fraud-detector v1 production")
    first = run(service, "github:alice", f"approve {pending.request_id}")
    assert (first.status, first.approvals, first.approvals_required) == ("pending", 1, 2)
    assert "waiting for 1 approval from ml-leads" in to_text(first).splitlines()[0]


def test_interrupted_promotion_of_a_deleted_version_does_not_block_the_target(
    service, models, two_versions, monkeypatch
):
    v1, v2 = two_versions
    killed_before_the_description(service, monkeypatch, f"promote {M} v1 staging x")
    models.client.delete_model_version(M, str(v1))
    result = run(service, "slack:U01BOB", f"promote {M} v2 staging y")
    assert result.status == "done", result.reasons
    assert models.stage(M, v2) == "Staging"
    tags = models.model_tags(M)
    assert not unfinished(tags)
    states = [v for k, v in tags.items() if k.endswith(".state")]
    assert any('"failed"' in v and "deleted" in v for v in states)


def test_longest_allowed_reason_fits_mlflow_model_tags(service, models, two_versions):
    """MLflow's SQL stores hold 5,000 characters in a registered-model tag; the history
    event (the execution's intent) repeats the reason, so the longest reason allowed must
    still fit."""
    from bot.service import REASON_MAX

    v1, _ = two_versions
    reason = "r" * REASON_MAX
    result = run(service, "slack:U01BOB", f"promote {M} v1 staging {reason}")
    assert result.status == "done"
    written = [t for t in models.model_tags(M).values() if reason in t]
    assert written and all(len(t) <= 5000 for t in written)
    assert models.tags(M, v1)["promotion_reason"] == reason


# ---- approvals and the target's lock ------------------------------------------------------


def test_request_id_names_its_targets_lock(service, models, two_versions):
    """`req-` + the 4 hex digits of the target's lock + 6 random: `approve` can take the
    lock before reading anything."""
    from bot.state import lock_bucket

    v1, _ = two_versions
    run(service, "slack:U01BOB", f"promote {M} v{v1} staging ok")
    pending = run(service, "slack:U01BOB", f"promote {M} v{v1} production shadow ok")
    assert pending.request_id[4:8] == lock_bucket(M, "production")


def test_approval_waits_for_the_targets_lock_and_writes_nothing_when_it_stays_held(
    service, models, two_versions, tracking_uri
):
    from bot.ports import LockBusy
    from bot.registry import Registry
    from bot.service import Service
    from bot.state import lock_bucket

    v1, _ = two_versions
    run(service, "slack:U01BOB", f"promote {M} v{v1} staging ok")
    pending = run(service, "slack:U01BOB", f"promote {M} v{v1} production shadow ok")
    before = models.snapshot(M)
    impatient = Service(
        Registry(tracking_uri, lock_wait_s=0.3), service.policy, clock=service.deps.clock
    )
    held = service.registry.lock(lock_bucket(M, "production"), M, "production")
    with held, pytest.raises(LockBusy) as busy:
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
    record = json.loads(models.model_tags(M)[f"promobot.request.{real}"])
    record["id"] = forged
    models.client.set_registered_model_tag(M, f"promobot.request.{forged}", json.dumps(record))
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
    assert refused.reasons == [
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
