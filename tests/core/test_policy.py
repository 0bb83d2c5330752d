"""Decisions: every rule allowed and refused, identities, approvals and explanations."""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.policy import (
    ModelRules,
    Person,
    Policy,
    RequestFacts,
    TargetRule,
    approval_check,
    count_approvals,
    decide,
    explain,
    load_policy,
)

ROOT = Path(__file__).resolve().parents[2]
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


@pytest.mark.parametrize(
    ("model", "pattern"),
    [
        ("sentiment-classifier", "sentiment-classifier"),
        ("fraud-detector", "fraud-*"),
        ("fraud-", "fraud-*"),
        ("Fraud-detector", "*"),  # globs are case-sensitive, like model names
        ("ranker", "ranker"),
        ("anything", "*"),
    ],
)
def test_first_matching_entry_wins(model: str, pattern: str) -> None:
    rules = RULES.rules_for(model)

    assert rules is not None and rules.pattern == pattern


def test_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown action"):
        decide(RULES, facts(action="demote"))


# ---------------------------------------------------------------- identities


PRODUCTION = RULES.models[0].targets["production"]
FRAUD_PRODUCTION = RULES.models[1].targets["production"]
ROLLBACK = RULES.models[0].rollback


@pytest.mark.parametrize(
    "handle",
    [
        "slack:U01ALICE",
        "github:alice",
        "github:ALICE",
        "cli:alice",
        "alice@example.com",
        "Alice@Example.COM",
    ],
)
def test_identities_map_every_handle_to_one_person(handle: str) -> None:
    assert RULES.person_for(handle) == RULES.people["alice"]
    assert RULES.display(handle) == "alice@example.com"
    assert RULES.same_person(handle, "slack:U01ALICE")


def test_unknown_and_partial_identities() -> None:
    assert RULES.person_for("github:mallory") is None
    assert RULES.person_for("alice") is None  # a bare name is not a handle
    assert RULES.person_for("email:alice@example.com") is None
    assert RULES.display("github:mallory") == "github:mallory"
    assert RULES.display("github:erin-x") == "github:erin-x"  # no e-mail: the handle used
    assert RULES.display("frank@example.com") == "Frank@Example.com"
    assert RULES.same_person("github:mallory", "github:Mallory")
    assert not RULES.same_person("github:mallory", "github:alice")
    assert not RULES.same_person("github:alice", "github:bob")


def test_members_expands_groups_and_people() -> None:
    assert RULES.members(["ml-leads", "risk"]) == {"alice", "dave", "erin", "frank"}
    assert RULES.members(["bob", "oncall"]) == {"bob", "carol"}
    assert RULES.members(["nobody"]) == set()


# ---------------------------------------------------------------- approvals


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


def test_rollback_without_approvers_names_nobody() -> None:
    assert ROLLBACK is not None
    assert (
        approval_check(RULES, ROLLBACK, "slack:U01CAROL", "github:alice")
        == "nobody approves rollbacks for sentiment-classifier"
    )


def test_count_approvals_counts_each_person_once() -> None:
    approvals = [
        "github:dave",
        "slack:U01DAVE",
        "dave@example.com",
        "cli:dave",
        "github:carol",  # not a lead
        "slack:U01ALICE",
        "github:alice",
    ]

    assert count_approvals(RULES, PRODUCTION, "slack:U01BOB", approvals) == ["dave", "alice"]
    assert count_approvals(RULES, PRODUCTION, "cli:alice", approvals) == ["dave"]
    assert count_approvals(RULES, PRODUCTION, "cli:alice", []) == []


def test_count_approvals_with_self_approval() -> None:
    approvals = ["github:alice", "cli:alice", "cli:erin-cli", "github:erin-x"]

    assert count_approvals(RULES, FRAUD_PRODUCTION, "github:alice", approvals) == ["alice", "erin"]


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


# ---------------------------------------------------------------- explain


def test_explain_reads_the_example_policy_as_sentences() -> None:
    assert explain(EXAMPLE, M) == [
        ("Staging", ["requested by ml-engineers (alice, bob, carol, dave)", "no approval needed"]),
        (
            "Production",
            [
                "requested by ml-engineers (alice, bob, carol, dave)",
                "needs 1 approval from ml-leads (alice, dave); nobody approves their own request",
                "must be in Staging first",
                "a reason is required",
                "accuracy ≥ 0.70",
                "f1 ≥ production − 0.02",
                "frozen fri 16:00–23:59 Europe/Berlin: no Friday-evening releases",
                "requests expire after 24h",
            ],
        ),
        ("@champion", ["requested by ml-leads (alice, dave)", "no approval needed"]),
        (
            "rollback",
            [
                "requested by oncall (carol) or ml-leads (alice, dave)",
                "no approval needed",
                "a reason is required",
                "freeze windows never block a rollback",
            ],
        ),
    ]


def test_explain_glob_entry() -> None:
    assert explain(RULES, "fraud-detector") == [
        (
            "Production",
            [
                "requested by ml-engineers (alice, bob, carol, dave) or erin",
                "needs 2 approvals from ml-leads (alice, dave) or risk (erin, frank); "
                "the requester may approve their own request",
                "false_positive_rate < 0.05",
                "recall ≥ staging",
                "auc > production + 0.01",
                "frozen fri 22:00–06:00 America/New_York: weekend batch scoring",
                "requests expire after 1h30m",
            ],
        )
    ]


def test_explain_unknown_model_is_none() -> None:
    assert explain(EXAMPLE, "churn") is None
