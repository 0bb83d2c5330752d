"""Explaining the rules: what `policy <model>` says, per target and for rollbacks."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from bot.core.policy import Policy, TargetRule, explain, load_policy
from bot.core.policy.rules import ModelRules

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = load_policy(ROOT / "policies")
RULES = load_policy(ROOT / "tests" / "fixtures" / "policies" / "good" / "rules.yaml")
M = "sentiment-classifier"


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


@pytest.mark.parametrize(
    ("ttl", "text"),
    [
        (datetime.timedelta(seconds=30), "30s"),
        (datetime.timedelta(seconds=90), "1m30s"),
        (datetime.timedelta(minutes=30), "30m"),
        (datetime.timedelta(hours=1, seconds=5), "1h5s"),
        (datetime.timedelta(hours=24), "24h"),
        (datetime.timedelta(days=2, hours=12), "60h"),
        (datetime.timedelta(days=7), "7d"),
    ],
    ids=[
        "seconds",
        "minute-and-seconds",
        "minutes",
        "hour-and-seconds",
        "day",
        "days-hours",
        "week",
    ],
)
def test_a_request_ttl_is_explained_as_people_write_it(ttl: datetime.timedelta, text: str) -> None:
    rule = TargetRule("production", ("team",), ("team",), 1, request_ttl=ttl, model="m")
    policy = Policy({}, {"team": ()}, (ModelRules("m", {"production": rule}, None, "inline"),))

    explained = explain(policy, "m")

    assert explained is not None
    assert explained[0][1][-1] == f"requests expire after {text}"


def test_explain_says_who_locks_and_what_a_lock_and_a_denial_need() -> None:
    policy = load_policy(ROOT / "tests" / "fixtures" / "policies" / "good" / "locks.yaml")

    assert explain(policy, M) == [
        (
            "Production",
            [
                "requested by ml-engineers (alice, bob, carol)",
                "needs 1 approval from ml-leads (alice); nobody approves their own request",
                "requests expire after 24h",
                "a denial needs a reason",
            ],
        ),
        (
            "rollback",
            [
                "requested by oncall (carol)",
                "no approval needed",
                "a denial needs a reason",
                "a lock on the target stops rollbacks too",
                "freeze windows never block a rollback",
            ],
        ),
        ("locks", ["locked and unlocked by oncall (carol) or alice"]),
    ]
