"""The installed `promobot` command, as a user runs it, against a real `mlflow server`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from conftest import SERVICE_POLICY

pytestmark = pytest.mark.server

PROMOBOT = str(Path(sys.executable).with_name("promobot"))


@pytest.fixture
def server_model(mlflow_server, tmp_path):
    """A model with two versions on the server, under a name no other test uses."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=mlflow_server.url)
    name = f"sentiment-classifier-{uuid.uuid4().hex[:6]}"
    exp = client.create_experiment(f"e2e-{name}")
    client.create_registered_model(name)
    for acc, f1 in ((0.91, 0.874), (0.93, 0.89)):
        run = client.create_run(exp)
        client.log_metric(run.info.run_id, "accuracy", acc)
        client.log_metric(run.info.run_id, "f1", f1)
        client.create_model_version(name, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    # The test policy names `sentiment-classifier`; give this model the same rules.
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        SERVICE_POLICY.read_text().replace(
            "  - name: sentiment-classifier\n", f"  - name: {name}\n"
        )
    )
    return client, name, policy


def promobot(server, policy: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": server.url,
        "PROMOBOT_POLICY": str(policy),
        **extra,
    }
    return subprocess.run(
        [PROMOBOT, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_whole_flow_through_the_cli(mlflow_server, server_model):
    client, name, policy = server_model

    staged = promobot(
        mlflow_server, policy, "promote", name, "v1", "staging", "first", "--as", "slack:U01BOB"
    )
    assert staged.returncode == 0, staged.stderr
    assert staged.stdout.startswith("🚀")

    asked = promobot(
        mlflow_server,
        policy,
        "promote",
        name,
        "v1",
        "production",
        "shadow ok",
        "--as",
        "github:bob",
        "--json",
    )
    assert asked.returncode == 0, asked.stderr
    request = json.loads(asked.stdout)
    assert request["status"] == "pending"

    own = promobot(mlflow_server, policy, "approve", request["request_id"], "--as", "slack:U01BOB")
    assert own.returncode == 1 and "own request" in own.stdout

    approved = promobot(
        mlflow_server, policy, "approve", request["request_id"], "--as", "github:alice"
    )
    assert approved.returncode == 0, approved.stdout + approved.stderr
    assert client.get_model_version(name, "1").current_stage == "Production"
    assert client.get_model_version_by_alias(name, "production").version in (1, "1")

    for step in (
        ["promote", name, "v2", "staging", "x"],
        ["promote", name, "v2", "production", "better"],
    ):
        out = promobot(mlflow_server, policy, *step, "--as", "github:bob", "--json")
        assert out.returncode == 0, out.stdout
    pending = json.loads(out.stdout)["request_id"]
    assert (
        promobot(mlflow_server, policy, "approve", pending, "--as", "github:erin").returncode == 0
    )
    assert client.get_model_version(name, "1").current_stage == "Archived"

    rolled = promobot(
        mlflow_server, policy, "rollback", name, "latency", "--as", "slack:U01CAROL", "--json"
    )
    assert rolled.returncode == 0, rolled.stdout
    assert json.loads(rolled.stdout)["version"] == 1
    assert client.get_model_version(name, "1").current_stage == "Production"
    assert client.get_model_version(name, "2").current_stage == "Archived"
    assert client.get_model_version_by_alias(name, "production").version in (1, "1")
    tags = client.get_model_version(name, "2").tags
    assert tags["rolled_back_by"] == "carol@example.com"

    status = promobot(mlflow_server, policy, "status", name, "--json")
    data = json.loads(status.stdout)["data"]
    assert [(h["target"], h["version"]) for h in data["holders"]] == [("Production", 1)]
    history = promobot(mlflow_server, policy, "history", name, "--json")
    kinds = [(h["kind"], h["version"]) for h in json.loads(history.stdout)["data"]["history"]]
    assert kinds[:2] == [("rollback", 1), ("promote", 2)]


def test_unknown_version_exits_1_and_writes_nothing(mlflow_server, server_model):
    client, name, policy = server_model
    before = client.get_registered_model(name).tags
    out = promobot(mlflow_server, policy, "promote", name, "v99", "staging", "--as", "github:bob")
    assert out.returncode == 1 and "has no version 99" in out.stdout
    assert client.get_registered_model(name).tags == before


def test_deny_lock_and_unlock_write_to_the_server(mlflow_server, server_model):
    client, name, policy = server_model
    staged = promobot(mlflow_server, policy, "promote", name, "v1", "staging", "x", "--as", "bob")
    assert staged.returncode == 0, staged.stdout + staged.stderr
    asked = promobot(
        mlflow_server, policy, "promote", name, "v1", "production", "ok", "--as", "bob", "--json"
    )
    request = json.loads(asked.stdout)["request_id"]

    denied = promobot(mlflow_server, policy, "deny", request, "not yet", "--as", "github:alice")
    locked = promobot(
        mlflow_server, policy, "lock", name, "staging", "release week", "--as", "github:bob"
    )
    blocked = promobot(mlflow_server, policy, "promote", name, "v2", "staging", "--as", "bob")
    unlocked = promobot(mlflow_server, policy, "unlock", name, "staging", "--as", "github:bob")
    moved = promobot(mlflow_server, policy, "promote", name, "v2", "staging", "--as", "bob")

    assert (denied.returncode, locked.returncode, unlocked.returncode) == (0, 0, 0)
    assert denied.stdout.startswith("🛑"), denied.stdout + denied.stderr
    assert blocked.returncode == 1 and "lock" in blocked.stdout.lower(), blocked.stdout
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert client.get_model_version(name, "1").current_stage == "Archived"
    assert client.get_model_version(name, "2").current_stage == "Staging"
    history = json.loads(promobot(mlflow_server, policy, "history", name, "--json").stdout)
    kinds = [h["kind"] for h in history["data"]["history"]]
    assert kinds[:4] == ["promote", "unlock", "lock", "deny"], kinds


def test_the_deployment_repairs_send_to_github_from_what_the_server_holds(
    mlflow_server, server_model
):
    """`deployments repair` and `audit --repair` against the server: two promotions made
    without a GitHub token, each sent once when repaired."""
    from fake_github import FakeGitHubServer

    client, name, policy = server_model
    for version in ("1", "2"):
        client.set_model_version_tag(name, version, "git_repository", "acme/models")
        client.set_model_version_tag(name, version, "git_commit", "5" * 40)
    first = promobot(mlflow_server, policy, "promote", name, "v1", "staging", "x", "--as", "bob")
    assert first.returncode == 0, first.stdout + first.stderr
    with FakeGitHubServer("acme/models") as github:
        token = {"GITHUB_TOKEN": "ghs_test_token", "GITHUB_API_URL": github.url}
        repaired = promobot(mlflow_server, policy, "deployments", "repair", name, **token)
        second = promobot(mlflow_server, policy, "promote", name, "v2", "staging", "--as", "bob")
        audited = promobot(mlflow_server, policy, "audit", "--repair", name, **token)
        again = promobot(mlflow_server, policy, "deployments", "check", name, **token)

    assert repaired.returncode == 1, repaired.stdout + repaired.stderr  # "now recorded"
    assert repaired.stdout.startswith("1 GitHub deployment(s) recorded:")
    assert second.returncode == 0, second.stdout + second.stderr
    assert audited.returncode == 0, audited.stdout + audited.stderr
    assert "recorded as GitHub deployment" in audited.stdout
    assert again.returncode == 0 and "No GitHub deployment is missing." in again.stdout
    assert [d["payload"]["version"] for d in github.deployments] == [1, 2]
    assert "github_deployment.Staging" in client.get_model_version(name, "2").tags


def test_server_down_exits_3(tmp_path):
    port_closed = "http://127.0.0.1:9"
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": port_closed,
        "PROMOBOT_POLICY": str(SERVICE_POLICY),
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    }
    out = subprocess.run(
        [PROMOBOT, "status", "sentiment-classifier"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 3
    assert "unreachable" in out.stderr or "failed" in out.stderr
    assert "Traceback" not in out.stderr
