"""The checks gate as the service decides it (bot/core/service/deciding.py): the checks on the
version's commit are read from GitHub (the fake on 127.0.0.1, real HTTP) when the
request is made and again when its last approval carries it out; what cannot be read
refuses. MLflow is a real SQLite registry."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import FIXTURES
from fake_github import FakeGitHubServer
from service_helpers import M, run

from bot.app import build_github, build_service
from bot.config import Settings
from bot.core.service import Service
from bot.render.message import to_text

REPO = "acme/models"
SHA = "3333333333333333333333333333333333333333"
RUNS = f"https://github.com/{REPO}/actions/runs/"
POLICY = FIXTURES / "checks_policy.yaml"


def check_run(name: str, conclusion: str | None = "success", status: str = "completed") -> dict:
    return {
        "name": name,
        "status": status,
        "conclusion": conclusion if status == "completed" else None,
        "html_url": RUNS + name.replace(" ", ""),
    }


def ci_status(context: str, state: str = "success") -> dict:
    return {"context": context, "state": state, "target_url": f"https://ci.example/{context}"}


@pytest.fixture
def github() -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer(REPO, check_runs={}, statuses={}) as fake:
        yield fake


@pytest.fixture
def make(tracking_uri: str, clock: Any, github: FakeGitHubServer) -> Callable[..., Service]:
    def build(token: str = "ghs_test") -> Service:
        settings = Settings(
            mlflow_tracking_uri=tracking_uri,
            promobot_policy=str(POLICY),
            github_token=token or None,
            github_api_url=github.url,
        )
        return build_service(settings, clock=clock, github=build_github(settings, timeout=2))

    return build


@pytest.fixture
def version(models: Any) -> int:
    number = models.version(M, accuracy=0.9, f1=0.88)
    models.client.set_model_version_tag(M, str(number), "git_repository", REPO)
    models.client.set_model_version_tag(M, str(number), "git_commit", SHA)
    return number


def checks_row(result: Any) -> tuple[str, str]:
    (row,) = [(c.status, c.detail) for c in result.checks if c.name == "checks"]
    return row


def test_all_green_passes(
    make: Callable[..., Service], github: FakeGitHubServer, models: Any, version: int
) -> None:
    github.check_runs[SHA] = [check_run("test"), check_run("lint / ruff"), check_run("docs")]

    result = run(make(), "cli:bob", f"promote {M} v{version} staging")

    assert result.status == "done", result.reasons
    assert checks_row(result) == ("pass", f"test, lint / ruff passed on `{SHA[:12]}` in {REPO}")
    assert models.stage(M, version) == "Staging"


CASES = [
    (
        [check_run("test", "failure"), check_run("lint / ruff")],
        [],
        f"`test` failed (check run failure: {RUNS}test)",
    ),
    (
        [check_run("test"), check_run("lint / ruff", status="in_progress")],
        [],
        f"`lint / ruff` has not finished (check run in progress: {RUNS}lint/ruff)",
    ),
    (
        [check_run("test")],
        [],
        "`lint / ruff` is missing (no check run or status of that name)",
    ),
    (
        [check_run("test")],
        [ci_status("lint / ruff", "pending")],
        "`lint / ruff` has not finished (status pending: https://ci.example/lint / ruff)",
    ),
]


@pytest.mark.parametrize(
    ("runs", "statuses", "said"), CASES, ids=["failed", "pending", "missing", "pending-status"]
)
def test_a_failed_pending_or_missing_check_refuses_with_its_name_and_link(
    make: Callable[..., Service],
    github: FakeGitHubServer,
    models: Any,
    version: int,
    runs: list[dict],
    statuses: list[dict],
    said: str,
) -> None:
    github.check_runs[SHA], github.statuses[SHA] = runs, statuses
    before = models.snapshot(M)

    result = run(make(), "cli:bob", f"promote {M} v{version} staging")

    assert result.status == "refused"
    (reason,) = result.reasons
    assert reason.startswith(f"v{version}'s commit `{SHA[:12]}` in {REPO} has not passed")
    assert said in reason
    assert checks_row(result)[0] == "fail"
    text = to_text(result)
    assert said in text and "To get past it: wait for the checks to pass" in text
    assert models.snapshot(M) == before


def test_statuses_count_as_checks(
    make: Callable[..., Service], github: FakeGitHubServer, version: int
) -> None:
    github.check_runs[SHA] = [check_run("test")]
    github.statuses[SHA] = [ci_status("lint / ruff")]

    result = run(make(), "cli:bob", f"promote {M} v{version} staging")

    assert result.status == "done", result.reasons


def test_more_than_a_hundred_check_runs_are_read_to_the_last_page(
    make: Callable[..., Service], github: FakeGitHubServer, version: int
) -> None:
    github.check_runs[SHA] = [check_run(f"shard {n:03}") for n in range(140)]
    github.check_runs[SHA][123] = check_run("shard 123", "timed_out")

    refused = run(make(), "cli:bob", f"promote {M} v{version} production flaky shard")

    assert refused.status == "refused"
    assert checks_row(refused)[1] == f"1 failed on `{SHA[:12]}` in {REPO}"
    assert f"`shard 123` failed (check run timed out: {RUNS}shard123)" in refused.reasons[0]
    pages = [path for _, path, _ in github.calls if "/check-runs" in path]
    assert len(pages) == 2

    github.check_runs[SHA][123] = check_run("shard 123")
    pending = run(make(), "cli:bob", f"promote {M} v{version} production all green")

    assert pending.status == "pending", pending.reasons
    assert checks_row(pending) == ("pass", f"all 140 passed on `{SHA[:12]}` in {REPO}")


def test_the_checks_are_read_again_when_the_last_approval_arrives(
    make: Callable[..., Service], github: FakeGitHubServer, models: Any, version: int
) -> None:
    service = make()
    github.check_runs[SHA] = [check_run("test"), check_run("e2e")]
    pending = run(service, "cli:bob", f"promote {M} v{version} production ready")
    assert pending.status == "pending", pending.reasons
    github.check_runs[SHA] = [check_run("test"), check_run("e2e", "failure")]

    refused = run(service, "slack:U01ALICE", f"approve {pending.request_id}")

    assert refused.status == "refused"
    assert f"`e2e` failed (check run failure: {RUNS}e2e)" in refused.reasons[0]
    assert "no longer passes the policy; nothing moved" in refused.message
    assert models.stage(M, version) == "None"

    github.check_runs[SHA] = [check_run("test"), check_run("e2e")]
    done = run(service, "slack:U01ALICE", f"approve {pending.request_id}")

    assert done.status == "done", done.reasons
    assert models.stage(M, version) == "Production"


def test_without_a_token_the_gate_refuses_and_says_so(
    make: Callable[..., Service], github: FakeGitHubServer, version: int
) -> None:
    result = run(make(token=""), "cli:bob", f"promote {M} v{version} staging")

    assert result.status == "refused"
    assert list(result.reasons) == [
        f"The checks of v{version} could not be confirmed: GITHUB_TOKEN is not set, so "
        "promobot cannot read the checks on GitHub; set GITHUB_TOKEN to a token that may "
        "read checks and statuses (`checks: read`, `statuses: read`)."
    ]
    assert github.calls == []


def test_a_version_without_git_metadata_is_refused_with_that_reason(
    make: Callable[..., Service], github: FakeGitHubServer, models: Any
) -> None:
    plain = models.version(M, accuracy=0.9, f1=0.88)

    result = run(make(), "cli:bob", f"promote {M} v{plain} staging")

    assert result.status == "refused"
    assert result.reasons[0].startswith(
        f"The checks of v{plain} could not be confirmed: v{plain} has no git metadata "
        "(model-version tags `git_repository` and `git_commit`)"
    )
    assert github.calls == []


def test_github_down_refuses_rather_than_guessing(
    make: Callable[..., Service], github: FakeGitHubServer, version: int
) -> None:
    github.fail("GET", "/status$", "500")

    result = run(make(), "cli:bob", f"promote {M} v{version} staging")

    assert result.status == "refused"
    assert "GitHub answered HTTP 500 (read the commit statuses of" in result.reasons[0]


def test_a_target_without_require_checks_never_asks_github(
    make: Callable[..., Service], github: FakeGitHubServer, version: int
) -> None:
    result = run(make(), "cli:bob", f"promote {M} v{version} @champion")

    assert result.status == "done"
    assert [c.name for c in result.checks] == ["requester", "approvals"]
    assert not [call for call in github.calls if "/commits/" in call[1]]
