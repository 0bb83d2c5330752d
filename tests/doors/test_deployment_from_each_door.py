"""A promotion from each door records its GitHub deployment (bot/core/service/
deployments.py, sent through bot/adapters/github/ as bot/app.py wires it): the CLI
in-process, the pull-request comment door in-process, and the Slack app in-process as
tests/doors/slack/test_slack_app.py drives it.

GitHub is tests/fake_github.py on 127.0.0.1 (real HTTP) for the deployments and, for the
comment door, for every call it makes; Slack is tests/fake_slack.py; MLflow a real
SQLite registry.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, SERVICE_POLICY
from fake_github import FakeGitHubServer
from fake_slack import FakeSlack
from github_door_helpers import PERMISSIONS, comment_event
from slack_door import CHANNEL, SECRET, TOKEN, HeldWork, Slack, ack, posts

from bot.cli import main
from bot.doors.github.comment import run_github

M = "sentiment-classifier"
REPO = "acme/models"
REPO_PATH = f"/repos/{REPO}"
SHA = "4444444444444444444444444444444444444444"
UI = "https://mlflow.example.com"


@pytest.fixture
def github() -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer(
        REPO, 7, permissions=PERMISSIONS, comment_url=f"https://github.com/{REPO}/pull/7"
    ) as fake:
        yield fake


@pytest.fixture
def env(tracking_uri: str, monkeypatch: pytest.MonkeyPatch, github: FakeGitHubServer) -> None:
    """What every door reads: the registry, a token and where GitHub is."""
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "SLACK_", "PROMOBOT_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_test_token")
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("PROMOBOT_POLICY", str(SERVICE_POLICY))


def ci_version(models: Any) -> int:
    version = models.version(M, accuracy=0.91, f1=0.88)
    models.client.set_model_version_tag(M, str(version), "git_repository", REPO)
    models.client.set_model_version_tag(M, str(version), "git_commit", SHA)
    return version


def deployment_calls(github: FakeGitHubServer) -> list[tuple[str, str]]:
    return [(m, p) for m, p, _ in github.calls if "/deployments" in p]


# ---- the CLI ---------------------------------------------------------------------------------


def test_a_promotion_typed_in_the_terminal_is_deployed(
    env: None,
    github: FakeGitHubServer,
    models: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
) -> None:
    monkeypatch.setenv("PROMOBOT_MLFLOW_UI_URL", UI)
    version = ci_version(models)

    code = main(["promote", M, f"v{version}", "staging", "smoke", "ok", "--as", "bob", "--json"])

    assert code == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["status"] == "done"
    assert answer["data"]["notes"] == [
        f"Recorded on GitHub: deployment 1001 of `{SHA[:12]}` to `{M}/Staging` in {REPO}."
    ]
    (deployment,) = github.deployments
    assert (deployment["ref"], deployment["environment"]) == (SHA, f"{M}/Staging")
    assert deployment["payload"] == {
        "model": M,
        "version": version,
        "request": answer["request_id"],
        "requested_by": "bob@example.com",
        "approved_by": "",
        "reason": "smoke ok",
    }
    assert github.deployment_statuses == [
        (
            1001,
            {
                "state": "success",
                "description": f"v{version} → Staging by bob@example.com: smoke ok",
                "environment_url": f"{UI}/#/models/{M}/versions/{version}",
            },
        )
    ]
    assert json.loads(models.tags(M, version)["github_deployment.Staging"])["id"] == 1001


def test_the_terminal_says_when_github_did_not_take_it(
    env: None, github: FakeGitHubServer, models: Any, capsys: Any
) -> None:
    version = ci_version(models)
    github.fail("POST", "/deployments$", "500")

    code = main(["promote", M, f"v{version}", "staging", "--as", "bob"])

    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"🚀 {M} v{version} → Staging done")
    assert (
        f"⚠️ The GitHub deployment to `{M}/Staging` was not recorded: GitHub answered HTTP 500"
        in out
    )
    assert f"`promobot deployments repair {M}` records it later." in out
    assert models.stage(M, version) == "Staging"


# ---- the pull-request comment door --------------------------------------------------------------


def test_a_promotion_commented_on_a_pull_request_is_deployed(
    env: None,
    github: FakeGitHubServer,
    models: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.setenv("PROMOBOT_POLICY", str(FIXTURES / "github" / "policy.yaml"))
    monkeypatch.chdir(tmp_path)
    version = ci_version(models)
    event = comment_event(tmp_path, monkeypatch)  # "/promote sentiment-classifier v1 staging …"
    link = event["comment"]["html_url"]

    assert run_github([]) == 0

    assert models.stage(M, version) == "Staging"
    comment = event["comment"]["id"]
    assert [(m, p) for m, p, _ in github.calls] == [
        ("GET", f"{REPO_PATH}/collaborators/bob/permission"),
        ("POST", f"{REPO_PATH}/issues/comments/{comment}/reactions"),
        ("POST", f"{REPO_PATH}/deployments"),
        ("POST", f"{REPO_PATH}/deployments/1001/statuses"),
        ("POST", f"{REPO_PATH}/issues/7/comments"),
        ("POST", f"{REPO_PATH}/issues/comments/{comment}/reactions"),
    ]
    (deployment,) = github.deployments
    assert deployment["payload"]["requested_by"] == "bob@example.com"
    assert deployment["payload"]["reason"] == "ready for QA"
    assert deployment["production_environment"] is False
    # Without an MLflow UI, the deployment links the comment that asked for it.
    assert github.deployment_statuses[0][1]["environment_url"] == link
    (reply,) = [b["body"] for m, p, b in github.calls if p.endswith("/issues/7/comments")]
    assert reply.startswith(f"🚀 **{M} v{version} → Staging** done")
    assert f"Recorded on GitHub: deployment 1001 of `{SHA[:12]}` to `{M}/Staging`" in reply


# ---- the Slack app -------------------------------------------------------------------------------


@pytest.fixture
def slack(
    env: None, tracking_uri: str, clock: Any, caplog: pytest.LogCaptureFixture
) -> Iterator[tuple[Slack, FakeSlack]]:
    from slack_sdk import WebClient

    from bot.app import build_service
    from bot.config import Settings
    from bot.doors.slack.app import build_app

    # The rest from the environment, as `promobot serve` reads it: GITHUB_TOKEN and
    # GITHUB_API_URL among it. The service is built as serve builds it.
    settings = Settings(slack_signing_secret=SECRET, slack_bot_token=TOKEN)
    with FakeSlack() as fake:
        service = build_service(
            Settings(slack_bot_token=TOKEN, slack_api_url=fake.api_url), clock=clock
        )
        client = WebClient(token=TOKEN, base_url=fake.api_url, timeout=10)
        work = HeldWork()
        app = build_app(settings, lambda: service, client=client, executor=work)
        yield Slack(app, work, fake), fake
    failures = [r.getMessage() for r in caplog.records if r.levelno >= 40]
    assert failures == []


def test_a_promotion_asked_in_slack_is_deployed(
    slack: tuple[Slack, FakeSlack], github: FakeGitHubServer, models: Any
) -> None:
    door, fake = slack
    version = ci_version(models)

    ack(door.command("U01BOB", "/promote", f"{M} v{version} staging smoke ok", "stage"))
    assert github.deployments == []  # not before the work after the ack
    door.work.run()

    (message,) = posts(fake)
    assert message.body["channel"] == CHANNEL
    assert f"*{M} v{version} → Staging* done" in message.text
    assert f"Recorded on GitHub: deployment 1001 of `{SHA[:12]}`" in message.text
    (deployment,) = github.deployments
    assert deployment["payload"]["requested_by"] == "bob@example.com"
    assert deployment["environment"] == f"{M}/Staging"
    assert github.statuses_of(1001) == ["success"]
    # Slack gives no link to where it was asked, and no MLflow UI is set: no URL at all.
    assert "environment_url" not in github.deployment_statuses[0][1]
    tags = models.tags(M, version)
    assert tags["promotion_channel"] == "slack"
    assert json.loads(tags["github_deployment.Staging"])["state"] == "success"
