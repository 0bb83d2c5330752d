"""bot/adapters/github/client.py against the fake GitHub on 127.0.0.1 (real HTTP): every page of a
commit's check runs, its statuses, GitHub Enterprise's base path, and each failure as a
sentence."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_github import FakeGitHubServer

from bot.adapters.github.client import GitHubChecks, GitHubClient
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
    }


@pytest.fixture
def github() -> Iterator[FakeGitHubServer]:
    runs = [check_run(n) for n in range(250)]
    runs[180] = check_run(180, "failure")
    runs[230] = check_run(230, status="in_progress")
    statuses = [
        {"context": "lint / ruff", "state": "success", "target_url": "https://ci.example/1"},
        {"context": "deploy/preview", "state": "error", "target_url": ""},
    ]
    with FakeGitHubServer(REPO, check_runs={SHA: runs}, statuses={SHA: statuses}) as fake:
        fake.delay_s = 1.5
        yield fake


def test_every_page_of_check_runs_and_the_statuses_are_read(github: FakeGitHubServer) -> None:
    checks = GitHubChecks(GitHubClient("t", base_url=github.url)).commit_checks(REPO, SHA)

    assert (checks.repository, checks.sha, checks.problem) == (REPO, SHA, "")
    assert len(checks.checks) == 252
    assert checks.checks[180] == CommitCheck(
        "job 180", "failure", "failure", f"https://github.com/{REPO}/runs/180"
    )
    assert checks.checks[230].state == "pending" and checks.checks[230].detail == "in progress"
    assert checks.checks[-2:] == (
        CommitCheck("lint / ruff", "success", "success", "https://ci.example/1", "status"),
        CommitCheck("deploy/preview", "failure", "error", "", "status"),
    )
    pages = [path for method, path, _ in github.calls if "/check-runs" in path]
    assert pages == [
        f"/repos/{REPO}/commits/{SHA}/check-runs?per_page=100&page={n}" for n in (1, 2, 3)
    ]


def test_the_token_and_api_version_are_sent(github: FakeGitHubServer) -> None:
    client = GitHubClient("ghs_secret", base_url=github.url)

    assert client.headers["Authorization"] == "Bearer ghs_secret"
    assert client.headers["X-GitHub-Api-Version"] == "2022-11-28"


def test_github_enterprise_serves_the_api_under_its_base_path() -> None:
    with FakeGitHubServer(REPO, prefix="/api/v3", check_runs={SHA: [check_run(1)]}) as ghe:
        client = GitHubClient("t", base_url=f"{ghe.url}/api/v3/")
        checks = GitHubChecks(client).commit_checks(REPO, SHA)
        deployment = client.create_deployment(REPO, {"ref": SHA, "environment": "m/Staging"})

    assert [c.name for c in checks.checks] == ["job 001"]
    assert deployment == 1001
    assert {path.split("?")[0] for _, path, _ in ghe.calls} == {
        f"/api/v3/repos/{REPO}/commits/{SHA}/check-runs",
        f"/api/v3/repos/{REPO}/commits/{SHA}/status",
        f"/api/v3/repos/{REPO}/deployments",
    }


FAILURES = [
    (
        "500",
        "GitHub answered HTTP 500 (read the check runs of 0123456789ab in acme/models), "
        "GitHub had a problem: simulated outage",
    ),
    (
        "timeout",
        "GitHub did not answer within 0.5 s (read the check runs of 0123456789ab in acme/models)",
    ),
    (
        "garbage",
        "GitHub sent an answer promobot does not understand (read the check runs of "
        "0123456789ab in acme/models): not JSON",
    ),
]


@pytest.mark.parametrize(("mode", "sentence"), FAILURES, ids=[f[0] for f in FAILURES])
def test_a_failing_github_is_one_sentence(
    github: FakeGitHubServer, mode: str, sentence: str
) -> None:
    github.fail("GET", "/check-runs", mode)
    client = GitHubClient("t", base_url=github.url, timeout=0.5)

    with pytest.raises(GitHubError) as raised:
        client.check_runs(REPO, SHA)

    assert str(raised.value) == sentence


@pytest.mark.parametrize(
    ("method", "call", "permission"),
    [
        ("GET", "check_runs", "checks: read"),
        ("GET", "commit_statuses", "statuses: read"),
        ("POST", "create_deployment", "deployments: write"),
        ("POST", "create_issue_comment", "issues: write"),
    ],
)
def test_a_refusal_names_the_permission_the_token_lacks(
    github: FakeGitHubServer, method: str, call: str, permission: str
) -> None:
    github.fail(method, ".", "403")
    client = GitHubClient("t", base_url=github.url)
    args: tuple[object, ...] = (REPO, SHA)
    if call == "create_deployment":
        args = (REPO, {"ref": SHA})
    elif call == "create_issue_comment":
        args = (REPO, 7, "❌ failed verification")

    with pytest.raises(GitHubError) as raised:
        getattr(client, call)(*args)

    assert raised.value.status == 403
    assert "HTTP 403 (" in str(raised.value)
    assert str(raised.value).endswith(
        f", the token lacks `{permission}` or the rate limit is used up: "
        "Resource not accessible by integration"
    )


def test_a_comment_on_a_pull_request_gives_its_url(github: FakeGitHubServer) -> None:
    client = GitHubClient("t", base_url=github.url)

    url = client.create_issue_comment(REPO, 7, "❌ **m v2 on Production** failed")

    assert url == "https://github.test/c/9001"
    assert github.calls[-1] == (
        "POST",
        f"/repos/{REPO}/issues/7/comments",
        {"body": "❌ **m v2 on Production** failed"},
    )


def test_a_repository_the_token_cannot_see_is_not_found() -> None:
    with FakeGitHubServer("someone/else") as other:
        client = GitHubClient("t", base_url=other.url)
        with pytest.raises(GitHubError) as missing:
            client.create_deployment(REPO, {"ref": SHA})

    assert missing.value.status == 404
    assert "not found (or the token cannot see the repository): Not Found" in str(missing.value)


def test_an_unreachable_github_is_one_sentence() -> None:
    client = GitHubClient("t", base_url="http://127.0.0.1:9", timeout=2)

    with pytest.raises(GitHubError) as raised:
        client.commit_statuses(REPO, SHA)

    assert str(raised.value).startswith(
        "GitHub is unreachable at http://127.0.0.1:9 (read the commit statuses of 0123456789ab"
    )
