"""A GitHub team's members (bot/adapters/github/teams.py) against a fake GitHub REST API on
127.0.0.1, through the one client: every page read, and every failure a sentence that
grants nothing (the sentences docs/contract.md shows)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from fake_github import FakeGitHubServer

from bot.adapters.github.client import GitHubClient
from bot.adapters.github.teams import GitHubTeams

TEAM = "github-team:acme/ml-leads"
UNREACHABLE = "http://127.0.0.1:9"  # nothing listens on the discard port


def teams(url: str, timeout: float = 5) -> GitHubTeams:
    return GitHubTeams(GitHubClient("ghs_token", base_url=url, timeout=timeout))


@pytest.fixture
def github() -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer(teams={"acme/ml-leads": ["alice", "Bob", "zed"]}) as fake:
        yield fake


def test_a_teams_members_are_its_logins(github: FakeGitHubServer) -> None:
    lookup = teams(github.url).members(TEAM)

    assert (lookup.ok, lookup.error) == (True, "")
    assert lookup.handles == ("github:alice", "github:Bob", "github:zed")
    assert github.team_calls() == ["/orgs/acme/teams/ml-leads/members?per_page=100"]


def test_a_team_of_more_than_one_page_is_read_whole() -> None:
    logins = [f"member-{n:03d}" for n in range(230)]
    with FakeGitHubServer(teams={"acme/everyone": logins}) as github:
        lookup = teams(github.url).members("github-team:acme/everyone")

    assert lookup.handles == tuple(f"github:{login}" for login in logins)
    assert [parse_qs(urlsplit(path).query).get("page") for path in github.team_calls()] == [
        None,
        ["2"],
        ["3"],
    ]


FAILURES = {
    "server-error": ("502", "GitHub answered 502"),
    "unavailable": ("503", "GitHub answered 503"),
    "bad-token": ("401", "GitHub refused the token (401; check GITHUB_TOKEN)"),
    "forbidden": ("403", "GitHub answered 403 (the token needs read:org, or its rate limit"),
    "garbage": ("garbage", "GitHub's answer was not JSON"),
    "not-a-list": ("not-a-list", "GitHub's answer was not a list of members"),
}


@pytest.mark.parametrize("case", FAILURES.values(), ids=FAILURES.keys())
def test_a_failing_github_grants_nothing_and_says_why(
    github: FakeGitHubServer, case: tuple[str, str]
) -> None:
    answer, why = case
    github.team_answer = answer

    lookup = teams(github.url).members(TEAM)

    assert (lookup.ok, lookup.handles) == (False, ())
    assert lookup.error.startswith(why), lookup.error


def test_an_unknown_team_is_a_404_that_names_it(github: FakeGitHubServer) -> None:
    lookup = teams(github.url).members("github-team:acme/nope")

    assert lookup.error == (
        "GitHub answered 404: no team `nope` in `acme`, or the token cannot see it "
        "(it needs read:org)"
    )


def test_a_slow_github_times_out(github: FakeGitHubServer) -> None:
    github.team_delay_s = 2

    lookup = teams(github.url, timeout=1).members(TEAM)

    assert (lookup.handles, lookup.error) == ((), "GitHub did not answer within 1 s")


def test_github_down_is_a_sentence() -> None:
    lookup = teams(UNREACHABLE).members(TEAM)

    assert lookup.handles == ()
    assert lookup.error.startswith("GitHub could not be reached ("), lookup.error


def test_without_a_token_nothing_is_asked(github: FakeGitHubServer) -> None:
    lookup = GitHubTeams(None).members(TEAM)

    assert lookup.error == "GITHUB_TOKEN is not set, so GitHub teams cannot be read"
    assert github.team_calls() == []


def test_the_token_is_not_sent_where_a_next_link_points_elsewhere() -> None:
    # The fake writes its next links with 127.0.0.1; asked as localhost, that is another
    # host, so promobot stops after the first page rather than follow it.
    logins = [f"m{n}" for n in range(150)]
    with FakeGitHubServer(teams={"acme/big": logins}) as github:
        elsewhere = github.url.replace("127.0.0.1", "localhost")
        lookup = teams(elsewhere).members("github-team:acme/big")

    assert lookup.error == "GitHub's next page points away from GITHUB_API_URL"
    assert lookup.handles == ()
    assert len(github.team_calls()) == 1
