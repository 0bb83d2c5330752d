"""The one way promobot talks to GitHub: PyGithub, built once per token and API URL, with
a short timeout, no retries and no throttling, and every failure a GitHubError with a
sentence (bot/core/ports/github.py).

PyGithub carries the token, `GITHUB_API_URL` as the base (GitHub Enterprise:
`https://<host>/api/v3`, whose path it puts before every call), the API version header
and the timeout; it follows a `301` only on the same host and no other redirect, and a
list's next page is asked for only on the base URL, so the token never goes anywhere
else. promobot reads each answer itself, through PyGithub's requester (`Github.requester`,
its way to the endpoints as GitHub documents them): the status, the size, JSON, then the
shape each caller checks. PyGithub's objects would fetch themselves again where a field
is missing, a call nobody asked for. (The size is checked once requests has read the
answer: MAX_BYTES keeps a runaway answer out of promobot, not out of memory.)

The calls are in the modules of the ports they serve (checks.py, deployments.py,
comments.py, teams.py); here are the two that more than one of them makes.
"""

from __future__ import annotations

import json
import math
import re
import threading
import urllib.parse
from dataclasses import dataclass
from typing import Any

from bot.core.ports.github import GitHubError

DEFAULT_API_URL = "https://api.github.com"
TIMEOUT_S = 10  # a call; the contract's "10 s a call"
API_VERSION = "2022-11-28"
PER_PAGE = 100
MAX_PAGES = 100  # 10,000 items: more is refused rather than read in part
MAX_BYTES = 5_000_000  # one answer; a page of 100 members or check runs is far less
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')

# What each call needs of the token, for the sentence when GitHub says 403.
SCOPES = {
    "deployments": "deployments: write",
    "checks": "checks: read",
    "statuses": "statuses: read",
    "issues": "issues: write",
    "pulls": "pull-requests: read",
    "metadata": "metadata: read",
    "teams": "read:org",
}


@dataclass(frozen=True)
class Answer:
    data: Any  # the JSON GitHub answered ({} for an empty body)
    headers: dict[str, str]  # names in lower case


