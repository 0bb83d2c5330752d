"""What a decision is made on: the facts of one request, gathered by the service (the
candidate, its stage and metrics, what holds each stage, who asks, the clock, the
groups looked up, the checks and live figures read). Pure data."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from bot.core.policy.commit_checks import ChecksSnapshot
from bot.core.policy.groups import NO_LOOKUPS, Membership


@dataclass(frozen=True)
class RequestFacts:
    model: str
    action: str  # "promote" | "rollback"
    target_key: str  # Target.key
    target_label: str  # Target.label
    actor: str
    reason: str
    version: int  # the candidate
    version_stage: str  # "None"/"Staging"/"Production"/"Archived"
    version_metrics: dict[str, float]
    # What holds each stage (or alias, "@production") a relative gate compares with:
    # (version, metrics) now.
    holders: dict[str, tuple[int, dict[str, float]]]
    now: datetime.datetime  # aware, UTC
    # The members of the rule's GitHub teams and Slack user groups as looked up for this
    # decision (bot/core/policy/groups.py); a team not in it grants nothing.
    membership: Membership = field(default=NO_LOOKUPS)
    # The GitHub checks on the version's commit, read by the service when the rule has
    # `require_checks` (None when it does not, or they were not read).
    checks: ChecksSnapshot | None = None
    # When the candidate entered the rule's require_stage (for soak), if recorded.
    stage_since: datetime.datetime | None = None
    # Live gates' figures by check name: (the number, or None and why there is none).
    live: dict[str, tuple[float | None, str]] = field(default_factory=dict)
    # The aliases the candidate holds, as labelled ("@staging"): what `require_stage`
    # names in a registry without stages.
    version_aliases: tuple[str, ...] = ()

    def holds(self, label: str) -> bool:
        """Whether the candidate holds a stage ("Staging") or an alias ("@staging")."""
        return (
            label in self.version_aliases
            if label.startswith("@")
            else (self.version_stage == label)
        )
