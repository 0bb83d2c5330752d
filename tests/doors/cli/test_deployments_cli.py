"""`promobot deployments check|repair` (bot/doors/cli/deployments.py), in-process through
bot.cli.main: what is missing, its repair once, the exit statuses and the JSON. MLflow is a
real SQLite registry, GitHub the fake on 127.0.0.1."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import SERVICE_POLICY
from fake_github import FakeGitHubServer

from bot.cli import main

M = "sentiment-classifier"
REPO = "acme/models"
SHA = "5555555555555555555555555555555555555555"


@pytest.fixture
def github() -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer(REPO) as fake:
        yield fake


@pytest.fixture
def offline_promotion(
    tracking_uri: str, monkeypatch: pytest.MonkeyPatch, models: Any, capsys: Any
) -> tuple[int, str]:
    """v1, registered by CI, promoted to Staging where no GitHub token was set."""
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "SLACK_", "PROMOBOT_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PROMOBOT_POLICY", str(SERVICE_POLICY))
    version = models.version(M, accuracy=0.91, f1=0.88)
    models.client.set_model_version_tag(M, str(version), "git_repository", REPO)
    models.client.set_model_version_tag(M, str(version), "git_commit", SHA)
    assert main(["promote", M, f"v{version}", "staging", "--as", "bob", "--json"]) == 0
    request_id = json.loads(capsys.readouterr().out)["request_id"]
    return version, request_id


def with_github(monkeypatch: pytest.MonkeyPatch, github: FakeGitHubServer) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_test_token")
    monkeypatch.setenv("GITHUB_API_URL", github.url)


def test_check_lists_what_was_never_sent_and_exits_1(
    offline_promotion: tuple[int, str], capsys: Any
) -> None:
    version, request_id = offline_promotion

    assert main(["deployments", "check"]) == 1

    headline, line = capsys.readouterr().out.splitlines()
    assert headline == "1 GitHub deployment(s) missing:"
    # The promotion ran on the real clock: `(req-…, 2026-12-01 09:42 UTC)`.
    assert line.startswith(f"  {M} v{version} → Staging ({request_id}, ")
    assert line.endswith(f" UTC): the GitHub deployment to {M}/Staging in {REPO} was never sent")

    assert main(["deployments", "check", M, "--json"]) == 1
    answer = json.loads(capsys.readouterr().out)
    assert (answer["status"], answer["action"]) == ("refused", "deployments")
    (missing,) = answer["data"]["missing"]
    assert {k: missing[k] for k in ("model", "version", "target", "request_id", "why")} == {
        "model": M,
        "version": version,
        "target": "Staging",
        "request_id": request_id,
        "why": "never sent",
    }
    assert (missing["repository"], missing["commit"]) == (REPO, SHA)
    assert answer["reasons"][0].endswith("was never sent")


def test_repair_sends_it_once_then_there_is_nothing_to_do(
    offline_promotion: tuple[int, str],
    github: FakeGitHubServer,
    monkeypatch: pytest.MonkeyPatch,
    models: Any,
    capsys: Any,
) -> None:
    version, request_id = offline_promotion
    with_github(monkeypatch, github)

    assert main(["deployments", "repair", M]) == 1

    assert capsys.readouterr().out.splitlines() == [
        "1 GitHub deployment(s) recorded:",
        f"  {M} v{version} → Staging ({request_id}): recorded as GitHub deployment 1001 "
        f"in {M}/Staging",
    ]
    (deployment,) = github.deployments
    assert (deployment["ref"], deployment["payload"]["request"]) == (SHA, request_id)
    assert json.loads(models.tags(M, version)["github_deployment.Staging"])["id"] == 1001

    assert main(["deployments", "repair", M]) == 0
    assert capsys.readouterr().out == "No GitHub deployment is missing.\n"
    assert main(["deployments", "check"]) == 0
    assert len(github.deployments) == 1


def test_repair_with_github_down_exits_3_and_keeps_it_missing(
    offline_promotion: tuple[int, str],
    github: FakeGitHubServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
) -> None:
    with_github(monkeypatch, github)
    github.fail("POST", "/deployments$", "500")

    assert main(["deployments", "repair", "--json"]) == 3

    answer = json.loads(capsys.readouterr().out)
    assert answer["status"] == "error"
    (repair,) = answer["data"]["repaired"]
    assert repair["recorded"] is False
    assert repair["problem"].startswith("GitHub answered HTTP 500")
    assert "still not recorded: GitHub answered HTTP 500" in answer["reasons"][0]
    assert main(["deployments", "check"]) == 1
    assert "failed: GitHub answered HTTP 500" in capsys.readouterr().out


def test_repair_without_a_token_is_a_setup_error(
    offline_promotion: tuple[int, str], capsys: Any
) -> None:
    assert main(["deployments", "repair"]) == 2

    err = capsys.readouterr().err
    assert "GITHUB_TOKEN is not set" in err and "deployments: write" in err


def test_an_unknown_model_is_said(offline_promotion: tuple[int, str], capsys: Any) -> None:
    assert main(["deployments", "check", "no-such-model"]) == 1

    assert "  no-such-model: there is no registered model of that name" in capsys.readouterr().out


def test_usage_and_help(capsys: Any) -> None:
    assert main(["deployments", "--help"]) == 0
    assert "promobot deployments check [MODEL…]" in capsys.readouterr().out
    assert main(["deployments"]) == 2
    assert main(["deployments", "fix"]) == 2
    assert "unknown subcommand 'fix'" in capsys.readouterr().err
    assert main(["deployments", "check", "--all"]) == 2
    assert "unknown option '--all'" in capsys.readouterr().err


def test_mlflow_unreachable_exits_3(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")

    assert main(["deployments", "check"]) == 3

    assert "MLflow is unreachable" in capsys.readouterr().err


# ---- the same through `promobot audit` and `promobot audit --repair` ------------------------


def test_audit_lists_a_missing_deployment_record_and_repair_sends_it_once(
    offline_promotion: tuple[int, str],
    github: FakeGitHubServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
) -> None:
    version, _ = offline_promotion
    assert main(["audit", M]) == 0  # no GITHUB_TOKEN: deployment records are not audited
    capsys.readouterr()
    with_github(monkeypatch, github)

    assert main(["audit", M, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["findings"] == []
    (missing,) = report["deployments_missing"]
    assert (missing["version"], missing["target"], missing["why"]) == (
        version,
        "Staging",
        "never sent",
    )

    assert main(["audit", M, "--repair"]) == 0
    out = capsys.readouterr().out
    assert f"{M} v{version} → Staging" in out and "recorded as GitHub deployment" in out
    assert len(github.deployments) == 1
    assert main(["audit", M, "--repair"]) == 0  # exactly once: nothing missing any more
    assert len(github.deployments) == 1
