"""bot/adapters/github/deployments.py: the bodies GitHub's deployments API is sent, and
the sequence against the fake GitHub on 127.0.0.1 (real HTTP). What is recorded of it on
MLflow is tests/core/service/test_deployments.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from fake_github import FakeGitHubServer

from bot.adapters.github.client import GitHubClient
from bot.adapters.github.deployments import GitHubDeployments, deployment_body, status_body
from bot.core.ports.github import DeploymentPlan, GitHubError

REPO = "acme/models"
PLAN = DeploymentPlan(
    repository=REPO,
    sha="6" * 40,
    environment="m/Production",
    production=True,
    description="v3 → Production by bob@example.com: shadow ok",
    payload={"model": "m", "version": 3},
    environment_url="",
)


@pytest.fixture
def github() -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer(REPO) as fake:
        yield fake


def sender(github: FakeGitHubServer) -> GitHubDeployments:
    return GitHubDeployments(GitHubClient("t", base_url=github.url))


def test_the_bodies_github_is_sent() -> None:
    assert deployment_body(PLAN) == {
        "ref": "6" * 40,
        "environment": "m/Production",
        "auto_merge": False,
        "required_contexts": [],
        "production_environment": True,
        "payload": {"model": "m", "version": 3},
        "description": "v3 → Production by bob@example.com: shadow ok",
    }
    assert status_body(PLAN, "success") == {
        "state": "success",
        "description": "v3 → Production by bob@example.com: shadow ok",
    }
    assert status_body(PLAN, "inactive") == {"state": "inactive", "description": "replaced by v3"}


def test_a_deployment_its_success_and_the_replaced_one_inactive(github: FakeGitHubServer) -> None:
    old = sender(github).send(PLAN).id

    sent = sender(github).send(replace(PLAN, replaced=((REPO, old), (REPO, 4242))))

    assert (old, sent.id, sent.inactive) == (1001, 1002, (1001,))
    (problem,) = sent.problems  # GitHub knows no deployment 4242
    assert problem.startswith("GitHub answered HTTP 404 (set deployment 4242 of acme/models")
    assert github.statuses_of(1001) == ["success", "inactive"]
    assert github.statuses_of(1002) == ["success"]
    assert [path for _, path, _ in github.calls] == [
        f"/repos/{REPO}/deployments",
        f"/repos/{REPO}/deployments/1001/statuses",
        f"/repos/{REPO}/deployments",
        f"/repos/{REPO}/deployments/1002/statuses",
        f"/repos/{REPO}/deployments/1001/statuses",
        f"/repos/{REPO}/deployments/4242/statuses",
    ]


def test_a_status_that_failed_names_the_deployment_made(github: FakeGitHubServer) -> None:
    github.fail("POST", "/statuses$", "500", times=1)

    with pytest.raises(GitHubError) as raised:
        sender(github).send(PLAN)

    assert raised.value.deployment_id == 1001
    assert str(raised.value).endswith("(deployment 1001 was created; only its status is missing)")
    assert sender(github).send(replace(PLAN, existing_id=1001)).id == 1001
    assert len(github.deployments) == 1
    assert github.statuses_of(1001) == ["success"]


def test_an_answer_without_an_id_is_a_sentence(github: FakeGitHubServer) -> None:
    github.fail("POST", "/deployments$", "garbage")

    with pytest.raises(GitHubError) as raised:
        sender(github).send(PLAN)

    assert str(raised.value) == (
        "GitHub sent an answer promobot does not understand (create a deployment in "
        "acme/models): not JSON"
    )
