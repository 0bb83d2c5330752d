"""A GitHub team's members: `GET /orgs/{org}/teams/{team_slug}/members`, every page.

Pages are followed through the `Link` header's `rel="next"` (100 members a page), and
only while it points at the same API. The token needs to see the organisation's teams
(`read:org`, or a GitHub App's "Members: read"); Actions' own GITHUB_TOKEN cannot.
"""

from __future__ import annotations

import re
import urllib.parse
import urllib.request

from bot.adapters.directory.http import TIMEOUT_S, LookupFailed, fetch_json
from bot.core.ports.directory import Lookup

PER_PAGE = 100
MAX_PAGES = 100  # 10,000 members; a bigger team is refused rather than read in part
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\[bot\])?$")
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class GitHubTeams:
    def __init__(self, api_url: str, token: str | None, *, timeout: float = TIMEOUT_S) -> None:
        self.api_url = (api_url or "https://api.github.com").rstrip("/")
        self.token = token
        self.timeout = timeout

    def members(self, source: str) -> Lookup:
        """`github-team:acme/ml-leads` → its members as `github:<login>`."""
        org, _, slug = source.partition(":")[2].partition("/")
        if not self.token:
            return Lookup(source, error="GITHUB_TOKEN is not set, so GitHub teams cannot be read")
        q = urllib.parse.quote
        url: str | None = (
            f"{self.api_url}/orgs/{q(org, safe='')}/teams/{q(slug, safe='')}/members"
            f"?per_page={PER_PAGE}"
        )
        logins: list[str] = []
        try:
            pages = 0
            while url is not None:
                if pages == MAX_PAGES:
                    limit = MAX_PAGES * PER_PAGE
                    raise LookupFailed(f"the team has more than {limit:,} members")
                url = self._page(url, logins)
                pages += 1
        except LookupFailed as failed:
            return Lookup(source, error=_explained(failed, org, slug))
        return Lookup(source, tuple(f"github:{login}" for login in dict.fromkeys(logins)))

    def _page(self, url: str, logins: list[str]) -> str | None:
        """Read one page into `logins`; the next page's URL, or None after the last."""
        request = urllib.request.Request(
            url,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "promobot",
            },
        )
        answer = fetch_json(request, service="GitHub", timeout=self.timeout)
        if not isinstance(answer.data, list):
            raise LookupFailed("GitHub's answer was not a list of members")
        for member in answer.data:
            login = member.get("login") if isinstance(member, dict) else None
            if not isinstance(login, str) or not _LOGIN.fullmatch(login):
                raise LookupFailed("GitHub's answer was not a list of members")
            logins.append(login)
        found = _NEXT.search(answer.headers.get("Link") or "")
        if found is None:
            return None
        following = found.group(1)
        if not following.startswith(self.api_url + "/"):
            # The token goes only to the API it was configured for.
            raise LookupFailed("GitHub's next page points away from GITHUB_API_URL")
        return following


def _explained(failed: LookupFailed, org: str, slug: str) -> str:
    if failed.status == 404:
        return (
            f"GitHub answered 404: no team `{slug}` in `{org}`, or the token cannot see it "
            "(it needs read:org)"
        )
    if failed.status == 401:
        return "GitHub refused the token (401; check GITHUB_TOKEN)"
    if failed.status == 403:
        return "GitHub answered 403 (the token needs read:org, or its rate limit is spent)"
    return str(failed)
