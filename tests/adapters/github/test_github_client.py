"""bot/adapters/github/client.py against the fake GitHub on 127.0.0.1 (real HTTP, through
PyGithub): what is sent with every call, GitHub Enterprise's base path, paging, and each
failure as one sentence."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from fake_github import FakeGitHubServer

from bot.adapters.github.client import GitHubClient
from bot.core.ports.github import GitHubError

REPO = "acme/models"
UNREACHABLE = "http://127.0.0.1:9"  # nothing listens on the discard port


@pytest.fixture
def github() -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer(REPO, teams={"acme/ml-leads": ["alice", "bob"]}) as fake:
        fake.delay_s = 2.0
        yield fake


def comment(client: GitHubClient) -> str:
    return client.create_issue_comment(REPO, 7, "❌ **m v2 on Production** failed")


def test_the_token_and_the_api_version_go_with_every_call(github: FakeGitHubServer) -> None:
    client = GitHubClient("ghs_secret", base_url=github.url)

    comment(client)
    client.pages("/orgs/acme/teams/ml-leads/members", "read the members", "teams")

    assert [h["Authorization"] for h in github.headers] == ["token ghs_secret"] * 2
    assert {h["X-GitHub-Api-Version"] for h in github.headers} == {"2022-11-28"}
    assert {h["Accept"] for h in github.headers} == {"application/vnd.github+json"}
    assert {h["User-Agent"] for h in github.headers} == {"promobot"}


def test_a_comment_on_a_pull_request_gives_its_url(github: FakeGitHubServer) -> None:
    url = comment(GitHubClient("t", base_url=github.url))

    assert url == "https://github.test/c/9001"
    assert github.calls == [
        ("POST", f"/repos/{REPO}/issues/7/comments", {"body": "❌ **m v2 on Production** failed"})
    ]


def test_github_enterprise_serves_the_api_under_its_base_path() -> None:
    with FakeGitHubServer(REPO, prefix="/api/v3") as ghe:
        comment(GitHubClient("t", base_url=f"{ghe.url}/api/v3/"))

    assert [path for _, path, _ in ghe.calls] == [f"/api/v3/repos/{REPO}/issues/7/comments"]


def test_one_client_serves_many_threads_at_once(github: FakeGitHubServer) -> None:
    client = GitHubClient("t", base_url=github.url)
    urls: list[str] = []

    threads = [threading.Thread(target=lambda: urls.append(comment(client))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert urls == ["https://github.test/c/9001"] * 8
    assert len(github.calls) == 8


FAILURES = [
    (
        "500",
        "GitHub answered HTTP 500 (comment on #7 in acme/models), GitHub had a problem: "
        "simulated outage",
        "GitHub answered 500",
        500,
    ),
    (
        "403",
        "GitHub answered HTTP 403 (comment on #7 in acme/models), the token lacks "
        "`issues: write` or the rate limit is used up: Resource not accessible by integration",
        "GitHub answered 403",
        403,
    ),
    (
        "timeout",
        "GitHub did not answer within 1 s (comment on #7 in acme/models)",
        "GitHub did not answer within 1 s",
        None,
    ),
    (
        "garbage",
        "GitHub sent an answer promobot does not understand (comment on #7 in acme/models): "
        "not JSON",
        "GitHub's answer was not JSON",
        None,
    ),
    (
        "redirect",
        "GitHub answered HTTP 307 (comment on #7 in acme/models), a redirect promobot does "
        "not follow: Temporary Redirect",
        "GitHub answered 307",
        307,
    ),
]


@pytest.mark.parametrize(
    ("mode", "sentence", "short", "status"), FAILURES, ids=[f[0] for f in FAILURES]
)
def test_a_failing_github_is_one_sentence(
    github: FakeGitHubServer, mode: str, sentence: str, short: str, status: int | None
) -> None:
    github.fail("POST", "/comments$", mode)

    with pytest.raises(GitHubError) as raised:
        comment(GitHubClient("t", base_url=github.url, timeout=0.5))

    assert (str(raised.value), raised.value.short, raised.value.status) == (
        sentence,
        short,
        status,
    )


def test_a_redirect_takes_the_token_nowhere(github: FakeGitHubServer) -> None:
    with FakeGitHubServer(REPO) as elsewhere:
        github.redirect_to = elsewhere.url
        github.fail("POST", "/comments$", "redirect")

        with pytest.raises(GitHubError):
            comment(GitHubClient("t", base_url=github.url))

    assert elsewhere.calls == []


def test_a_repository_the_token_cannot_see_is_not_found() -> None:
    with FakeGitHubServer("someone/else") as other, pytest.raises(GitHubError) as missing:
        comment(GitHubClient("t", base_url=other.url))

    assert missing.value.status == 404
    assert "not found (or the token cannot see it): Not Found" in str(missing.value)


def test_an_unreachable_github_is_one_sentence() -> None:
    with pytest.raises(GitHubError) as raised:
        comment(GitHubClient("t", base_url=UNREACHABLE, timeout=2))

    assert str(raised.value).startswith(
        f"GitHub could not be reached at {UNREACHABLE} (comment on #7 in acme/models): "
    )
    assert raised.value.short.startswith("GitHub could not be reached (")


def test_an_api_url_that_is_no_url_is_said_at_each_call() -> None:
    with pytest.raises(GitHubError) as raised:
        comment(GitHubClient("t", base_url="api.github.example"))

    assert str(raised.value) == (
        "GITHUB_API_URL 'api.github.example' is not an http(s) URL (comment on #7 in acme/models)"
    )


# ---- pages ---------------------------------------------------------------------------------------


def test_every_page_is_read_through_the_link_header() -> None:
    logins = [f"member-{n:03d}" for n in range(230)]
    with FakeGitHubServer(teams={"acme/everyone": logins}) as github:
        client = GitHubClient("t", base_url=github.url)
        members = client.pages("/orgs/acme/teams/everyone/members", "read", "teams")

    assert [m["login"] for m in members] == logins
    asked = [urlsplit(path) for path in github.team_calls()]
    assert {url.path for url in asked} == {"/orgs/acme/teams/everyone/members"}
    assert [parse_qs(url.query) for url in asked] == [
        {"per_page": ["100"]},
        {"per_page": ["100"], "page": ["2"]},
        {"per_page": ["100"], "page": ["3"]},
    ]


def test_a_next_page_elsewhere_is_not_asked_for() -> None:
    # The fake writes its next links with 127.0.0.1; asked as localhost, that is another
    # host, so promobot stops after the first page rather than send the token there.
    with FakeGitHubServer(teams={"acme/big": [f"m{n}" for n in range(150)]}) as github:
        client = GitHubClient("t", base_url=github.url.replace("127.0.0.1", "localhost"))
        with pytest.raises(GitHubError) as raised:
            client.pages("/orgs/acme/teams/big/members", "read the members", "teams")

    assert str(raised.value) == (
        "GitHub's next page points away from GITHUB_API_URL (read the members)"
    )
    assert len(github.team_calls()) == 1
