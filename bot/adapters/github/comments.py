"""The GitHub REST calls the comment door makes, and nothing else.

A narrow port over PyGithub (docs/contract.md, "Style"): the door asks for a permission, adds a
reaction, posts a comment and reads a pull request's head commit. Every failure of
GitHub or of the network comes out as GitHubApiError with a sentence, never as a
PyGithub or requests exception, so the door can report it without a traceback.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bot.config import GITHUB_PERMISSIONS

# The names GitHub gives repository roles, weakest first (a custom role reports its
# base permission in `permission`); the settings name those a minimum can be.
PERMISSION_LEVELS = ("none", *GITHUB_PERMISSIONS)
REACTIONS = ("eyes", "rocket", "-1")

TIMEOUT_S = 10


class GitHubApiError(Exception):
    """GitHub answered with an error or could not be reached (exit 3)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Permission:
    """What GitHub says a user may do in the repository."""

    level: str  # one of PERMISSION_LEVELS
    collaborator: bool  # False when GitHub answered 404 (not a collaborator, or no user)

    def at_least(self, wanted: str) -> bool:
        return rank(self.level) >= rank(wanted)


def rank(level: str) -> int:
    return PERMISSION_LEVELS.index(level) if level in PERMISSION_LEVELS else 0


class GitHubApi:
    """The four calls promobot makes on one repository."""

    def __init__(
        self,
        token: str,
        repository: str,
        *,
        base_url: str = "https://api.github.com",
        timeout: int = TIMEOUT_S,
    ) -> None:
        from github import Auth, Github
        from urllib3.util.retry import Retry

        self.repository = repository
        self._repo_path = "/repos/" + "/".join(
            urllib.parse.quote(part, safe="") for part in repository.split("/", 1)
        )
        # PyGithub's default retry waits out rate limits and 5xx for minutes; a comment
        # command reports a failure at once instead. One quick retry covers a dropped
        # connection; the write throttles are meant for bulk scripts, not four calls.
        self._gh = Github(
            auth=Auth.Token(token),
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            retry=Retry(
                total=1,
                connect=1,
                read=0,
                status=0,
                other=0,
                backoff_factor=0,
                raise_on_status=False,
            ),
            seconds_between_requests=None,
            seconds_between_writes=None,
            lazy=True,
        )
        self._repo = self._gh.get_repo(repository)

    # ---- the calls ---------------------------------------------------------------------

    def permission(self, login: str) -> Permission:
        """GET /repos/{owner}/{repo}/collaborators/{login}/permission."""
        from github import UnknownObjectException

        url = f"{self._repo_path}/collaborators/{urllib.parse.quote(login, safe='')}/permission"
        with _calls(f"read the repository permission of @{login}", self.repository):
            try:
                _, data = self._gh.requester.requestJsonAndCheck("GET", url)
            except UnknownObjectException:
                return Permission("none", collaborator=False)
        return Permission(_level(data), collaborator=True)

    def add_reaction(self, issue_number: int, comment_id: int, content: str) -> None:
        """POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions."""
        if content not in REACTIONS:
            raise ValueError(f"unknown reaction {content!r}")
        with _calls(f"react {content} to comment {comment_id}", self.repository):
            self._repo.get_issue(issue_number).get_comment(comment_id).create_reaction(content)

    def create_comment(self, issue_number: int, body: str) -> str:
        """POST /repos/{owner}/{repo}/issues/{number}/comments; returns the new comment's URL."""
        with _calls(f"post a comment on #{issue_number}", self.repository):
            comment = self._repo.get_issue(issue_number).create_comment(body)
            return str(comment.html_url or "")

    def pull_head_sha(self, number: int) -> str:
        """GET /repos/{owner}/{repo}/pulls/{number} → head.sha."""
        with _calls(f"read pull request #{number}", self.repository):
            return str(self._repo.get_pull(number).head.sha)


@contextmanager
def _calls(what: str, repository: str) -> Iterator[None]:
    """Turn PyGithub's and the network's failures into GitHubApiError with a sentence."""
    from github import GithubException

    try:
        yield
    except GithubException as exc:
        raise GitHubApiError(
            f"GitHub refused to {what} in {repository}: HTTP {exc.status}"
            f"{_hint(exc.status)} ({_message(exc.data)})",
            status=exc.status,
        ) from exc
    except (OSError, TimeoutError) as exc:
        raise GitHubApiError(f"GitHub is unreachable ({what}): {_first_line(str(exc))}") from exc
    except Exception as exc:
        if type(exc).__module__.split(".")[0] in ("requests", "urllib3"):
            raise GitHubApiError(
                f"GitHub is unreachable ({what}): {_first_line(str(exc))}"
            ) from exc
        if isinstance(exc, KeyError | TypeError | ValueError | AttributeError):
            raise GitHubApiError(
                f"GitHub sent an answer promobot does not understand ({what}): "
                f"{type(exc).__name__} {_first_line(str(exc))}"
            ) from exc
        raise


def _level(data: Any) -> str:
    if not isinstance(data, dict):
        return "none"
    role = str(data.get("role_name") or "").lower()
    if role in PERMISSION_LEVELS:
        return role
    base = str(data.get("permission") or "").lower()
    return base if base in PERMISSION_LEVELS else "none"


def _hint(status: int | None) -> str:
    return {
        401: ", the token is invalid or expired",
        403: ", the token lacks a permission (the workflow needs `issues: write`, "
        "`pull-requests: read`) or the rate limit is used up",
        404: ", not found (or the token cannot see it)",
        422: ", GitHub rejected the request",
    }.get(status or 0, ", GitHub had a problem" if (status or 0) >= 500 else "")


def _message(data: Any) -> str:
    if isinstance(data, dict) and data.get("message"):
        return _first_line(str(data["message"]))
    return _first_line(str(data)) if data else "no details"


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "no details"
    return line[:300]
