"""Groups whose members live elsewhere: GitHub teams and Slack user groups.

A group lists person keys and, beside them, `github-team:<org>/<team-slug>` and
`slack-group:<user group id>` (docs/contract.md, "Policy files"). This module holds the
syntax of those entries (the schema checks it, offline) and `Membership`: what the
lookups found now, which the service reads through the directory port and hands to the
decisions as data, so that deciding stays a pure function.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

GITHUB_TEAM = "github-team"
SLACK_GROUP = "slack-group"
PREFIXES = (GITHUB_TEAM, SLACK_GROUP)

_PERSON = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_ORG = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_SLUG = r"[a-z0-9][a-z0-9_-]*"
_USERGROUP = r"S[A-Z0-9]{2,}"
MEMBER_PATTERN = rf"^(?:{_PERSON}|{GITHUB_TEAM}:{_ORG}/{_SLUG}|{SLACK_GROUP}:{_USERGROUP})$"

_WHAT_TO_WRITE = (
    "write a person's key, `github-team:<org>/<team-slug>` or `slack-group:<user group id>`"
)
_TEAM_EXAMPLE = "e.g. `github-team:acme/ml-leads`"
_GROUP_EXAMPLE = "e.g. `slack-group:S0123ABCD`"


def is_external(member: str) -> bool:
    """A team or user group rather than a person key (person keys have no `:`)."""
    return ":" in member


def member_problem(text: str) -> str | None:
    """Why a group's entry is not a person key, a team or a user group; None when it is."""
    if not is_external(text):
        if re.fullmatch(_PERSON, text):
            return None
        return (
            f'"{text}" is not a valid name ({_WHAT_TO_WRITE}; a name uses letters, digits, '
            "'.', '_' and '-', e.g. alice)"
        )
    prefix, _, rest = text.partition(":")
    if prefix == GITHUB_TEAM:
        return _team_problem(text, rest)
    if prefix == SLACK_GROUP:
        return _usergroup_problem(text, rest)
    if prefix in ("github", "slack", "cli", "mlflow"):
        return (
            f"`{text}` is a handle, and groups list people by their key (add the person to "
            f"people with `{prefix}: {rest or '…'}` and list their key here, or {_WHAT_TO_WRITE})"
        )
    close = difflib.get_close_matches(prefix, PREFIXES, n=1, cutoff=0.6)
    hint = f"did you mean `{close[0]}:`? " if close else ""
    return f"`{text}` has an unknown prefix `{prefix}:` ({hint}{_WHAT_TO_WRITE})"


def _team_problem(text: str, rest: str) -> str | None:
    org, slash, slug = rest.partition("/")
    if not rest:
        return f"`{text}` names no team (write `github-team:<org>/<team-slug>`, {_TEAM_EXAMPLE})"
    if not slash or not org:
        return (
            f"`{text}` needs the organisation and the team's slug (write "
            f"`github-team:<org>/<team-slug>`, {_TEAM_EXAMPLE})"
        )
    if not re.fullmatch(_ORG, org):
        return (
            f"`{org}` in `{text}` is not a GitHub organisation (letters, digits and '-', as "
            f"in github.com/<org>; {_TEAM_EXAMPLE})"
        )
    if not slug:
        return f"`{text}` has no team slug after the `/` (write the slug, {_TEAM_EXAMPLE})"
    if re.fullmatch(_SLUG, slug):
        return None
    lowered = slug.lower()
    if re.fullmatch(_SLUG, lowered):
        return f"team slugs are lower case (write `github-team:{org}/{lowered}`)"
    return (
        f"`{slug}` in `{text}` is not a team slug (write the slug from the team's page, "
        f"github.com/orgs/{org}/teams/<slug>: lower-case letters, digits, '-' and '_', "
        f"{_TEAM_EXAMPLE})"
    )


def _usergroup_problem(text: str, rest: str) -> str | None:
    if not rest:
        return (
            f"`{text}` has no user group id (write `slack-group:<user group id>`, "
            f"{_GROUP_EXAMPLE}; the id starts with S)"
        )
    if re.fullmatch(_USERGROUP, rest):
        return None
    if re.fullmatch(_USERGROUP, rest.upper()):
        return f"Slack ids are upper case (write `slack-group:{rest.upper()}`)"
    return (
        f"`{rest}` in `{text}` is not a Slack user group id (write the id, which starts "
        f"with S, not the group's @handle, {_GROUP_EXAMPLE})"
    )


@dataclass(frozen=True)
class Membership:
    """What the lookups of external groups found, as of one command: each team's or user
    group's members as handles (`github:alice`, `slack:U01ALICE`), and for each lookup that
    failed, why. An entry found in neither grants nothing (fail closed)."""

    found: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    failed: Mapping[str, str] = field(default_factory=dict)

    def handles(self, source: str) -> tuple[str, ...]:
        return tuple(self.found.get(source, ()))

    def why(self, source: str) -> str:
        """Why a source's members are not known ("" when they are)."""
        if source in self.found:
            return ""
        return self.failed.get(source, "it was not looked up")

    def unread(self, sources: Iterable[str]) -> list[str]:
        """`github-team:acme/sre could not be read: GitHub answered 502`, for each source
        among `sources` whose lookup failed or was not made."""
        return [
            f"{source} could not be read: {self.why(source)}"
            for source in dict.fromkeys(sources)
            if source not in self.found
        ]


NO_LOOKUPS = Membership()
