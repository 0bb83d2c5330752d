"""What the parser produces: the typed commands, and the result that carries one or a reply.

The meaning of each field is the contract's (docs/contract.md, "Commands").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

STAGES = {"staging": "Staging", "production": "Production", "archived": "Archived"}

HISTORY_DEFAULT_LIMIT = 20
HISTORY_MAX_LIMIT = 1000


@dataclass(frozen=True)
class VersionSpec:
    """How the user named a version.

    kind "number": value is the decimal string of a positive int ("3").
    kind "latest": value is "latest".
    kind "alias":  value is the alias name without "@", lower-cased ("champion").
    kind "stage":  value is the canonical stage name ("Staging", "Production", "Archived").
    """

    kind: Literal["number", "latest", "alias", "stage"]
    value: str

    def __str__(self) -> str:
        if self.kind == "number":
            return f"v{self.value}"
        if self.kind == "alias":
            return f"@{self.value}"
        return self.value


@dataclass(frozen=True)
class Target:
    """Where a version goes.

    kind "stage": name is canonical ("Staging", "Production", "Archived").
    kind "alias": name is the alias without "@", lower-cased ("champion").
    """

    kind: Literal["stage", "alias"]
    name: str

    @property
    def label(self) -> str:
        """As shown to people and written in `promoted_to`: `Production` or `@champion`."""
        return self.name if self.kind == "stage" else f"@{self.name}"

    @property
    def key(self) -> str:
        """As written in policy files and tag keys: `production` or `@champion`."""
        return self.name.lower() if self.kind == "stage" else f"@{self.name}"

    @property
    def alias(self) -> str:
        """The alias that always mirrors this target (`production` for Production)."""
        return self.name.lower()


@dataclass(frozen=True)
class Promote:
    model: str
    version: VersionSpec | None  # None only when the door may fill it in (PR head)
    target: Target
    reason: str = ""
    dry_run: bool = False


@dataclass(frozen=True)
class Rollback:
    model: str
    target: Target  # defaults to Production
    to_version: VersionSpec | None = None
    reason: str = ""
    dry_run: bool = False
    # No target was named: the default, which a registry without stages reads as
    # @production.
    default_target: bool = False


@dataclass(frozen=True)
class Approve:
    request_id: str
    comment: str = ""


@dataclass(frozen=True)
class Deny:
    request_id: str
    reason: str = ""


@dataclass(frozen=True)
class Status:
    model: str


@dataclass(frozen=True)
class History:
    model: str
    limit: int = HISTORY_DEFAULT_LIMIT


@dataclass(frozen=True)
class PolicyExplain:
    model: str


@dataclass(frozen=True)
class Lock:
    model: str
    target: Target | None  # None: every target the policy names for the model
    reason: str = ""
    duration: timedelta | None = None  # --for; None: until someone unlocks it


@dataclass(frozen=True)
class Unlock:
    model: str
    target: Target | None  # None: every target of the model that is locked


@dataclass(frozen=True)
class Help:
    topic: str = ""  # "" or a command word


Command = (
    Promote | Rollback | Approve | Deny | Status | History | PolicyExplain | Lock | Unlock | Help
)


@dataclass(frozen=True)
class ParseResult:
    """Exactly one of: a command, a reply (what is wrong + the right form), or ignore.

    `reply` is plain text with `code` in backticks, fit for every door. `ignore` is set
    only by `parse_comment`, for a comment that is not addressed to promobot at all.
    """

    command: Command | None = None
    reply: str | None = None
    ignore: bool = False
