"""The train-and-register action, run here the way the Actions runner runs it
(tests/actions_runner.py), on a real SQLite registry; and `promobot register`'s own
answers, in-process. The training is the example model, trained once.
(tests/e2e/test_train_register_action.py runs the same action against `mlflow server`.)
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from actions_runner import GIT_TAGS, RUN_URL, SHA, read_pairs, run_composite, runner_env
from conftest import FIXTURES, REPO

from bot.doors.cli.register import git_metadata, run_register

ACTION = REPO / "actions" / "train-register" / "action.yml"
POLICY = FIXTURES / "github" / "policy.yaml"
MODEL = "sentiment-classifier"


# ---- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def actions_env(tracking_uri: str, tmp_path: Path, workspace: Path) -> dict[str, str]:
    """What the runner gives a push-to-main job."""
    return runner_env(tmp_path, workspace, MLFLOW_TRACKING_URI=tracking_uri)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A checkout of the repository: the example model, nothing written into the real tree."""
    root = tmp_path / "workspace"
    root.mkdir()
    (root / "examples").symlink_to(REPO / "examples", target_is_directory=True)
    return root


# ---- the whole flow: start the run, train once, register, request staging ------------------------


def test_train_register_runs_locally_on_the_example_model(
    actions_env: dict[str, str], workspace: Path, models: Any, tmp_path: Path
) -> None:
    production = models.version(MODEL, accuracy=0.85, f1=0.84, precision=0.86, recall=0.82)
    models.client.transition_model_version_stage(MODEL, str(production), "Production")
    runner_dir = tmp_path / "runner"
    runner_dir.mkdir()

    ran = run_composite(
        ACTION,
        {"model": MODEL, "request": "staging", "policy": str(POLICY), "install-promobot": "false"},
        actions_env,
        workspace,
        runner_dir,
    )

    outputs = ran.outputs
    version = int(outputs["version"])
    assert version == production + 1
    assert re.fullmatch(r"[0-9a-f]{32}", outputs["run-id"])
    assert outputs["model-uri"] == f"models:/{MODEL}/{version}"
    assert outputs["request-status"] == "done"
    assert re.fullmatch(r"req-[0-9a-f]+", outputs["request-id"])
    # The training command logged into the run start-run made (MLFLOW_RUN_ID via GITHUB_ENV).
    assert ran.env["MLFLOW_RUN_ID"] == outputs["run-id"]

    mv = models.client.get_model_version(MODEL, str(version))
    assert mv.run_id == outputs["run-id"]
    assert mv.source.startswith("models:/m-")  # MLflow 3's LoggedModel
    git = GIT_TAGS  # the pull request from the squash-merge message "… (#7)"
    assert {k: mv.tags.get(k) for k in git} == git
    run = models.client.get_run(outputs["run-id"])
    assert {k: run.data.tags.get(k) for k in git} == git
    assert run.info.status == "FINISHED"
    assert {"accuracy", "f1", "precision", "recall"} <= set(run.data.metrics)

    assert models.stage(MODEL, version) == "Staging"
    assert models.stage(MODEL, production) == "Production"
    tags = models.tags(MODEL, version)
    assert tags["promotion_channel"] == "ci"
    assert tags["requested_by"] == "cli:ci"  # the handle: `ci` has no e-mail in the policy
    assert tags["promotion_link"] == RUN_URL
    assert tags["promotion_reason"] == f"registered by CI from commit {SHA[:12]}"

    summary = ran.summary
    assert f"### 📦 {MODEL} v{version} registered" in summary
    assert f"| model URI | `models:/{MODEL}/{version}` |" in summary
    assert "| pull request | #7 |" in summary
    assert f"| metric | v{version} (new) | v{production} (Production) | change |" in summary
    accuracy = run.data.metrics["accuracy"]
    assert f"| accuracy | {accuracy:.3f} | 0.850 | {accuracy - 0.85:+.3f} |" in summary
    assert "#### Request: Staging" in summary
    assert f"🚀 **{MODEL} v{version} → Staging** done" in summary


# ---- the CLI's own answers (no training) ----------------------------------------------------


