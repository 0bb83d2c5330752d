"""`promobot audit` in-process against a real SQLite registry: exit codes, lines, JSON."""

from __future__ import annotations

import json

import pytest
from conftest import SERVICE_POLICY
from service_helpers import M, to_production

from bot.cli import main


@pytest.fixture(autouse=True)
def policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMOBOT_POLICY", str(SERVICE_POLICY))


def test_a_clean_registry_exits_0(service, two_versions, capsys) -> None:
    v1, _ = two_versions
    to_production(service, v1)
    assert main(["audit"]) == 0
    assert capsys.readouterr().out.strip() == "audit: 1 model checked, nothing drifted"


def test_a_raw_change_exits_1_naming_the_finding(service, models, two_versions, capsys) -> None:
    v1, v2 = two_versions
    to_production(service, v1)
    models.client.transition_model_version_stage(M, str(v2), "Production")
    assert main(["audit", M]) == 1
    out = capsys.readouterr().out
    assert f"{M}: ⚠ Production holds v{v2}, but promobot last put v{v1} there" in out
    assert f"rollback {M} production <reason>" in out
    assert out.strip().endswith("audit: 1 model checked, 2 finding(s)")

    assert main(["audit", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report == {
        "models_checked": 1,
        "findings": [
            {"model": M, "target": "Production", "kind": "outside", "holder": v2, "recorded": v1},
            {"model": M, "target": "Production", "kind": "mirror", "holder": v2, "recorded": v1},
        ],
    }


def test_an_unknown_model_and_a_bad_option(tracking_uri, capsys) -> None:
    assert main(["audit", "no-such-model"]) == 1
    assert "no-such-model: there is no registered model" in capsys.readouterr().out
    assert main(["audit", "--frobnicate"]) == 2
    assert "unknown option '--frobnicate'" in capsys.readouterr().err


def test_mlflow_unreachable_exits_3(monkeypatch, capsys) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    assert main(["audit"]) == 3
    assert "MLflow is unreachable" in capsys.readouterr().err
