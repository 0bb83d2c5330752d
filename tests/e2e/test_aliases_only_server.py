"""A registry without stages (`registry: {stages: false}`), through the `promobot` command,
against a real `mlflow server` behind a proxy whose stage endpoints refuse every call (as
Unity Catalog has none): promotion, approval, rollback, drift and verification move only
aliases, and `models:/<model>@production` names each version promoted."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ALIASES_POLICY
from slow_proxy import NoStagesProxy

from bot.cli import main

pytestmark = pytest.mark.server

# The fixture's @champion, watched after each promotion: Prometheus is not set, so every
# check has no data, which fails it, and one failure rolls the target back.
WATCHED_CHAMPION = """\
      "@champion":
        requesters: [ml-leads]
        approvals: 0
        verify:
          for: 10m
          every: 1s
          failures: 1
          no_data: fail
          on_failure: rollback
          checks:
            - {name: error rate, prometheus: 'err{model="{model}"}', pass: "< 0.02"}
"""


@pytest.fixture
def proxy(mlflow_server: Any) -> Iterator[NoStagesProxy]:
    with NoStagesProxy(mlflow_server.url) as started:
        yield started


@pytest.fixture
def aliases_model(
    proxy: NoStagesProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, str]:
    """Two versions of a model of its own on the server, and the CLI's environment: MLflow
    through the proxy, the aliases-only policy naming that model."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=proxy.url)
    name = f"sentiment-classifier-{uuid.uuid4().hex[:6]}"
    experiment = client.create_experiment(f"e2e-{name}")
    client.create_registered_model(name)
    for accuracy, f1 in ((0.91, 0.874), (0.93, 0.89)):
        run = client.create_run(experiment)
        client.log_metric(run.info.run_id, "accuracy", accuracy)
        client.log_metric(run.info.run_id, "f1", f1)
        client.create_model_version(name, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    text = ALIASES_POLICY.read_text().replace("- name: sentiment-classifier", f"- name: {name}")
    champion = '      "@champion":\n        requesters: [ml-leads]\n        approvals: 0\n'
    assert champion in text
    policy = tmp_path / "policy.yaml"
    policy.write_text(text.replace(champion, WATCHED_CHAMPION))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", proxy.url)
    monkeypatch.setenv("PROMOBOT_POLICY", str(policy))
    monkeypatch.delenv("PROMOBOT_PROMETHEUS_URL", raising=False)
    return client, name


def promobot(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def serving(client: Any, name: str, alias: str = "production") -> int:
    """The version deployment code gets from `models:/<name>@<alias>`."""
    return int(client.get_model_version_by_alias(name, alias).version)


def test_the_story_without_stages_calls_no_stage_endpoint(aliases_model, proxy, capsys):
    client, name = aliases_model
    for version in (1, 2):
        code, out = promobot(
            capsys, "promote", name, f"v{version}", "@staging", "candidate", "--as", "slack:U01BOB"
        )
        assert code == 0, out
        code, out = promobot(
            capsys, "promote", name, f"v{version}", "@production", "shadow ok", "--as",
            "github:bob", "--json",
        )  # fmt: skip
        assert code == 0, out
        asked = json.loads(out)
        assert asked["status"] == "pending"
        code, out = promobot(capsys, "approve", asked["request_id"], "--as", "github:alice")
        assert code == 0, out
        assert f"`models:/{name}@production`" in out
        assert serving(client, name) == version

    # 03:00: the on-call engineer rolls back without naming the target.
    code, out = promobot(capsys, "rollback", name, "latency", "--as", "slack:U01CAROL")
    assert code == 0, out
    assert serving(client, name) == 1

    # Someone points @production at v2 by hand: drift, and no word of a stage.
    client.set_registered_model_alias(name, "production", "2")
    code, out = promobot(capsys, "audit", name, "--json")
    assert code == 1, out
    assert json.loads(out)["findings"] == [
        {"model": name, "target": "@production", "kind": "outside", "holder": 2, "recorded": 1}
    ]
    code, out = promobot(capsys, "rollback", name, "put right", "--as", "slack:U01CAROL")
    assert code == 0, out
    assert serving(client, name) == 1
    assert promobot(capsys, "audit", name)[0] == 0

    # Verification: v2 takes @champion, its check has no data, promobot rolls it back.
    for version in (1, 2):
        code, out = promobot(
            capsys, "promote", name, f"v{version}", "@champion", "try", "--as", "github:alice"
        )
        assert code == 0, out
    assert serving(client, name, "champion") == 2
    code, out = promobot(capsys, "verify")
    assert code == 1, out
    assert f"{name} v2 on @champion: failed" in out
    assert serving(client, name, "champion") == 1

    code, out = promobot(capsys, "status", name, "--json")
    holders = {h["target"]: h["version"] for h in json.loads(out)["data"]["holders"]}
    assert holders == {"@production": 1, "@staging": 2, "@champion": 1}
    versions = client.search_model_versions(f"name='{name}'")
    assert {mv.current_stage for mv in versions} == {"None"}
    assert proxy.stage_calls == []
    # The proxy does refuse a stage move: the calls above would have been counted.
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException, match="no stages"):
        client.transition_model_version_stage(name, "1", "Production")
    assert proxy.stage_calls == ["POST /api/2.0/mlflow/model-versions/transition-stage"]


def test_a_stage_named_without_stages_is_refused_in_one_sentence(aliases_model, proxy, capsys):
    client, name = aliases_model
    code, out = promobot(capsys, "promote", name, "v1", "staging", "x", "--as", "slack:U01BOB")
    assert code == 1
    assert (
        "`staging` is a stage, and this registry has no stages (`registry: {stages: false}` "
        "in the policy): write `@staging`." in out
    )
    assert "Traceback" not in out
    assert client.get_registered_model(name).aliases == {}
    assert proxy.stage_calls == []
