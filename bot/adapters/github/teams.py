"""The directory port (bot/core/ports/directory.py) for `github-team:<org>/<slug>`: a
GitHub team's members, `GET /orgs/{org}/teams/{team_slug}/members`, every page.

Pages follow the `Link` header's `next` only while it stays on GITHUB_API_URL (the
client's rule). The token needs to see the organisation's teams (`read:org`, or a
GitHub App's "Members: read"); Actions' own GITHUB_TOKEN cannot. A lookup never raises:
what went wrong is the sentence of the Lookup, and the team then grants nothing.
"""

from __future__ import annotations

import re

from bot.adapters.github.client import GitHubClient, quoted
from bot.core.ports.directory import Lookup
from bot.core.ports.github import GitHubError

_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\[bot\])?$")


class GitHubTeams:
    """`client` is None without GITHUB_TOKEN."""

    def __init__(self, client: GitHubClient | None) -> None:
        self.client = client

    def members(self, source: str) -> Lookup:
        """`github-team:acme/ml-leads` → its members as `github:<login>`."""
        org, _, slug = source.partition(":")[2].partition("/")
        if self.client is None:
            return Lookup(source, error="GITHUB_TOKEN is not set, so GitHub teams cannot be read")
        path = f"/orgs/{quoted(org)}/teams/{quoted(slug)}/members"
        try:
            what = f"read the members of {org}/{slug}"
            members = self.client.pages(path, what, "teams", items="members")
        except GitHubError as exc:
            return Lookup(source, error=_explained(exc, org, slug))
        logins = [m.get("login") if isinstance(m, dict) else None for m in members]
        if not all(isinstance(login, str) and _LOGIN.fullmatch(login) for login in logins):
            return Lookup(source, error="GitHub's answer was not a list of members")
        return Lookup(source, tuple(f"github:{login}" for login in dict.fromkeys(logins)))


def _explained(failed: GitHubError, org: str, slug: str) -> str:
    if failed.status == 404:
        return (
            f"GitHub answered 404: no team `{slug}` in `{org}`, or the token cannot see it "
            "(it needs read:org)"
        )
    if failed.status == 401:
        return "GitHub refused the token (401; check GITHUB_TOKEN)"
    if failed.status == 403:
        return "GitHub answered 403 (the token needs read:org, or its rate limit is spent)"
    return failed.short
