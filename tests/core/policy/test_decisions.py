"""Decisions: every rule allowed and refused, who may approve or deny, whose approvals count."""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.core.policy import (
    ModelRules,
    Person,
    Policy,
    RequestFacts,
    TargetRule,
    approval_check,
    counted_approvers,
    decide,
    load_policy,
)

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = load_policy(ROOT / "policies")
RULES = load_policy(ROOT / "tests" / "fixtures" / "policies" / "good" / "rules.yaml")
POLICIES = {"example": EXAMPLE, "rules": RULES}

UTC = datetime.UTC
THURSDAY = datetime.datetime(2026, 11, 26, 10, 2, tzinfo=UTC)  # outside every freeze
M = "sentiment-classifier"


def facts(**changes: Any) -> RequestFacts:
    """bob asks for sentiment-classifier v3 → Production; v2 is in Production."""
    base = RequestFacts(
        model=M,
        action="promote",
        target_key="production",
        target_label="Production",
        actor="slack:U01BOB",
        reason="passed shadow test",
        version=3,
        version_stage="Staging",
        version_metrics={"accuracy": 0.912, "f1": 0.890},
        holders={"Production": (2, {"accuracy": 0.897, "f1": 0.874})},
        now=THURSDAY,
    )
    return dataclasses.replace(base, **changes)


def to(key: str) -> dict[str, str]:
    label = key if key.startswith("@") else key.capitalize()
    return {"target_key": key, "target_label": label}


def fraud(**changes: Any) -> RequestFacts:
    """alice asks for fraud-detector v5 → Production (the `fraud-*` entry)."""
    base: dict[str, Any] = {
        "model": "fraud-detector",
        "actor": "github:alice",
        "version": 5,
        "version_stage": "Staging",
        "version_metrics": {"false_positive_rate": 0.03, "recall": 0.81, "auc": 0.95},
        "holders": {
            "Staging": (5, {"recall": 0.81}),
            "Production": (4, {"auc": 0.93, "recall": 0.80}),
        },
    }
    return facts(**{**base, **changes})


@dataclass(frozen=True)
class Case:
    facts: RequestFacts
    outcome: str
    checks: dict[str, tuple[str, str]] = field(default_factory=dict)  # name → (status, detail)
    reasons: tuple[str, ...] = ()  # each a substring of one reason, in order
    policy: str = "rules"


CET = datetime.timezone(datetime.timedelta(hours=1))
CEST = datetime.timezone(datetime.timedelta(hours=2))
EST = datetime.timezone(datetime.timedelta(hours=-5))


def fri_berlin(hour: int, minute: int, month: int = 11) -> datetime.datetime:
    """A Friday at that wall-clock time in Berlin (CET in November, CEST in July), in UTC."""
    day, zone = ((2026, 11, 27), CET) if month == 11 else ((2026, 7, 3), CEST)
    return datetime.datetime(*day, hour, minute, tzinfo=zone).astimezone(UTC)


def new_york(day: int, hour: int, minute: int) -> datetime.datetime:
    """2026-11-<day> at that wall-clock time in New York (EST), in UTC."""
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=EST).astimezone(UTC)


