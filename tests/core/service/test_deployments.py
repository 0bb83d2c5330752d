"""bot/core/service/deployments.py, wired as bot/app.py wires it: every promotion of a
version from a GitHub commit becomes a GitHub deployment, sent by the execution itself,
what GitHub failed to take is listed as missing, and a repair sends it once.

MLflow is a real SQLite registry; GitHub is tests/fake_github.py on 127.0.0.1, over real
HTTP (bot/adapters/github/, with a short timeout for the timeout case).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import SERVICE_POLICY
from fake_github import FakeGitHubServer
from service_helpers import M, run, to_production

from bot.app import build_github, build_service
from bot.config import Settings
from bot.core.ports.github import DeploymentPlan, GitHubPorts, SentDeployment
from bot.core.service import Service
from bot.render.ci import missing_deployment_line, repair_line
from bot.render.message import to_text

REPO = "acme/models"
SHA1 = "1111111111111111111111111111111111111111"
SHA2 = "2222222222222222222222222222222222222222"
UI = "https://mlflow.example.com"


@pytest.fixture
def github() -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer(REPO) as fake:
        fake.delay_s = 2.0
        yield fake


@pytest.fixture
def make(tracking_uri: str, clock: Any, github: FakeGitHubServer) -> Callable[..., Service]:
    """A service as bot/app.py builds it, its GitHub at the fake (or none: token="")."""

    def build(token: str = "ghs_test", ui: str = UI) -> Service:
        settings = Settings(
            mlflow_tracking_uri=tracking_uri,
            promobot_policy=str(SERVICE_POLICY),
            github_token=token or None,
            github_api_url=github.url,
            promobot_mlflow_ui_url=ui,
        )
        return build_service(settings, clock=clock, github=build_github(settings, timeout=1))

    return build


def ci_version(models: Any, sha: str, **metrics: float) -> int:
    """A version as CI registers it: from a run, tagged with its repository and commit."""
    version = models.version(M, **(metrics or {"accuracy": 0.91, "f1": 0.88}))
    models.client.set_model_version_tag(M, str(version), "git_repository", REPO)
    models.client.set_model_version_tag(M, str(version), "git_commit", sha)
    return version


def record(models: Any, version: int, target: str) -> dict[str, Any]:
    return json.loads(models.tags(M, version)[f"github_deployment.{target}"])


# ---- a promotion is a deployment ------------------------------------------------------------


def test_a_promotion_creates_a_deployment_of_the_commit_with_a_success_status(
    make: Callable[..., Service], models: Any, github: FakeGitHubServer
) -> None:
    version = ci_version(models, SHA1)

    result = run(make(), "cli:bob", f"promote {M} v{version} staging smoke ok")

    assert result.status == "done"
    (deployment,) = github.deployments
    assert deployment == {
        "id": 1001,
        "ref": SHA1,
        "environment": f"{M}/Staging",
        "auto_merge": False,
        "required_contexts": [],
        "production_environment": False,
        "payload": {
            "model": M,
            "version": version,
            "request": result.request_id,
            "requested_by": "bob@example.com",
            "approved_by": "",
            "reason": "smoke ok",
        },
        "description": f"v{version} → Staging by bob@example.com: smoke ok",
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
    assert list(result.notes) == [
        f"Recorded on GitHub: deployment 1001 of `{SHA1[:12]}` to `{M}/Staging` in {REPO}."
    ]
    assert "Recorded on GitHub: deployment 1001" in to_text(result)
    assert result.to_json()["data"]["deployment"] == {
        "environment": f"{M}/Staging",
        "repository": REPO,
        "id": 1001,
        "recorded": True,
        "problem": "",
    }
    assert record(models, version, "Staging") == {
        "state": "success",
        "id": 1001,
        "request": result.request_id,
        "environment": f"{M}/Staging",
        "repository": REPO,
        "sha": SHA1,
        "at": "2026-11-25T10:00:00Z",
        "why": "",
    }
    assert make().missing_deployments([M]) == []


def test_production_after_approval_is_a_production_deployment_and_retires_the_old_ones(
    make: Callable[..., Service], models: Any, github: FakeGitHubServer
) -> None:
    service = make()
    v1 = ci_version(models, SHA1)
    v2 = ci_version(models, SHA2, accuracy=0.93, f1=0.89)
    to_production(service, v1)
    staging_v1, production_v1 = (d["id"] for d in github.deployments)

    done = to_production(service, v2)

    assert done.status == "done", done.reasons
    production = github.deployments[-1]
    assert (production["ref"], production["environment"]) == (SHA2, f"{M}/Production")
    assert production["production_environment"] is True
    assert production["payload"]["approved_by"] == "alice@example.com"
    assert production["payload"]["requested_by"] == "bob@example.com"
    assert production["description"] == (
        f"v{v2} → Production by bob@example.com, approved by alice@example.com: shadow ok"
    )
    # v1 left Production (replaced) and, before that, Staging (moved on): both inactive.
    assert github.statuses_of(production_v1) == ["success", "inactive"]
    assert github.statuses_of(staging_v1) == ["success", "inactive"]
    assert github.statuses_of(production["id"]) == ["success"]
    assert record(models, v1, "Production")["state"] == "inactive"
    assert record(models, v2, "Production")["state"] == "success"
    assert service.missing_deployments([M]) == []


def test_a_rollback_deploys_the_restored_commit_and_retires_the_rolled_back_one(
    make: Callable[..., Service], models: Any, github: FakeGitHubServer
) -> None:
    service = make()
    v1 = ci_version(models, SHA1)
    v2 = ci_version(models, SHA2, accuracy=0.93, f1=0.89)
    to_production(service, v1)
    to_production(service, v2)
    bad = github.deployments[-1]["id"]

    rolled = run(service, "slack:U01CAROL", f"rollback {M} latency doubled")

    assert rolled.status == "done" and rolled.version == v1
    restored = github.deployments[-1]
    assert (restored["ref"], restored["environment"]) == (SHA1, f"{M}/Production")
    assert restored["payload"]["reason"] == "rollback: latency doubled"
    assert restored["payload"]["requested_by"] == "carol@example.com"
    assert github.statuses_of(bad) == ["success", "inactive"]
    assert github.statuses_of(restored["id"]) == ["success"]
    assert record(models, v2, "Production")["state"] == "inactive"
    assert record(models, v1, "Production")["request"] == rolled.request_id
    assert any("Recorded on GitHub" in note for note in rolled.notes)


def test_without_the_mlflow_ui_the_status_links_where_it_was_asked(
    make: Callable[..., Service], models: Any, github: FakeGitHubServer
) -> None:
    version = ci_version(models, SHA1)
    link = "https://github.com/acme/models/pull/7#issuecomment-41"

    run(make(ui=""), "github:bob", f"promote {M} v{version} staging", "github", link)

    assert github.deployment_statuses[0][1]["environment_url"] == link


def test_an_alias_is_its_own_environment(
    make: Callable[..., Service], models: Any, github: FakeGitHubServer
) -> None:
    version = ci_version(models, SHA1)

    assert run(make(), "cli:alice", f"promote {M} v{version} @champion").status == "done"

    assert github.deployments[0]["environment"] == f"{M}/@champion"
    assert record(models, version, "champion")["environment"] == f"{M}/@champion"


def test_versions_without_git_metadata_and_services_without_a_token_send_nothing(
    make: Callable[..., Service], models: Any, github: FakeGitHubServer
) -> None:
    plain = models.version(M, accuracy=0.9, f1=0.88)
    assert run(make(), "cli:bob", f"promote {M} v{plain} staging").notes == ()

    from_ci = ci_version(models, SHA1)
    result = run(make(token=""), "cli:bob", f"promote {M} v{from_ci} staging")

    assert result.status == "done" and result.notes == ()
    assert github.calls == []
    (gap,) = make().missing_deployments([M])
    assert (gap.version, gap.target, gap.why) == (from_ci, "Staging", "never sent")
    assert gap.request_id == result.request_id
    assert missing_deployment_line(gap) == (
        f"{M} v{from_ci} → Staging ({result.request_id}, 2026-11-25 10:00 UTC): the GitHub "
        f"deployment to {M}/Staging in {REPO} was never sent"
    )


# ---- GitHub failing never undoes a promotion ----------------------------------------------------

FAILURES = [
    ("500", "GitHub answered HTTP 500 (create a deployment in acme/models), GitHub had a problem"),
    ("timeout", "GitHub did not answer within 1 s (create a deployment in acme/models)"),
    ("garbage", "GitHub sent an answer promobot does not understand (create a deployment in"),
]


@pytest.mark.parametrize(("mode", "said"), FAILURES, ids=[f[0] for f in FAILURES])
def test_github_failing_leaves_the_promotion_done_says_so_and_a_repair_sends_it_once(
    make: Callable[..., Service],
    models: Any,
    github: FakeGitHubServer,
    mode: str,
    said: str,
) -> None:
    service = make()
    version = ci_version(models, SHA1)
    github.fail("POST", r"/deployments$", mode)

    result = run(service, "cli:bob", f"promote {M} v{version} staging smoke ok")

    assert result.status == "done"
    assert models.stage(M, version) == "Staging"
    assert models.tags(M, version)["promotion_request"] == result.request_id
    (note,) = result.notes
    assert note.startswith(f"⚠️ The GitHub deployment to `{M}/Staging` was not recorded: {said}")
    assert note.endswith(
        f"The promotion stands; `promobot deployments repair {M}` records it later."
    )
    assert note in to_text(result)
    assert record(models, version, "Staging")["state"] == "failed"
    assert github.deployments == []
    (gap,) = service.missing_deployments([M])
    assert gap.why.startswith(f"failed: {said}")

    github.heal()
    calls_before = len(github.calls)
    (repaired,) = service.repair_deployments([M])

    assert repaired.recorded and repaired.deployment_id == 1001
    assert repair_line(repaired) == (
        f"{M} v{version} → Staging ({result.request_id}): recorded as GitHub deployment "
        f"1001 in {M}/Staging"
    )
    assert [d["ref"] for d in github.deployments] == [SHA1]
    assert github.statuses_of(1001) == ["success"]
    assert record(models, version, "Staging")["state"] == "success"
    assert service.missing_deployments([M]) == []
    sent = len(github.calls)
    assert sent == calls_before + 2  # one deployment, one status

    assert service.repair_deployments([M]) == []
    assert len(github.calls) == sent
    assert len(github.deployments) == 1


def test_a_deployment_whose_status_failed_is_finished_without_a_second_deployment(
    make: Callable[..., Service], models: Any, github: FakeGitHubServer
) -> None:
    service = make()
    version = ci_version(models, SHA1)
    github.fail("POST", r"/statuses$", "500", times=1)

    result = run(service, "cli:bob", f"promote {M} v{version} staging")

    (note,) = result.notes
    assert "deployment 1001 was created; only its status is missing" in note
    assert record(models, version, "Staging")["id"] == 1001

    (repaired,) = service.repair_deployments([])
    assert repaired.deployment_id == 1001
    assert len(github.deployments) == 1
    assert github.statuses_of(1001) == ["success"]


def test_only_what_still_holds_a_target_is_missing(
    make: Callable[..., Service], models: Any, github: FakeGitHubServer
) -> None:
    offline = make(token="")
    v1 = ci_version(models, SHA1)
    v2 = ci_version(models, SHA2)
    run(offline, "cli:bob", f"promote {M} v{v1} staging")
    run(offline, "cli:bob", f"promote {M} v{v2} staging")

    (gap,) = make().missing_deployments([])

    # v1 no longer serves Staging: deploying it now would misstate what runs.
    assert (gap.version, gap.target) == (v2, "Staging")
    assert make().deployment_check([M, "no-such-model"]).unknown == ["no-such-model"]


def test_a_long_reason_is_cut_to_githubs_140_characters(
    make: Callable[..., Service], models: Any, github: FakeGitHubServer
) -> None:
    version = ci_version(models, SHA1)
    reason = "passed the shadow test on the full holdout set " * 5

    run(make(), "cli:bob", f"promote {M} v{version} staging {reason}")

    (deployment,) = github.deployments
    assert len(deployment["description"]) == 140
    assert deployment["description"].endswith("…")
    assert deployment["payload"]["reason"] == reason.strip()


def test_a_replaced_deployment_github_would_not_retire_is_said(
    make: Callable[..., Service], models: Any, github: FakeGitHubServer
) -> None:
    service = make()
    v1 = ci_version(models, SHA1)
    v2 = ci_version(models, SHA2)
    run(service, "cli:bob", f"promote {M} v{v1} staging")
    github.fail("POST", r"/deployments/1001/statuses$", "500")

    result = run(service, "cli:bob", f"promote {M} v{v2} staging")

    (note,) = result.notes
    assert note.startswith("Recorded on GitHub: deployment 1002")
    assert "The deployment it replaced is still shown as active: GitHub answered HTTP 500" in note
    assert record(models, v1, "Staging")["state"] == "success"
    assert record(models, v2, "Staging")["state"] == "success"
    assert service.missing_deployments([M]) == []


class Broken:
    """A sender with a bug: it raises what no port promises."""

    def send(self, plan: DeploymentPlan) -> SentDeployment:
        raise RuntimeError("a bug in the sender")


def test_a_sender_that_breaks_leaves_the_promotion_done_and_the_deployment_missing(
    tracking_uri: str, clock: Any, models: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(mlflow_tracking_uri=tracking_uri, promobot_policy=str(SERVICE_POLICY))
    service = build_service(settings, clock=clock, github=GitHubPorts(deployer=Broken()))
    version = ci_version(models, SHA1)

    with caplog.at_level(logging.WARNING, logger="promobot.deployments"):
        result = run(service, "cli:bob", f"promote {M} v{version} staging")

    assert (result.status, result.notes) == ("done", ())
    assert models.stage(M, version) == "Staging"
    assert "recording the GitHub deployment failed" in caplog.text
    (gap,) = service.missing_deployments([M])
    assert (gap.version, gap.why) == (version, "never sent")