@pytest.fixture
def ci_env(actions_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID")):
            monkeypatch.delenv(name)
    for name, value in actions_env.items():
        if name.startswith("GITHUB_") or name == "MLFLOW_TRACKING_URI":
            monkeypatch.setenv(name, value)
    for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STEP_SUMMARY"):
        path = tmp_path / name.lower()
        path.touch()
        monkeypatch.setenv(name, str(path))
    monkeypatch.setenv("PROMOBOT_POLICY", str(POLICY))
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_start_run_tags_the_run_and_exports_its_id(ci_env: Path, models: Any, capsys: Any) -> None:
    assert run_register(["start-run", "--experiment", "sentiment-ci"]) == 0

    run_id = capsys.readouterr().out.strip()
    assert read_pairs(ci_env / "github_env")["MLFLOW_RUN_ID"] == run_id
    assert read_pairs(ci_env / "github_output")["run-id"] == run_id
    tags = models.client.get_run(run_id).data.tags
    assert tags["git_repository"] == "acme/models"
    assert tags["git_commit"] == SHA
    assert tags["mlflow.source.git.commit"] == SHA
    assert tags["git_pull_request"] == "7"
    assert tags["ci_run_url"] == RUN_URL


def test_a_run_without_a_logged_model_is_refused(ci_env: Path, models: Any, capsys: Any) -> None:
    assert run_register(["start-run", "--experiment", "sentiment-ci"]) == 0
    run_id = capsys.readouterr().out.strip()

    assert run_register(["--model", MODEL, "--run-id", run_id, "--request", "staging"]) == 1

    err = capsys.readouterr().err
    assert f"run {run_id} logged no model, so there is nothing to register" in err
    assert "Traceback" not in err
    assert models.client.search_registered_models() == []
    assert "version=" not in (ci_env / "github_output").read_text()


def test_a_run_that_does_not_exist_is_refused(ci_env: Path, models: Any, capsys: Any) -> None:
    assert run_register(["--model", MODEL, "--run-id", "0" * 32]) == 1
    assert f"there is no MLflow run {'0' * 32}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "the following arguments are required: --model"),
        (["--model", MODEL], "--run-id is required"),
        (["--model", MODEL, "--run-id", "xyz"], "is not an MLflow run id"),
        (["--model", "bad name!", "--run-id", "a" * 32], "is not a valid model name"),
        (["--model", MODEL, "--run-id", "a" * 32, "--tag", "novalue"], "is not KEY=VALUE"),
        (["--model", MODEL, "--run-id", "a" * 32, "--request", "prod"], "Did you mean"),
        (["--model", MODEL, "--run-id", "a" * 32, "--request", "staging now"], "is not a target"),
        (["--model", MODEL, "--bogus"], "unrecognized arguments: --bogus"),
        (["publish"], "unknown subcommand 'publish'"),
        (["start-run"], "the following arguments are required: --experiment"),
    ],
    ids=[
        "no-model",
        "no-run-id",
        "bad-run-id",
        "bad-model",
        "bad-tag",
        "bad-target",
        "target-with-words",
        "unknown-flag",
        "unknown-subcommand",
        "start-run-no-experiment",
    ],
)
def test_bad_arguments_are_usage_errors(
    ci_env: Path, args: list[str], says: str, capsys: Any
) -> None:
    assert run_register(args) == 2
    err = capsys.readouterr().err
    assert says in err
    assert "--help` for the options" in err


def test_help_documents_both_steps(capsys: Any) -> None:
    assert run_register(["--help"]) == 0
    out = capsys.readouterr().out
    for flag in ("--model", "--run-id", "--artifact", "--request", "--reason", "--tag"):
        assert flag in out
    assert run_register(["start-run", "--help"]) == 0
    assert "--experiment" in capsys.readouterr().out


def test_mlflow_unreachable_exits_3(
    ci_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    assert run_register(["--model", MODEL, "--run-id", "a" * 32]) == 3
    err = capsys.readouterr().err
    assert "MLflow" in err and "Traceback" not in err


def test_git_metadata_of_a_pull_request_event_names_its_head(tmp_path: Path) -> None:
    event = tmp_path / "pull_request.json"
    head = "c" * 40
    event.write_text(
        json.dumps({"number": 12, "pull_request": {"number": 12, "head": {"sha": head}}})
    )
    meta = git_metadata(
        {
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_SHA": "d" * 40,
            "GITHUB_HEAD_REF": "tune",
            "GITHUB_REF_NAME": "12/merge",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": "acme/models",
            "GITHUB_RUN_ID": "5",
            "GITHUB_RUN_ATTEMPT": "2",
            "GITHUB_ACTOR": "bob",
        }
    )
    assert meta == {
        "git_repository": "acme/models",
        "git_commit": head,
        "git_branch": "tune",
        "git_pull_request": "12",
        "ci_run_url": "https://github.com/acme/models/actions/runs/5/attempts/2",
        "ci_actor": "bob",
    }


def test_the_action_runner_reads_multiline_values(tmp_path: Path) -> None:
    path = tmp_path / "out"
    path.write_text("a=1\nb<<EOF\nx\ny\nEOF\nc=\n")
    assert read_pairs(path) == {"a": "1", "b": "x\ny", "c": ""}
    assert shutil.which("bash")
