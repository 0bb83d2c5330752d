"""A quorum per group (bot/core/policy/quorum.py, and its use in the schema, the cross-file
checks and the decisions): one person's approval counts toward one group only."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from bot.core.policy import (
    Membership,
    QuorumCount,
    RequestFacts,
    check,
    counted_approvers,
    decide,
    load_policy,
    quorum_counts,
)
from bot.core.policy.quorum import assign

ROOT = Path(__file__).resolve().parents[3]
GROUPS_POLICY = load_policy(ROOT / "tests" / "fixtures" / "groups_policy.yaml")
THURSDAY = datetime.datetime(2026, 11, 26, 10, 2, tzinfo=datetime.UTC)

# ---------------------------------------------------------------- the matching

ASSIGNMENTS = {
    "one-person-in-both-fills-one": (
        [("leads", 1), ("sre", 1)],
        [("dave", ["leads", "sre"])],
        {"leads": ["dave"], "sre": []},
    ),
    "the-first-approver-moves-to-let-the-second-count": (
        [("leads", 1), ("sre", 1)],
        [("dave", ["leads", "sre"]), ("alice", ["leads"])],
        {"leads": ["alice"], "sre": ["dave"]},
    ),
    "two-from-one-group": (
        [("leads", 2)],
        [("alice", ["leads"]), ("erin", ["leads"]), ("frank", ["leads"])],
        {"leads": ["alice", "erin"]},
    ),
    "someone-in-no-group-counts-nowhere": (
        [("leads", 1)],
        [("mallory", []), ("alice", ["leads"])],
        {"leads": ["alice"]},
    ),
    # Either p and q both in a (one group satisfied) or p in b and q in c (two): the
    # largest set of groups that can be filled wins.
    "as-many-groups-as-possible": (
        [("a", 2), ("b", 1), ("c", 1)],
        [("p", ["a", "b"]), ("q", ["a", "c"])],
        {"a": [], "b": ["p"], "c": ["q"]},
    ),
    "every-place-taken-when-any-assignment-can": (
        [("a", 1), ("b", 1), ("c", 1)],
        [("x", ["a", "b", "c"]), ("y", ["a", "b"]), ("z", ["a"])],
        {"a": ["z"], "b": ["y"], "c": ["x"]},
    ),
}


@pytest.mark.parametrize("case", ASSIGNMENTS.values(), ids=ASSIGNMENTS.keys())
def test_assign(case: tuple[list, list, dict]) -> None:
    needs, people, expected = case
    assert assign(needs, people) == expected


def test_many_groups_are_still_assigned_in_the_order_written() -> None:
    needs = [(f"g{n}", 1) for n in range(14)]
    people = [(f"p{n}", [f"g{n}"]) for n in range(14)]
    assert assign(needs, people) == {f"g{n}": [f"p{n}"] for n in range(14)}


# ---------------------------------------------------------------- the file


def _file(tmp_path: Path, approvals: str, approvers: str = "") -> Path:
    path = tmp_path / "quorum.yaml"
    path.write_text(
        "people: {alice: {}, bob: {}, carol: {}}\n"
        "groups:\n"
        "  leads: [alice]\n"
        "  oncall: [alice, carol]\n"
        "  team: [alice, bob, carol]\n"
        "models:\n"
        "  - name: m\n"
        "    targets:\n"
        "      production:\n"
        "        requesters: [team]\n"
        f"{approvers}"
        f"        approvals: {approvals}\n",
        encoding="utf-8",
    )
    return path


def test_a_mapping_loads_as_one_count_per_group(tmp_path: Path) -> None:
    policy = load_policy(_file(tmp_path, "{leads: 1, oncall: 1}"))

    rule = policy.rules_for("m").targets["production"]  # type: ignore[union-attr]

    assert rule.quorum == (("leads", 1), ("oncall", 1))
    assert (rule.approvals, rule.approvers) == (2, ("leads", "oncall"))


def test_approvers_naming_the_same_groups_are_allowed(tmp_path: Path) -> None:
    path = _file(tmp_path, "{leads: 1, oncall: 1}", "        approvers: [oncall, leads]\n")
    assert check(path) == []


BAD_QUORUMS = {
    "approvers-differ": (
        "{leads: 1, oncall: 1}",
        "        approvers: [team]\n",
        11,
        "models[0].targets.production.approvers: with one count per group in `approvals`, "
        "`approvers` must name the same groups (remove `approvers`, or write "
        "`approvers: [leads, oncall]`)",
    ),
    "unknown-group": (
        "{leads: 1, sre: 1}",
        "",
        11,
        "models[0].targets.production.approvals.sre: `sre` is neither a group nor a person",
    ),
    "zero-for-a-group": (
        "{leads: 0}",
        "",
        11,
        "models[0].targets.production.approvals: `leads: 0` is not a count of 1 or more "
        "(write how many of leads must approve, e.g. `leads: 1`, or leave leads out)",
    ),
    "text-for-a-count": ("{leads: one}", "", 11, "`leads: one` is not a count of 1 or more"),
    "empty-mapping": ("{}", "", 11, "the mapping names no group"),
    "a-list": ("[leads]", "", 11, "expected a whole number, got a list"),
    "negative": ("-1", "", 11, "approvals: must be 0 or more, got the number -1"),
    "bad-group-name": ('{"ml leads": 1}', "", 11, "`ml leads` is not a group or person name"),
    # alice is the only lead and one of two in oncall: the three places take only two.
    "more-places-than-people": (
        "{leads: 1, oncall: 2}",
        "",
        11,
        "needs 3 approvals from different people, one per place (leads: 1, oncall: 2), but "
        "the people in these groups can fill only 2: one person's approval counts toward one "
        "group only (lower the counts, or add people to the groups)",
    ),
}


@pytest.mark.parametrize("case", BAD_QUORUMS.values(), ids=BAD_QUORUMS.keys())
def test_a_bad_quorum_is_refused_with_file_line_and_field(
    case: tuple[str, str, int, str], tmp_path: Path
) -> None:
    approvals, approvers, line, needle = case
    path = _file(tmp_path, approvals, approvers)

    problems = check(path)

    assert any(p.startswith(f"{path}:{line}: ") and needle in p for p in problems), problems


# ---------------------------------------------------------------- deciding and counting


def _facts(actor: str, membership: Membership) -> RequestFacts:
    return RequestFacts(
        model="fraud-detector",
        action="promote",
        target_key="production",
        target_label="Production",
        actor=actor,
        reason="",
        version=2,
        version_stage="Staging",
        version_metrics={},
        holders={},
        now=THURSDAY,
        membership=membership,
    )


FOUND = Membership(
    {
        "github-team:acme/ml-leads": ("github:alice", "github:bob", "github:dave"),
        "slack-group:S0SRE": ("slack:U01CAROL", "slack:U01DAVE"),
    }
)


def test_a_quorum_request_waits_with_each_groups_count() -> None:
    decision = decide(GROUPS_POLICY, _facts("slack:U01BOB", FOUND))

    assert decision.outcome == "needs_approval"
    approvals = next(c for c in decision.checks if c.name == "approvals")
    assert (approvals.status, approvals.detail) == (
        "pending",
        "ml-leads 0 of 1 · sre 0 of 1 (bob cannot approve their own request)",
    )


def test_a_quorum_nobody_can_fill_is_refused_at_once() -> None:
    # dave is the only one besides the requester: in both groups, he fills one place.
    only_dave = Membership(
        {
            "github-team:acme/ml-leads": ("github:bob", "github:dave"),
            "slack-group:S0SRE": ("slack:U01DAVE",),
        }
    )

    decision = decide(GROUPS_POLICY, _facts("slack:U01BOB", only_dave))

    assert decision.outcome == "refused"
    assert decision.reasons == (
        "Production needs 1 from ml-leads and 1 from sre, one person's approval counting "
        "toward one group only, but the people who may approve this request can give only 1 "
        "of those 2; add people to ml-leads and sre in the policy.",
    )


def test_a_quorum_whose_team_cannot_be_read_is_refused_and_says_why() -> None:
    down = Membership(
        {"slack-group:S0SRE": ("slack:U01CAROL",)},
        {"github-team:acme/ml-leads": "GitHub answered 502"},
    )

    decision = decide(GROUPS_POLICY, _facts("slack:U01BOB", down))

    assert decision.outcome == "refused"
    assert (
        "(github-team:acme/ml-leads could not be read: GitHub answered 502)"
        in (decision.reasons[0])
    )


def test_one_person_in_both_groups_counts_toward_one() -> None:
    rule = GROUPS_POLICY.rules_for("fraud-detector").targets["production"]  # type: ignore[union-attr]
    dave_twice = ["github:dave", "slack:U01DAVE"]

    assert counted_approvers(GROUPS_POLICY, rule, "slack:U01BOB", dave_twice, FOUND) == [
        "github:dave"
    ]
    assert quorum_counts(GROUPS_POLICY, rule, "slack:U01BOB", dave_twice, FOUND) == (
        QuorumCount("ml-leads", 1, 1),
        QuorumCount("sre", 0, 1),
    )
    with_carol = [*dave_twice, "github:carol"]
    assert counted_approvers(GROUPS_POLICY, rule, "slack:U01BOB", with_carol, FOUND) == [
        "github:dave",
        "github:carol",
    ]
    assert all(c.met for c in quorum_counts(GROUPS_POLICY, rule, "bob", with_carol, FOUND))


def test_without_lookups_nobody_in_a_team_counts() -> None:
    rule = GROUPS_POLICY.rules_for("fraud-detector").targets["production"]  # type: ignore[union-attr]

    assert counted_approvers(GROUPS_POLICY, rule, "slack:U01BOB", ["github:alice"]) == []
