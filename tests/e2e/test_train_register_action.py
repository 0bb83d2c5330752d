"""The reusable workflow's action, end to end, against a real `mlflow server`.

actions/train-register/action.yml's `run:` steps run in order as the Actions runner runs
them (tests/actions_runner.py): bash, the runner's GITHUB_* variables and its
GITHUB_OUTPUT, GITHUB_ENV and GITHUB_STEP_SUMMARY files, the inputs as `env:`. The
training is the example's own train.py; the request is `staging`, as `cli:ci` under the
policy. Once against the session's plain server, once against its basic-auth server with
the CI user docs/deploy.md describes, whose credentials are the job's environment as the
reusable workflow passes them (MLFLOW_TRACKING_USERNAME / _PASSWORD).
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from actions_runner import GIT_TAGS, RUN_URL, SHA, policy_for, run_composite, runner_env
from conftest import REPO
from servers import AUTH_ADMIN, credentials, mlflow_user

pytestmark = pytest.mark.server

ACTION = REPO / "actions" / "train-register" / "action.yml"


def run_action(url: str, model: str, tmp_path: Path, **settings: str) -> Any:
    """The action's steps for `model`, as a push to main runs them, with `settings` in
    the job's environment; the example's train.py trains."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "examples").symlink_to(REPO / "examples", target_is_directory=True)
    runner_dir = tmp_path / "runner"
    runner_dir.mkdir()
    inputs = {
        "model": model,
        "experiment": settings.pop("experiment", ""),
        "request": "staging",
        "policy": str(policy_for(model, tmp_path)),
        "install-promobot": "false",
    }
    env = runner_env(tmp_path, workspace, MLFLOW_TRACKING_URI=url, **settings)
    return run_composite(ACTION, inputs, env, workspace, runner_dir)


def check(url: str, model: str, ran: Any) -> None:
    """The outputs, the job summary, and what MLflow holds: v1 from the run train.py
    logged into, tagged with the commit, in Staging as cli:ci asked."""
    from mlflow import MlflowClient

    outputs = ran.outputs
    assert outputs["version"] == "1"
    assert re.fullmatch(r"[0-9a-f]{32}", outputs["run-id"])
    assert outputs["model-uri"] == f"models:/{model}/1"
    assert outputs["request-status"] == "done"
    assert re.fullmatch(r"req-[0-9a-f]+", outputs["request-id"])
    assert ran.env["MLFLOW_RUN_ID"] == outputs["run-id"]  # start-run's GITHUB_ENV

    client = MlflowClient(tracking_uri=url)
    run = client.get_run(outputs["run-id"])
    assert run.info.status == "FINISHED"
    assert {k: run.data.tags.get(k) for k in GIT_TAGS} == GIT_TAGS
    mv = client.get_model_version(model, "1")
    assert mv.run_id == outputs["run-id"] and mv.current_stage == "Staging"
    assert mv.source.startswith("models:/m-")
    logged = client.get_logged_model(mv.source.removeprefix("models:/"))
    assert logged.source_run_id == outputs["run-id"] and logged.name == "model"
    assert json.loads(logged.tags["mlflow.modelVersions"]) == [{"name": model, "version": 1}]
    assert {k: mv.tags.get(k) for k in GIT_TAGS} == GIT_TAGS
    assert mv.tags["requested_by"] == "cli:ci"
    assert mv.tags["promotion_request"] == outputs["request-id"]
    assert mv.tags["promotion_link"] == RUN_URL

    accuracy = run.data.metrics["accuracy"]
    assert ran.summary.startswith(f"### 📦 {model} v1 registered\n")
    for line in (
        f"| model URI | `models:/{model}/1` |",
        f"| run | `{outputs['run-id']}` |",
        f"| commit | `{SHA}` |",
        "| pull request | #7 |",
        f"| workflow run | {RUN_URL} |",
        f"| accuracy | {accuracy:.3f} |",
        "No version is in Production yet, so there is nothing to compare with.",
        "#### Request: Staging",
    ):
        assert line in ran.summary.splitlines(), (line, ran.summary)
    assert f"🚀 **{model} v1 → Staging** done" in ran.summary
    for log in ran.logs.values():
        assert "Traceback" not in log


def test_the_action_against_a_plain_server(mlflow_server, tmp_path):
    model = f"action-{uuid.uuid4().hex[:8]}"
    ran = run_action(mlflow_server.url, model, tmp_path)

    check(mlflow_server.url, model, ran)


def test_the_action_against_basic_auth_as_the_ci_user(mlflow_auth_server, ci_account, tmp_path):
    url = mlflow_auth_server.url
    ran = run_action(
        url,
        ci_account.model,
        tmp_path,
        experiment=ci_account.experiment,
        **credentials(ci_account.who),
    )

    with mlflow_user(AUTH_ADMIN):
        check(url, ci_account.model, ran)