CASES: dict[str, Case] = {
    # ---- requester
    "staging-allowed": Case(
        facts(**to("staging")),
        "allowed",
        {"requester": ("pass", "bob is in ml-engineers"), "approvals": ("pass", "none needed")},
    ),
    "requester-by-email-any-case": Case(
        facts(actor="BOB@Example.com", **to("staging")),
        "allowed",
        {"requester": ("pass", "bob is in ml-engineers")},
    ),
    "requester-named-directly": Case(
        fraud(actor="cli:erin-cli"),
        "needs_approval",
        {"requester": ("pass", "erin is a listed requester")},
    ),
    "requester-not-in-group": Case(
        facts(**to("@champion")),
        "refused",
        {"requester": ("fail", "bob is not in ml-leads")},
        (
            "Only ml-leads may promote sentiment-classifier to @champion, and bob is not in "
            "ml-leads; ask alice or dave.",
        ),
    ),
    "requester-unknown-actor": Case(
        facts(actor="github:mallory", **to("staging")),
        "refused",
        {"requester": ("fail", "github:mallory is not in the policy's people")},
        ("or add github:mallory to people in policies/",),
    ),
    # ---- stage order, reason
    "stage-order-and-reason-pass-then-approval": Case(
        facts(),
        "needs_approval",
        {
            "requester": ("pass", "bob is in ml-engineers"),
            "stage order": ("pass", "v3 is in Staging"),
            "reason": ("pass", '"passed shadow test"'),
            "accuracy ≥ 0.80": ("pass", "0.912"),
            "f1 ≥ production − 0.01": ("pass", "0.890 vs 0.874 (v2)"),
            "freeze": ("pass", "not in a freeze window"),
            "approvals": ("pending", "0 of 1 from ml-leads"),
        },
    ),
    "stage-order-no-stage": Case(
        facts(version_stage="None"),
        "refused",
        {"stage order": ("fail", "v3 has no stage yet")},
        ("promote v3 to staging first: `promote sentiment-classifier v3 staging`",),
    ),
    "stage-order-archived": Case(
        facts(version_stage="Archived"),
        "refused",
        {"stage order": ("fail", "v3 is in Archived")},
        ("v3 must be in Staging before it goes to Production, and it is in Archived",),
    ),
    "reason-missing": Case(
        facts(reason="   "),
        "refused",
        {"reason": ("fail", "no reason given")},
        (
            "A reason is required to promote to Production; add a reason after the target: "
            "`promote sentiment-classifier v3 production <why>`.",
        ),
    ),
    # ---- metric gates
    "absolute-gate-fails": Case(
        facts(version_metrics={"accuracy": 0.75, "f1": 0.89}),
        "refused",
        {"accuracy ≥ 0.80": ("fail", "0.750")},
        ("accuracy of v3 is 0.750, which fails the gate accuracy ≥ 0.80",),
    ),
    "absolute-gate-rounding-never-hides-a-failure": Case(
        facts(version_metrics={"accuracy": 0.79999, "f1": 0.89}),
        "refused",
        {"accuracy ≥ 0.80": ("fail", "0.79999")},
    ),
    "absolute-gate-exact-boundary-passes": Case(
        facts(version_metrics={"accuracy": 0.80, "f1": 0.89}),
        "needs_approval",
        {"accuracy ≥ 0.80": ("pass", "0.800")},
    ),
    "relative-gate-within-tolerance-passes": Case(
        facts(version_metrics={"accuracy": 0.9, "f1": 0.864}),
        "needs_approval",
        {"f1 ≥ production − 0.01": ("pass", "0.864 vs 0.874 (v2)")},
    ),
    "relative-gate-fails": Case(
        facts(version_metrics={"accuracy": 0.9, "f1": 0.85}),
        "refused",
        {"f1 ≥ production − 0.01": ("fail", "0.850 vs 0.874 (v2)")},
        ("needs f1 ≥ 0.864 (v2 in Production has 0.874); promote a version with f1 ≥ 0.864",),
    ),
    "metric-missing-on-candidate": Case(
        facts(version_metrics={"accuracy": 0.9}),
        "refused",
        {"f1 ≥ production − 0.01": ("fail", "v3 has no `f1`")},
        ("v3 has no metric `f1`; log it in the training run.",),
    ),
    "relative-gate-without-holder-passes": Case(
        facts(holders={}),
        "needs_approval",
        {"f1 ≥ production − 0.01": ("pass", "no version in Production to compare")},
    ),
    "relative-gate-holder-without-metric-passes": Case(
        facts(holders={"Production": (2, {"accuracy": 0.9})}),
        "needs_approval",
        {"f1 ≥ production − 0.01": ("pass", "v2 in Production has no `f1` to compare")},
    ),
    "lower-is-better-and-plus-offset-pass": Case(
        fraud(),
        "needs_approval",
        {
            "false_positive_rate < 0.05": ("pass", "0.030"),
            "recall ≥ staging": ("pass", "0.810 vs 0.810 (v5)"),
            "auc > production + 0.01": ("pass", "0.950 vs 0.930 (v4)"),
            "approvals": ("pending", "0 of 2 from ml-leads or risk"),
        },
    ),
    "lower-is-better-and-plus-offset-fail": Case(
        fraud(version_metrics={"false_positive_rate": 0.05, "recall": 0.81, "auc": 0.94}),
        "refused",
        {
            "false_positive_rate < 0.05": ("fail", "0.050"),
            "auc > production + 0.01": ("fail", "0.940 vs 0.930 (v4)"),
        },
        (
            "false_positive_rate of v5 is 0.050",
            "the gate auc > production + 0.01 needs auc > 0.940",
        ),
    ),
    # ---- freeze windows (Europe/Berlin, fri 16:00–23:59)
    "freeze-inside-winter": Case(
        facts(now=fri_berlin(16, 30)),
        "refused",
        {"freeze": ("fail", "frozen fri 16:00–23:59 Europe/Berlin: no Friday-evening releases")},
        (
            "Promotions of sentiment-classifier to Production are frozen (fri 16:00–23:59 "
            "Europe/Berlin: no Friday-evening releases); try again from Sat 00:00 Europe/Berlin.",
        ),
    ),
    "freeze-last-minute-is-inside": Case(
        facts(now=fri_berlin(23, 59)), "refused", {"freeze": ("fail", "frozen fri 16:00–23:59")}
    ),
    "freeze-just-before": Case(
        facts(now=fri_berlin(15, 59)),
        "needs_approval",
        {"freeze": ("pass", "not in a freeze window")},
    ),
    "freeze-inside-summer-time": Case(
        facts(now=fri_berlin(16, 0, month=7)), "refused", {"freeze": ("fail", "frozen fri")}
    ),
    "freeze-outside-summer-time": Case(
        facts(now=fri_berlin(15, 59, month=7)), "needs_approval", {"freeze": ("pass", "")}
    ),
    "freeze-is-wall-clock-not-utc": Case(
        # 15:30 UTC is 15:30 in London but 16:30 in Berlin.
        facts(now=datetime.datetime(2026, 11, 27, 15, 30, tzinfo=UTC)),
        "refused",
        {"freeze": ("fail", "frozen fri")},
    ),
    "freeze-other-day": Case(
        facts(now=THURSDAY.replace(hour=17)), "needs_approval", {"freeze": ("pass", "")}
    ),
    # ---- freeze crossing midnight (America/New_York, fri 22:00–06:00)
    "midnight-window-friday-night": Case(
        fraud(now=new_york(27, 22, 30)),
        "refused",
        {"freeze": ("fail", "frozen fri 22:00–06:00 America/New_York: weekend batch scoring")},
        ("try again from Sat 06:01 America/New_York",),
    ),
    "midnight-window-saturday-early": Case(
        fraud(now=new_york(28, 6, 0)), "refused", {"freeze": ("fail", "frozen fri 22:00–06:00")}
    ),
    "midnight-window-saturday-after-end": Case(
        fraud(now=new_york(28, 6, 1)), "needs_approval", {"freeze": ("pass", "")}
    ),
    "midnight-window-friday-before-start": Case(
        fraud(now=new_york(27, 21, 59)), "needs_approval", {"freeze": ("pass", "")}
    ),
    "midnight-window-starts-only-on-friday": Case(
        # Thursday night into Friday morning is not a window: `days` names the start day.
        fraud(now=new_york(27, 3, 0)),
        "needs_approval",
        {"freeze": ("pass", "")},
    ),
    "midnight-window-saturday-night": Case(
        fraud(now=new_york(28, 23, 0)), "needs_approval", {"freeze": ("pass", "")}
    ),
    # ---- rollback
    "rollback-during-freeze-is-allowed": Case(
        facts(
            action="rollback", actor="slack:U01CAROL", reason="error spike", now=fri_berlin(18, 0)
        ),
        "allowed",
        {"requester": ("pass", "carol is in oncall"), "reason": ("pass", '"error spike"')},
    ),
    "rollback-by-non-oncall": Case(
        facts(action="rollback", reason="want v1"),
        "refused",
        {"requester": ("fail", "bob is not in oncall or ml-leads")},
        ("Only oncall or ml-leads may roll back sentiment-classifier, and bob is not in",),
    ),
    "rollback-needs-reason": Case(
        facts(action="rollback", actor="cli:alice", reason="", **to("@champion")),
        "refused",
        {"reason": ("fail", "no reason given")},
        (
            "A reason is required to roll back sentiment-classifier; add a reason: "
            "`rollback sentiment-classifier @champion <why>`.",
        ),
    ),
    "rollback-onto-a-target-no-rule-names": Case(
        facts(action="rollback", actor="slack:U01CAROL", reason="x", **to("@shadow")),
        "refused",
        {"policy": ("fail", "no rule for @shadow")},
        ("has no rule for @shadow, so rollbacks there are refused; it has rules for",),
    ),
    "rollback-without-rule": Case(
        fraud(action="rollback"),
        "refused",
        {"policy": ("fail", "no rollback rule")},
        ("has no rollback rule, so nobody may roll it back",),
    ),
    # ---- approvals
    "approvals-requester-is-an-approver": Case(
        facts(actor="github:alice"),
        "needs_approval",
        {"approvals": ("pending", "0 of 1 from ml-leads (alice cannot approve their own request)")},
    ),
    "approvals-impossible-without-self-approval": Case(
        facts(model="ranker", actor="github:alice"),
        "refused",
        {"approvals": ("fail", "0 of 2 from ml-leads (alice cannot approve their own request)")},
        ("Production needs 2 approvals from ml-leads, but only 1 of them may approve",),
    ),
    # ---- fail closed, matching
    "unknown-model": Case(
        facts(model="churn"),
        "refused",
        {"policy": ("fail", "no policy names churn")},
        (
            "No policy names model `churn`; add it to a file in policies/ "
            "(see `promobot policy check`).",
        ),
        policy="example",
    ),
    "unknown-target": Case(
        facts(**to("@challenger")),
        "refused",
        {"policy": ("fail", "no rule for @challenger")},
        ("it has rules for Staging, Production and @champion. Add `@challenger`",),
    ),
    "catch-all-entry-lists-only-staging": Case(
        facts(model="churn"),
        "refused",
        {"policy": ("fail", "no rule for Production")},
        ("it has rules for Staging.",),
    ),
    "catch-all-entry-allows-staging": Case(
        facts(model="churn", **to("staging")), "allowed", {"requester": ("pass", "")}
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_decide(case: Case) -> None:
    decision = decide(POLICIES[case.policy], case.facts)

    assert decision.outcome == case.outcome, decision.reasons
    by_name = {check.name: check for check in decision.checks}
    for name, (status, detail) in case.checks.items():
        assert name in by_name, [check.name for check in decision.checks]
        assert by_name[name].status == status, by_name[name]
        assert detail in by_name[name].detail
    failed = [check for check in decision.checks if check.status == "fail"]
    assert len(decision.reasons) == len(failed)
    assert all(check.fix for check in failed)
    for wanted, reason in zip(case.reasons, decision.reasons, strict=False):
        assert wanted in reason, decision.reasons
    if case.outcome != "refused":
        assert decision.reasons == ()


def test_checks_come_in_the_documented_order() -> None:
    decision = decide(RULES, facts())

    assert [check.name for check in decision.checks] == [
        "requester",
        "stage order",
        "reason",
        "accuracy ≥ 0.80",
        "f1 ≥ production − 0.01",
        "freeze",
        "approvals",
    ]


def test_a_refusal_names_every_failed_rule() -> None:
    decision = decide(
        RULES,
        facts(
            actor="github:mallory",
            reason="",
            version_stage="None",
            version_metrics={"accuracy": 0.5},
            now=fri_berlin(17, 0),
        ),
    )

    assert decision.outcome == "refused"
    assert [check.name for check in decision.checks if check.status == "fail"] == [
        "requester",
        "stage order",
        "reason",
        "accuracy ≥ 0.80",
        "f1 ≥ production − 0.01",
        "freeze",
    ]
    assert len(decision.reasons) == 6


def test_needs_approval_says_from_whom_and_when_it_expires() -> None:
    decision = decide(RULES, facts())

    assert decision.outcome == "needs_approval"
    assert decision.approvals_required == 1
    assert decision.approvers == ("ml-leads",)
    assert decision.expires_at == THURSDAY + datetime.timedelta(hours=24)
    assert decision.rule is RULES.models[0].targets["production"]

    fraud_decision = decide(RULES, fraud())
    assert fraud_decision.expires_at == THURSDAY + datetime.timedelta(hours=1, minutes=30)
    assert (fraud_decision.approvals_required, fraud_decision.approvers) == (
        2,
        ("ml-leads", "risk"),
    )


def test_allowed_and_refused_carry_no_expiry() -> None:
    assert decide(RULES, facts(**to("staging"))).expires_at is None
    assert decide(RULES, facts(reason="")).expires_at is None


def test_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown action"):
        decide(RULES, facts(action="demote"))


# ---------------------------------------------------------------- approvals


PRODUCTION = RULES.models[0].targets["production"]
FRAUD_PRODUCTION = RULES.models[1].targets["production"]
ROLLBACK = RULES.models[0].rollback


@pytest.mark.parametrize(
    "approver",
    ["slack:U01ALICE", "github:alice", "github:Alice", "cli:alice", "alice@example.com"],
)
def test_nobody_approves_their_own_request_from_any_door(approver: str) -> None:
    assert (
        approval_check(RULES, PRODUCTION, "slack:U01ALICE", approver)
        == "alice cannot approve their own request"
    )


@pytest.mark.parametrize(
    ("requester", "approver", "answer"),
    [
        ("slack:U01BOB", "github:dave", None),
        ("slack:U01BOB", "cli:alice", None),
        (
            "slack:U01BOB",
            "github:carol",
            "carol is not in ml-leads, who approve Production for sentiment-classifier",
        ),
        (
            "slack:U01BOB",
            "github:mallory",
            "github:mallory is not in ml-leads, who approve Production for sentiment-classifier",
        ),
        ("github:mallory", "github:mallory", "github:mallory cannot approve their own request"),
        ("github:alice", "slack:U01ALICE", None),  # fraud-*: self_approval: true
        ("github:alice", "cli:frank", None),
        (
            "github:alice",
            "cli:bob",
            "bob is not in ml-leads or risk, who approve Production for fraud-*",
        ),
    ],
    ids=[
        "lead",
        "other-lead",
        "not-a-lead",
        "unknown",
        "unknown-self",
        "self-approval-allowed",
        "person-without-handles",
        "not-in-either-group",
    ],
)
def test_approval_check(requester: str, approver: str, answer: str | None) -> None:
    rule = FRAUD_PRODUCTION if requester == "github:alice" else PRODUCTION

    assert approval_check(RULES, rule, requester, approver) == answer


@pytest.mark.parametrize(
    ("requester", "actor", "answer"),
    [
        ("slack:U01BOB", "cli:bob", "bob cannot deny their own request"),
        (
            "slack:U01BOB",
            "github:carol",
            "carol is not in ml-leads, who deny Production for sentiment-classifier",
        ),
        ("slack:U01BOB", "github:dave", None),
        ("slack:U01CAROL", "github:alice", "nobody denys rollbacks for sentiment-classifier"),
    ],
    ids=["own-request", "not-an-approver", "approver", "rule-without-approvers"],
)
def test_approval_check_words_a_denial(requester: str, actor: str, answer: str | None) -> None:
    rule = ROLLBACK if requester == "slack:U01CAROL" else PRODUCTION
    assert rule is not None

    assert approval_check(RULES, rule, requester, actor, verb="deny") == answer


@pytest.mark.parametrize(
    ("requester", "actor"),
    [
        ("slack:U01BOB", "slack:U01BOB"),
        ("slack:U01BOB", "github:carol"),
        ("slack:U01BOB", "github:mallory"),
        ("github:alice", "cli:bob"),
        ("slack:U01CAROL", "github:alice"),
    ],
    ids=["own", "not-a-lead", "unknown", "not-in-either-group", "nobody-approves"],
)
def test_a_denial_reads_as_the_approval_sentence_with_deny(requester: str, actor: str) -> None:
    # The service used to word a denial as approval_check's sentence with "approve"
    # replaced by "deny"; verb="deny" builds that very sentence.
    rule = {"github:alice": FRAUD_PRODUCTION, "slack:U01CAROL": ROLLBACK}.get(requester, PRODUCTION)
    assert rule is not None
    approving = approval_check(RULES, rule, requester, actor)
    assert approving is not None

    assert approval_check(RULES, rule, requester, actor, verb="deny") == approving.replace(
        "approve", "deny"
    )


def test_rollback_without_approvers_names_nobody() -> None:
    assert ROLLBACK is not None
    assert (
        approval_check(RULES, ROLLBACK, "slack:U01CAROL", "github:alice")
        == "nobody approves rollbacks for sentiment-classifier"
    )


def test_counted_approvers_counts_each_person_once_in_the_order_they_came() -> None:
    actors = [
        "github:dave",
        "slack:U01DAVE",
        "dave@example.com",
        "cli:dave",
        "github:carol",  # not a lead
        "slack:U01ALICE",
        "github:alice",
    ]

    assert counted_approvers(RULES, PRODUCTION, "slack:U01BOB", actors) == [
        "github:dave",
        "slack:U01ALICE",
    ]
    assert counted_approvers(RULES, PRODUCTION, "cli:alice", actors) == ["github:dave"]
    assert counted_approvers(RULES, PRODUCTION, "cli:alice", []) == []


def test_counted_approvers_with_self_approval() -> None:
    actors = ["github:alice", "cli:alice", "cli:erin-cli", "github:erin-x"]

    assert counted_approvers(RULES, FRAUD_PRODUCTION, "github:alice", actors) == [
        "github:alice",
        "cli:erin-cli",
    ]


def test_counted_approvers_keep_the_order_and_leave_out_the_requester() -> None:
    actors = ["slack:U01DAVE", "github:alice", "github:Dave"]

    assert counted_approvers(RULES, PRODUCTION, "slack:U01BOB", actors) == [
        "slack:U01DAVE",
        "github:alice",
    ]
    assert counted_approvers(RULES, PRODUCTION, "github:ALICE", actors) == ["slack:U01DAVE"]


def test_a_hand_built_policy_works_like_a_loaded_one() -> None:
    rule = TargetRule("staging", ("team",), ("team",), 1, model="m")
    policy = Policy(
        people={"ann": Person("ann", "ann@example.com", "ann", None, None)},
        groups={"team": ("ann",)},
        models=(ModelRules("m", {"staging": rule}, None, "inline"),),
    )

    assert policy.person_for("cli:ann") == policy.people["ann"]
    assert approval_check(policy, rule, "github:ann", "cli:ann") == (
        "ann cannot approve their own request"
    )
    assert decide(policy, facts(model="m", actor="cli:ann", **to("staging"))).outcome == "refused"
