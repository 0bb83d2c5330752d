"""bot/adapters/github/checks.py against the fake GitHub on 127.0.0.1 (real HTTP): every
page of a commit's check runs and its statuses, as the policy's snapshot; an answer that
is not what GitHub documents is a sentence."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from fake_github import FakeGitHubServer

from bot.adapters.github.checks import GitHubChecks
from bot.adapters.github.client import GitHubClient
from bot.core.policy import CommitCheck
from bot.core.ports.github import GitHubError

REPO = "acme/models"
SHA = "0123456789abcdef0123456789abcdef01234567"


def check_run(n: int, conclusion: str = "success", status: str = "completed") -> dict[str, object]:
    return {
        "id": n,
        "name": f"job {n:03}",
        "status": status,
        "conclusion": conclusion if status == "completed" else None,
        "html_url": f"https://github.com/{REPO}/runs/{n}",
        "details_url": f"https://ci.example/{n}",
    }


@pytest.fixture
def github() -> Iterator[FakeGitHubServer]:
    runs = [check_run(n) for n in range(250)]
    runs[180] = check_run(180, "failure")
    runs[230] = check_run(230, status="in_progress")
    statuses = [
        {"context": "lint / ruff", "state": "success", "target_url": "https://ci.example/1"},
        {"context": "deploy/preview", "state": "error", "target_url": None},
    ]
    with FakeGitHubServer(REPO, check_runs={SHA: runs}, statuses={SHA: statuses}) as fake:
        yield fake


def checks(github: FakeGitHubServer) -> GitHubChecks:
    return GitHubChecks(GitHubClient("t", base_url=github.url))


def test_every_page_of_check_runs_and_the_statuses_are_read(github: FakeGitHubServer) -> None:
    found = checks(github).commit_checks(REPO, SHA)

    assert (found.repository, found.sha, found.problem) == (REPO, SHA, "")
    assert len(found.checks) == 252
    assert found.checks[180] == CommitCheck(
        "job 180", "failure", "failure", f"https://github.com/{REPO}/runs/180"
    )
    assert found.checks[230].state == "pending" and found.checks[230].detail == "in progress"
    assert found.checks[-2:] == (
        CommitCheck("lint / ruff", "success", "success", "https://ci.example/1", "status"),
        CommitCheck("deploy/preview", "failure", "error", "", "status"),
    )
    pages = [urlsplit(path) for method, path, _ in github.calls if "/check-runs" in path]
    assert {page.path for page in pages} == {f"/repos/{REPO}/commits/{SHA}/check-runs"}
    assert [parse_qs(page.query) for page in pages] == [
        {"per_page": ["100"]},
        {"per_page": ["100"], "page": ["2"]},
        {"per_page": ["100"], "page": ["3"]},
    ]


def test_github_enterprise_serves_the_checks_under_its_base_path() -> None:
    with FakeGitHubServer(REPO, prefix="/api/v3", check_runs={SHA: [check_run(1)]}) as ghe:
        found = GitHubChecks(GitHubClient("t", base_url=f"{ghe.url}/api/v3")).commit_checks(
            REPO, SHA
        )

    assert [c.name for c in found.checks] == ["job 001"]
    assert {path.split("?")[0] for _, path, _ in ghe.calls} == {
        f"/api/v3/repos/{REPO}/commits/{SHA}/check-runs",
        f"/api/v3/repos/{REPO}/commits/{SHA}/status",
    }


def test_a_failing_github_names_the_list_it_was_reading(github: FakeGitHubServer) -> None:
    github.fail("GET", "/status$", "500")

    with pytest.raises(GitHubError) as raised:
        checks(github).commit_checks(REPO, SHA)

    assert str(raised.value) == (
        "GitHub answered HTTP 500 (read the commit statuses of 0123456789ab in acme/models), "
        "GitHub had a problem: simulated outage"
    )


@pytest.mark.parametrize(
    ("runs", "says"),
    [
        ([{"id": 1, "status": "completed"}], "a check run without a name or status"),
        (["job"], "a check run without a name or status"),
    ],
    ids=["no-name", "not-an-object"],
)
def test_a_check_run_github_does_not_document_is_a_sentence(
    github: FakeGitHubServer, runs: list[object], says: str
) -> None:
    github.check_runs[SHA] = runs

    with pytest.raises(GitHubError) as raised:
        checks(github).commit_checks(REPO, SHA)

    assert str(raised.value) == (
        "GitHub sent an answer promobot does not understand (read the checks of "
        f"0123456789ab in acme/models): {says}"
    )


def test_a_missing_permission_is_named(github: FakeGitHubServer) -> None:
    github.fail("GET", "/check-runs$", "403")

    with pytest.raises(GitHubError) as raised:
        checks(github).commit_checks(REPO, SHA)

    assert raised.value.status == 403
    assert ", the token lacks `checks: read` or the rate limit is used up" in str(raised.value)
