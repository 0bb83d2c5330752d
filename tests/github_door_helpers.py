"""The GitHub comment door for tests: the issue_comment payloads, the environment Actions
gives, and PyGithub's calls answered at the HTTP level (responses), as GitHub's REST API
documents them. The test modules make their fixtures of `actions_env` and
`answered_github`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import responses
from conftest import FIXTURES

PAYLOADS = FIXTURES / "github"
POLICY = PAYLOADS / "policy.yaml"
MODEL = "sentiment-classifier"
API = "https://api.github.com:443"  # PyGithub writes the port into every URL
REPO_PATH = "/repos/acme/models"
PR = 7
HEAD_SHA = "0123456789abcdef0123456789abcdef01234567"
OTHER_SHA = "fedcba9876543210fedcba9876543210fedcba98"
UNREACHABLE = "http://127.0.0.1:9"  # nothing listens on the discard port
REACTIONS = re.compile(re.escape(f"{API}{REPO_PATH}/issues/comments/") + r"\d+/reactions")

PERMISSIONS = {
    "alice": ("admin", "admin"),
    "bob": ("write", "write"),
    "erin": ("write", "maintain"),
    "mallory": ("write", "write"),
    "carol": ("read", "read"),
}


# ---- the environment -------------------------------------------------------------------------


def actions_env(tracking_uri: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The environment Actions gives the chatops step; returns the working directory."""
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "SLACK_", "PROMOBOT_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_test_token")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/models")
    monkeypatch.setenv("GITHUB_API_URL", "https://api.github.com")
    monkeypatch.setenv("PROMOBOT_POLICY", str(POLICY))
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def comment_event(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    body: str | None = None,
    login: str = "bob",
    fixture: str = "pr_comment_created.json",
    comment_id: int | None = None,
) -> dict[str, Any]:
    """Write an issue_comment payload (from a fixture, optionally changed) and point
    GITHUB_EVENT_PATH at it."""
    event = json.loads((PAYLOADS / fixture).read_text(encoding="utf-8"))
    if body is not None:
        event["comment"]["body"] = body
    if login != "bob":
        event["comment"]["user"]["login"] = login
    if comment_id is not None:
        event["comment"]["id"] = comment_id
        event["comment"]["html_url"] = (
            f"https://github.com/acme/models/pull/{PR}#issuecomment-{comment_id}"
        )
    path = tmp_path / f"event-{event['comment']['id']}.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(path))
    return event


class FakeGitHub:
    """PyGithub's calls, answered at the HTTP level; what promobot sent is in rsps.calls."""

    def __init__(self, rsps: responses.RequestsMock, head_sha: str = HEAD_SHA) -> None:
        self.rsps = rsps
        for login, (permission, role) in PERMISSIONS.items():
            self.permission(login, permission, role)
        rsps.add(
            responses.GET,
            f"{API}{REPO_PATH}/pulls/{PR}",
            json={"number": PR, "state": "open", "head": {"sha": head_sha, "ref": "tune"}},
        )
        rsps.add_callback(
            responses.POST,
            REACTIONS,
            callback=lambda req: (201, {}, json.dumps({"id": 1, **json.loads(req.body)})),
        )
        rsps.add(
            responses.POST,
            f"{API}{REPO_PATH}/issues/{PR}/comments",
            status=201,
            json={
                "id": 9001,
                "body": "reply",
                "html_url": f"https://github.com/acme/models/pull/{PR}#issuecomment-9001",
            },
        )

    def permission(self, login: str, permission: str | None, role: str = "") -> None:
        url = f"{API}{REPO_PATH}/collaborators/{login}/permission"
        if permission is None:
            self.rsps.add(responses.GET, url, status=404, json={"message": "Not Found"})
        else:
            self.rsps.add(
                responses.GET,
                url,
                json={"permission": permission, "role_name": role or permission},
            )

    def fail(self, method: str, url: Any, status: int | Exception) -> None:
        """Make one endpoint fail instead of answering."""
        self.rsps.remove(method, url)
        if isinstance(status, Exception):
            self.rsps.add(method, url, body=status)
        else:
            self.rsps.add(method, url, status=status, json={"message": "simulated"})

    def calls(self) -> list[tuple[str, str]]:
        return [(c.request.method, c.request.url) for c in self.rsps.calls]

    def reactions(self) -> list[str]:
        return [
            json.loads(c.request.body)["content"]
            for c in self.rsps.calls
            if c.request.method == "POST" and c.request.url.endswith("/reactions")
        ]

    def replies(self) -> list[str]:
        return [
            json.loads(c.request.body)["body"]
            for c in self.rsps.calls
            if c.request.method == "POST" and c.request.url.endswith(f"/issues/{PR}/comments")
        ]


@contextmanager
def answered_github() -> Iterator[FakeGitHub]:
    """GitHub at api.github.com, answered in-process for as long as it is open."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FakeGitHub(rsps)


def version_with_metrics(models: Any, accuracy: float = 0.91, f1: float = 0.89) -> int:
    return models.version(MODEL, accuracy=accuracy, f1=f1, precision=0.9, recall=0.88)


# ---- the filter: what is a command ------------------------------------------------------
