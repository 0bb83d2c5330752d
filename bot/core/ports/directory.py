"""The directory port: the members of a group kept elsewhere (a GitHub team, a Slack
user group), as handles, or why they could not be read.

The service asks it for the teams and user groups a rule's groups name
(`github-team:acme/ml-leads`, `slack-group:S0SRE`) and hands what it found to the policy
as data (`bot.core.policy.Membership`). The adapters are in bot/adapters/directory/; bot/app.py
wires
them in. A lookup never raises: a failure (no token, 404, 5xx, a timeout, an answer
that is not what the API documents) is a sentence in the `Lookup`, and the group then
grants nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Lookup:
    source: str  # as written in the policy: "github-team:acme/ml-leads"
    handles: tuple[str, ...] = ()  # "github:alice", "slack:U01ALICE"
    error: str = ""  # why the members could not be read; "" when they were

    @property
    def ok(self) -> bool:
        return not self.error


class Directory(Protocol):
    def members(self, source: str) -> Lookup:
        """The members of one team or user group, or why not."""
        ...


__all__ = ["Directory", "Lookup"]