class GitHubClient:
    """GitHub's REST API at `base_url` with one token. One client serves every thread:
    each thread gets its own PyGithub connection on its first call, because PyGithub
    keeps the request it is about to send on a connection it shares."""

    def __init__(self, token: str, *, base_url: str = "", timeout: float = TIMEOUT_S) -> None:
        self.base_url = (base_url or DEFAULT_API_URL).rstrip("/")
        # PyGithub takes whole seconds: a fraction is rounded up.
        self.timeout = max(1, math.ceil(timeout))
        self._token = token
        self._local = threading.local()
        parts = urllib.parse.urlsplit(self.base_url)
        self._problem = (
            ""
            if parts.scheme in ("http", "https") and parts.hostname
            else f"GITHUB_API_URL {self.base_url!r} is not an http(s) URL"
        )

    # ---- the calls more than one port makes ------------------------------------------------

    def create_issue_comment(self, repository: str, number: int, body: str) -> str:
        """POST /repos/{owner}/{repo}/issues/{number}/comments (a pull request is an issue
        to this API) → the new comment's URL ("" when GitHub gave none)."""
        path = f"{repo_path(repository)}/issues/{number}/comments"
        what = f"comment on #{number} in {repository}"
        answer = self.request("POST", path, what, "issues", body={"body": body})
        return str(answer.data.get("html_url") or "") if isinstance(answer.data, dict) else ""

    def create_deployment_status(
        self, repository: str, deployment_id: int, body: dict[str, Any]
    ) -> None:
        """POST /repos/{owner}/{repo}/deployments/{id}/statuses."""
        path = f"{repo_path(repository)}/deployments/{deployment_id}/statuses"
        what = f"set deployment {deployment_id} of {repository} {body.get('state', '')}".strip()
        self.request("POST", path, what, "deployments", body=body)

    # ---- HTTP, through PyGithub ------------------------------------------------------------

    def request(
        self,
        verb: str,
        path: str,
        what: str,
        scope: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Answer:
        """One call: `path` under the base URL (or a URL GitHub gave, on the same API).
        `what` names the call in the sentence of a failure, `scope` what the token needs."""
        if self._problem:
            raise GitHubError(f"{self._problem} ({what})", short=self._problem)
        try:
            status, headers, text = self._requester().requestJson(
                verb,
                path,
                parameters=params,
                headers={"Accept": "application/vnd.github+json"},
                input=body,
            )
        except (OSError, RuntimeError) as exc:  # requests' errors are OSErrors
            raise self._unreachable(exc, what) from exc
        if len(text) > MAX_BYTES:
            raise not_understood(what, f"larger than {MAX_BYTES // 1_000_000} MB")
        try:
            data = json.loads(text) if text.strip() else {}
        except ValueError:
            data = None
        if status >= 300:
            message = data.get("message") if isinstance(data, dict) else None
            detail = _first_line(str(message or "no details"))
            raise GitHubError(
                f"GitHub answered HTTP {status} ({what}){_hint(status, scope)}: {detail}",
                status=status,
                short=f"GitHub answered {status}",
            )
        if data is None:
            raise not_understood(what, "not JSON")
        return Answer(data, {str(k).lower(): str(v) for k, v in headers.items()})

    def pages(
        self,
        path: str,
        what: str,
        scope: str,
        *,
        items: str = "items",
        field: str = "",
    ) -> list[Any]:
        """Every item of a list GitHub pages (`per_page=100`), following the `Link`
        header's `next` while it stays on the base URL: the token goes only there. A list
        inside an object is its `field`; `items` names what is listed, for the sentence of
        a failure; more than MAX_PAGES pages is one."""
        url, query = path, {"per_page": PER_PAGE}
        listed: list[Any] = []
        for _ in range(MAX_PAGES):
            answer = self.request("GET", url, what, scope, params=query)
            page = (
                answer.data.get(field) if field and isinstance(answer.data, dict) else answer.data
            )
            if not isinstance(page, list):
                raise not_understood(what, f"not a list of {items}")
            listed.extend(page)
            link = _NEXT.search(answer.headers.get("link", ""))
            if link is None:
                return listed
            following = link.group(1)
            if not following.startswith(self.base_url + "/"):
                short = "GitHub's next page points away from GITHUB_API_URL"
                raise GitHubError(f"{short} ({what})", short=short)
            url, query = following, {}  # the link carries its query
        short = f"GitHub listed more than {MAX_PAGES * PER_PAGE:,} {items}"
        raise GitHubError(f"{short} ({what})", short=short)

    def _requester(self) -> Any:
        github = getattr(self._local, "github", None)
        if github is None:
            # PyGithub takes a fifth of a second to import: only once GitHub is called.
            from github import Auth, Github

            github = Github(
                auth=Auth.Token(self._token),
                base_url=self.base_url,
                timeout=self.timeout,
                user_agent="promobot",
                per_page=PER_PAGE,
                # One attempt a call: a failure is said at once, not waited out (its
                # default retry sleeps through rate limits and 5xx for minutes), and a
                # handful of calls needs no throttle between writes.
                retry=None,
                seconds_between_requests=None,
                seconds_between_writes=None,
                lazy=True,
                api_version=API_VERSION,
            )
            self._local.github = github
        return github.requester

    def _unreachable(self, exc: Exception, what: str) -> GitHubError:
        """The network's failure, or PyGithub refusing a redirect to another host."""
        if _is_timeout(exc):
            short = f"GitHub did not answer within {self.timeout:g} s"
            return GitHubError(f"{short} ({what})", short=short)
        why = _first_line(str(exc))
        return GitHubError(
            f"GitHub could not be reached at {self.base_url} ({what}): {why}",
            short=f"GitHub could not be reached ({why})",
        )


def repo_path(repository: str) -> str:
    """`/repos/{owner}/{repo}`, each part quoted."""
    owner, _, name = repository.partition("/")
    return f"/repos/{urllib.parse.quote(owner, safe='')}/{urllib.parse.quote(name, safe='')}"


def quoted(part: str) -> str:
    return urllib.parse.quote(part, safe="")


def not_understood(what: str, detail: str) -> GitHubError:
    """An answer that is not what GitHub documents for the call: `detail` completes
    "GitHub's answer was …"."""
    return GitHubError(
        f"GitHub sent an answer promobot does not understand ({what}): {detail}",
        short=f"GitHub's answer was {detail}",
    )


def _is_timeout(exc: BaseException) -> bool:
    # requests' Timeout is an OSError, not a TimeoutError; its name says it (the adapter
    # speaks to GitHub through PyGithub alone, so it does not import requests).
    return isinstance(exc, TimeoutError) or any(
        cls.__name__ == "Timeout" for cls in type(exc).__mro__
    )


def _hint(status: int, scope: str) -> str:
    if status < 400:
        return ", a redirect promobot does not follow"
    if status == 401:
        return ", the token is invalid or expired"
    if status == 403:
        return f", the token lacks `{SCOPES.get(scope, scope)}` or the rate limit is used up"
    if status == 404:
        return ", not found (or the token cannot see it)"
    if status == 422:
        return ", GitHub rejected the request"
    return ", GitHub had a problem" if status >= 500 else ""


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "no details"
    return line[:300]
