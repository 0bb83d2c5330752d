"""Who may lock and unlock a target (bot/core/policy/locking.py): the target's requesters and
approvers, unless the model's `locks:` names who may."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.policy import load_policy, lock_refusal, lockers

ROOT = Path(__file__).resolve().parents[3]
RULES = load_policy(ROOT / "tests" / "fixtures" / "policies" / "good" / "rules.yaml")
LOCKS = load_policy(ROOT / "tests" / "fixtures" / "policies" / "good" / "locks.yaml")
M = "sentiment-classifier"


def rules_of(policy, model=M):
    rules = policy.rules_for(model)
    assert rules is not None
    return rules


@pytest.mark.parametrize(
    ("policy", "target", "names"),
    [
        (RULES, "production", ("ml-engineers", "ml-leads")),
        (RULES, "staging", ("ml-engineers",)),
        (RULES, "@champion", ("ml-leads",)),
        (RULES, "archived", ()),
        (LOCKS, "production", ("oncall", "alice")),
        (LOCKS, "staging", ("oncall", "alice")),
    ],
    ids=["requesters-and-approvers", "requesters", "alias", "no-rule", "locks-rule", "any"],
)
def test_lockers(policy, target: str, names: tuple[str, ...]) -> None:
    assert lockers(rules_of(policy), target) == names


@pytest.mark.parametrize(
    ("policy", "target", "actor", "refusal"),
    [
        (RULES, "production", "github:bob", None),
        (RULES, "production", "slack:U01DAVE", None),
        (
            RULES,
            "@champion",
            "github:bob",
            "Only ml-leads (the requesters and approvers of @champion) may lock or unlock "
            "@champion of m, and bob is not among them; ask alice or dave",
        ),
        (
            RULES,
            "production",
            "github:mallory",
            "Only ml-engineers or ml-leads (the requesters and approvers of Production) may "
            "lock or unlock Production of m, and github:mallory is not in the policy's "
            "people; ask alice, bob, carol or dave",
        ),
        (
            RULES,
            "archived",
            "github:alice",
            "Nobody may lock or unlock Archived of m: the policy has no rule for it",
        ),
        (LOCKS, "production", "github:carol", None),
        (LOCKS, "production", "github:alice", None),
        (
            LOCKS,
            "production",
            "github:bob",
            "Only oncall or alice (the policy's `locks:` (",
        ),
    ],
    ids=[
        "requester",
        "approver",
        "not-listed",
        "unknown",
        "no-rule",
        "locks-group",
        "locks-person",
        "not-in-locks",
    ],
)
def test_lock_refusal(policy, target: str, actor: str, refusal: str | None) -> None:
    said = lock_refusal(policy, rules_of(policy), "m", target, actor)
    if refusal is None:
        assert said is None
    else:
        assert said is not None and said.startswith(refusal)
