"""Promote and rollback (bot/core/service/moves.py) against a real SQLite MLflow registry:
what MLflow holds afterwards."""

from __future__ import annotations

import re

import pytest
from service_helpers import M, run, to_legacy_layout, to_production


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
        'alice@example.com ("lgtm"): passed shadow test (accuracy 0.91, f1 0.87)'
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
    """docs/contract.md, Identities: by e-mail where the policy gives one, else by handle."""
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


def test_rollback_walks_a_history_begun_before_the_upgrade(service, models, two_versions):
    """Events under `promobot.event.` (before the upgrade) and `mlflow.promobot.event.`
    (after it) are one history, in the order they happened: the prefixes do not sort it."""
    v1, v2 = two_versions
    v3 = models.version(M, accuracy=0.94, f1=0.9)
    to_production(service, v1)
    to_production(service, v2)
    to_legacy_layout(models.client, M)
    to_production(service, v3)  # after the upgrade

    first = run(service, "slack:U01CAROL", f"rollback {M} bad v3")
    second = run(service, "slack:U01CAROL", f"rollback {M} bad too")

    assert (first.version, second.version) == (v2, v1)
    assert models.stage(M, v1) == "Production" and models.aliases(M)["production"] == v1
    history = run(service, "cli:bob", f"history {M}").history
    assert [(h.kind, h.version) for h in history if h.target == "Production"] == [
        ("rollback", v1),
        ("rollback", v2),
        ("promote", v3),
        ("promote", v2),
        ("promote", v1),
    ]


def test_rollback_to_named_version_and_requires_reason(service, models, two_versions):
    v1, v2 = two_versions
    to_production(service, v1)
    to_production(service, v2)
    no_reason = run(service, "slack:U01CAROL", f"rollback {M} to v1")
    assert no_reason.status == "refused"
    done = run(service, "slack:U01CAROL", f"rollback {M} to v1 hotfix")
    assert done.status == "done" and models.stage(M, v1) == "Production"


def test_break_glass_cannot_restore_a_version_that_never_held_the_target(
    service, models, two_versions
):
    """The security review's reproduction: carol (on call, not an approver) rolls
    Production, locked by alice, "back" to v3, which was never staged nor approved. A
    rollback restores only what promobot put there; v3 needs a promotion."""
    v1, v2 = two_versions
    to_production(service, v1)
    to_production(service, v2)
    v3 = models.version(M, accuracy=0.5, f1=0.1)
    assert run(service, "github:alice", f"lock {M} production incident").status == "done"
    before = models.snapshot(M)

    for text in (f"rollback {M} production to v{v3} emergency", f"rollback {M} to v{v3} x"):
        result = run(service, "slack:U01CAROL", text)
        assert result.status == "refused"
        assert result.reasons == (
            f"v{v3} never held Production through promobot, and a rollback restores only a "
            f"version that did (promobot put v{v2}, v{v1} there). To put v{v3} there, "
            f"promote it: `promote {M} v{v3} production <reason>`.",
        )
    dry = run(service, "slack:U01CAROL", f"rollback {M} to v{v3} x --dry-run")
    assert dry.status == "refused"
    assert models.snapshot(M) == before
    assert models.stage(M, v3) == "None" and models.aliases(M) == {"production": v2}

    # What promobot did put there still passes the lock (break-glass), and only that.
    back = run(service, "slack:U01CAROL", f"rollback {M} production to v{v1} emergency")
    assert back.status == "done", back.reasons
    assert models.stage(M, v1) == "Production"


def test_a_version_held_before_promobot_is_not_a_rollback_target(service, models, two_versions):
    """An adopted registry: v1 was in Production before promobot's first promotion. The
    history names it as replaced, but promobot never put it there, so a rollback to it
    is a promotion in disguise."""
    v1, v2 = two_versions
    models.client.transition_model_version_stage(M, str(v1), "Production")
    to_production(service, v2)
    result = run(service, "slack:U01CAROL", f"rollback {M} to v{v1} back to the old one")
    assert result.status == "refused"
    assert result.reasons[0].startswith(
        f"v{v1} never held Production through promobot, and a rollback restores only a "
        f"version that did (promobot put v{v2} there)."
    )
    assert models.stage(M, v2) == "Production"


@pytest.mark.parametrize(
    "text",
    [
        f"rollback {M} @shadow to v2 x",
        f"rollback {M} @shadow x",
        f"rollback {M} @shadow to v2 x --dry-run",
    ],
    ids=["to", "walk-back", "dry-run"],
)
def test_a_rollback_onto_a_target_no_rule_names_is_refused(service, models, two_versions, text):
    """`promote … @shadow` is refused (no rule for @shadow); a rollback was a way round
    it that created the alias."""
    v1, v2 = two_versions
    to_production(service, v1)
    to_production(service, v2)
    before = models.snapshot(M)
    result = run(service, "slack:U01CAROL", text)
    assert result.status == "refused"
    assert result.reasons == (
        f"The policy for `{M}` ({service.policy.rules_for(M).source}) has no rule for "
        "@shadow, so rollbacks there are refused; it has rules for Staging, Production, "
        "Archived and @champion. Add `@shadow` under its targets to allow it.",
    )
    assert models.snapshot(M) == before and "shadow" not in models.aliases(M)


def test_rollback_refused_for_non_oncall(service, models, two_versions):
    v1, v2 = two_versions
    to_production(service, v1)
    to_production(service, v2)
    result = run(service, "slack:U01BOB", f"rollback {M} want v1")
    assert result.status == "refused"
    assert models.stage(M, v2) == "Production"


def test_overlong_reason_refused_without_write(service, models, two_versions):
    before = models.snapshot(M)
    result = run(service, "slack:U01BOB", f"promote {M} v1 staging {'x' * 200_000}")
    assert result.status == "refused" and "200,000" in result.reasons[0]
    assert models.snapshot(M) == before


def test_longest_allowed_reason_fits_mlflow_model_tags(service, models, two_versions):
    """MLflow's SQL stores hold 5,000 characters in a registered-model tag; the history
    event (the execution's intent) repeats the reason, so the longest reason allowed must
    still fit."""
    from bot.core.service import REASON_MAX

    v1, _ = two_versions
    reason = "r" * REASON_MAX
    result = run(service, "slack:U01BOB", f"promote {M} v1 staging {reason}")
    assert result.status == "done"
    written = [t for t in models.model_tags(M).values() if reason in t]
    assert written and all(len(t) <= 5000 for t in written)
    assert models.tags(M, v1)["promotion_reason"] == reason
