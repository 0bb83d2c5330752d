"""A quorum per group (`approvals: {ml-leads: 1, sre: 1}`): which approval counts where.

One person's approval counts toward one group only, so nobody satisfies two groups
alone. Deciding which group each approval counts toward is a small bipartite matching
between the people who approved and the places the groups have (a group that needs two
approvals has two places).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rules → files → cross_checks import this module
    from bot.core.policy.groups import Membership
    from bot.core.policy.rules import Policy, TargetRule

# Past this many groups the search for the largest set of groups that can be filled
# completely (2^n tries) gives way to taking the groups in the order written.
_SEARCH_GROUPS_MAX = 12


@dataclass(frozen=True)
class QuorumCount:
    group: str
    have: int
    need: int

    @property
    def met(self) -> bool:
        return self.have >= self.need


def assign(
    needs: Sequence[tuple[str, int]], people: Sequence[tuple[str, Iterable[str]]]
) -> dict[str, list[str]]:
    """Group → the people whose approval counts toward it (in the order the people
    come), at most its need, each person toward one group only. `people` are (who, the
    groups they are in), first approver first.

    How: each group is `need` places, and a place may take a person who is in its group.
    First the largest set of groups whose places can all be taken together is found
    (sets tried from the largest down, in the order written; policies name a handful of
    groups), and its places are taken; then the other places are taken where they can be,
    by augmenting paths (Kuhn's algorithm), one place at a time. An augmenting path moves
    people between places but never empties a place, so the groups filled first stay
    full, and what is left in the end is a maximum matching: as many groups satisfied as
    possible, and every place taken whenever any assignment could take them all."""
    groups = [group for group, _ in needs]
    search = len(groups) <= _SEARCH_GROUPS_MAX
    for size in range(len(groups), 0, -1) if search else ():
        for chosen in itertools.combinations(groups, size):
            matching = _Matching(needs, people)
            if matching.fill(set(chosen)):
                matching.fill(set(groups))
                return matching.by_group()
    matching = _Matching(needs, people)
    matching.fill(set(groups))
    return matching.by_group()


def counts(
    needs: Sequence[tuple[str, int]], assigned: Mapping[str, list[str]]
) -> tuple[QuorumCount, ...]:
    return tuple(QuorumCount(group, len(assigned.get(group, [])), need) for group, need in needs)


def assign_approvers(
    policy: Policy, rule: TargetRule, actors: Iterable[str], membership: Membership | None
) -> dict[str, list[str]]:
    """`assign` for a rule's groups: group → the actors (or person keys) whose approval
    counts toward it."""
    members = {group: policy.members((group,), membership) for group, _ in rule.quorum}
    people = [
        (actor, [group for group, keys in members.items() if policy.key_for(actor) in keys])
        for actor in actors
    ]
    return assign(rule.quorum, people)


class _Matching:
    """Places (one per approval a group needs) matched to people, grown by augmenting
    paths that start at an empty place."""

    def __init__(
        self, needs: Sequence[tuple[str, int]], people: Sequence[tuple[str, Iterable[str]]]
    ) -> None:
        self.places = [group for group, need in needs for _ in range(need)]
        self.people = [who for who, _ in people]
        member_of = [set(in_groups) for _, in_groups in people]
        # Place → the people who may take it, first approver first.
        self.candidates = [
            [index for index, groups in enumerate(member_of) if group in groups]
            for group in self.places
        ]
        self.place_of: dict[int, int] = {}  # person → place
        self.holder: dict[int, int] = {}  # place → person

    def fill(self, groups: set[str]) -> bool:
        """Try to take every empty place of `groups`; True when all of them are taken."""
        for place, group in enumerate(self.places):
            if group in groups and place not in self.holder:
                self._augment(place, set())
        return all(p in self.holder for p, g in enumerate(self.places) if g in groups)

    def _augment(self, place: int, seen: set[int]) -> bool:
        for person in self.candidates[place]:
            if person in seen:
                continue
            seen.add(person)
            other = self.place_of.get(person)
            if other is None or self._augment(other, seen):
                self.place_of[person] = place
                self.holder[place] = person
                return True
        return False

    def by_group(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {group: [] for group in self.places}
        for person in sorted(self.place_of):
            out[self.places[self.place_of[person]]].append(self.people[person])
        return out
