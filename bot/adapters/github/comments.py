"""The PullRequests port (bot/core/ports/github.py): the calls the comment door makes on
the repository of the event, and nothing else.

    GET  /repos/{owner}/{repo}/collaborators/{login}/permission
    POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions
    POST /repos/{owner}/{repo}/issues/{number}/comments
    GET  /repos/{owner}/{repo}/pulls/{number}                          → head.sha
"""

from __future__ import annotations

import re
from typing import Any

from bot.adapters.github.client import GitHubClient, not_understood, quoted, repo_path
from bot.config import GITHUB_PERMISSIONS
from bot.core.ports.github import GitHubError, Permission

# The names GitHub gives repository roles, weakest first (a custom role reports its
# base permission in `permission`); the settings name those a minimum can be.
PERMISSION_LEVELS = ("none", *GITHUB_PERMISSIONS)
REACTIONS = ("eyes", "rocket", "-1")
_SHA = re.compile(r"[0-9a-f]{40}")


class GitHubPullRequests:
    def __init__(self, client: GitHubClient, repository: str) -> None:
        self.client = client
        self.repository = repository
        self._repo = repo_path(repository)

    def permission(self, login: str) -> Permission:
        path = f"{self._repo}/collaborators/{quoted(login)}/permission"
        what = f"read the repository permission of @{login} in {self.repository}"
        try:
            answer = self.client.request("GET", path, what, "metadata")
        except GitHubError as exc:
            if exc.status == 404:  # not a collaborator, or no such user
                return Permission("none", collaborator=False)
            raise
        return Permission(_level(answer.data), collaborator=True)

    def add_reaction(self, comment_id: int, content: str) -> None:
        if content not in REACTIONS:
            raise ValueError(f"unknown reaction {content!r}")
        path = f"{self._repo}/issues/comments/{comment_id}/reactions"
        what = f"react {content} to comment {comment_id} in {self.repository}"
        self.client.request("POST", path, what, "issues", body={"content": content})

    def create_comment(self, number: int, body: str) -> str:
        return self.client.create_issue_comment(self.repository, number, body)

    def head_sha(self, number: int) -> str:
        what = f"read pull request #{number} in {self.repository}"
        answer = self.client.request("GET", f"{self._repo}/pulls/{number}", what, "pulls")
        head = answer.data.get("head") if isinstance(answer.data, dict) else None
        sha = str(head.get("sha") or "").lower() if isinstance(head, dict) else ""
        if not _SHA.fullmatch(sha):
            raise not_understood(what, "a pull request without a head commit")
        return sha


def _level(data: Any) -> str:
    if not isinstance(data, dict):
        return "none"
    role = str(data.get("role_name") or "").lower()
    if role in PERMISSION_LEVELS:
        return role
    base = str(data.get("permission") or "").lower()
    return base if base in PERMISSION_LEVELS else "none"
