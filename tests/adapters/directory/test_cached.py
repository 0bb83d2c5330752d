"""The cache in front of the directory (bot/adapters/directory/cached.py): one lookup per team per
PROMOBOT_GROUP_CACHE_SECONDS, counted at a fake GitHub; failures kept briefly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_github import FakeGitHubServer
from ticks import Ticks

from bot.adapters.directory.cached import FAILURE_SECONDS, CachedDirectory
from bot.adapters.github.client import GitHubClient
from bot.adapters.github.teams import GitHubTeams

TEAM = "github-team:acme/ml-leads"


@pytest.fixture
def github() -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer(teams={"acme/ml-leads": ["alice"], "acme/sre": ["sam"]}) as fake:
        yield fake


def test_members_are_read_once_per_cache_time(github: FakeGitHubServer) -> None:
    clock = Ticks()
    cached = CachedDirectory(
        GitHubTeams(GitHubClient("ghs_token", base_url=github.url)), 300, clock=clock
    )

    first = cached.members(TEAM)
    github.teams["acme/ml-leads"] = ["alice", "erin"]  # changed in GitHub meanwhile
    clock.now += 299
    again = cached.members(TEAM)
    other = cached.members("github-team:acme/sre")

    assert first.handles == again.handles == ("github:alice",)
    assert other.handles == ("github:sam",)
    assert len(github.team_calls()) == 2  # one per team
    clock.now += 2
    assert cached.members(TEAM).handles == ("github:alice", "github:erin")
    assert len(github.team_calls()) == 3


def test_a_failure_is_kept_only_briefly(github: FakeGitHubServer) -> None:
    clock = Ticks()
    cached = CachedDirectory(
        GitHubTeams(GitHubClient("ghs_token", base_url=github.url)), 300, clock=clock
    )
    github.team_answer = "502"

    assert cached.members(TEAM).error == "GitHub answered 502"
    github.team_answer = None
    clock.now += FAILURE_SECONDS - 1
    assert cached.members(TEAM).error == "GitHub answered 502"  # not asked again yet
    clock.now += 2
    assert cached.members(TEAM).handles == ("github:alice",)
    assert len(github.team_calls()) == 2


def test_zero_seconds_turns_the_cache_off(github: FakeGitHubServer) -> None:
    cached = CachedDirectory(GitHubTeams(GitHubClient("ghs_token", base_url=github.url)), 0)

    for _ in range(3):
        assert cached.members(TEAM).ok

    assert len(github.team_calls()) == 3
