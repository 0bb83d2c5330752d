"""bot/adapters/github/comments.py, the comment door's calls, against the fake GitHub on
127.0.0.1 (real HTTP). The door itself is tests/doors/github/test_comment.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_github import FakeGitHubServer

from bot.adapters.github.client import GitHubClient
from bot.adapters.github.comments import GitHubPullRequests
from bot.core.ports.github import GitHubError, Permission

REPO = "acme/models"
HEAD = "ABCDEF0123456789ABCDEF0123456789ABCDEF01"


@pytest.fixture
def github() -> Iterator[FakeGitHubServer]:
    permissions = {"alice": ("admin", "admin"), "erin": ("write", "maintain"), "x": ("?", "?")}
    with FakeGitHubServer(REPO, 7, head_sha=HEAD, permissions=permissions) as fake:
        yield fake


def pulls(github: FakeGitHubServer) -> GitHubPullRequests:
    return GitHubPullRequests(GitHubClient("t", base_url=github.url), REPO)


@pytest.mark.parametrize(
    ("login", "permission"),
    [
        ("alice", Permission("admin", collaborator=True)),
        ("erin", Permission("maintain", collaborator=True)),  # the role beats the base
        ("x", Permission("none", collaborator=True)),  # a name GitHub does not use
        ("eve", Permission("none", collaborator=False)),  # 404
    ],
    ids=["admin", "custom-role", "unknown-name", "not-a-collaborator"],
)
def test_a_commenters_permission(
    github: FakeGitHubServer, login: str, permission: Permission
) -> None:
    assert pulls(github).permission(login) == permission
    assert github.calls == [("GET", f"/repos/{REPO}/collaborators/{login}/permission", None)]


def test_reactions_and_the_reply(github: FakeGitHubServer) -> None:
    pulls(github).add_reaction(41, "eyes")
    url = pulls(github).create_comment(7, "🚀 done")

    assert url == "https://github.test/c/9001"
    assert github.calls == [
        ("POST", f"/repos/{REPO}/issues/comments/41/reactions", {"content": "eyes"}),
        ("POST", f"/repos/{REPO}/issues/7/comments", {"body": "🚀 done"}),
    ]
    with pytest.raises(ValueError, match="unknown reaction"):
        pulls(github).add_reaction(41, "heart")


def test_the_head_commit_of_the_pull_request(github: FakeGitHubServer) -> None:
    assert pulls(github).head_sha(7) == HEAD.lower()

    with pytest.raises(GitHubError) as raised:
        pulls(github).head_sha(8)
    assert raised.value.status == 404
    assert str(raised.value).startswith("GitHub answered HTTP 404 (read pull request #8 in")
