"""The registered-model listing read as MLflow's REST JSON (bot/adapters/mlflow/model_search.py)
against a real `mlflow server`: the same ModelInfo as MLflow's client gives, page by
page."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from canned_http import CannedServer

from bot.adapters.mlflow import model_search
from bot.adapters.mlflow.gateway import Registry
from bot.adapters.mlflow.values import model_info


def _models(url: str, prefix: str, count: int) -> None:
    """`count` models: tags, a description, two versions with tags (one in Production),
    aliases; the last with nothing but its name."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=url)
    experiment = client.create_experiment(f"{prefix}-e")
    run_id = client.create_run(experiment).info.run_id
    for n in range(count - 1):
        name = f"{prefix}-{n}"
        client.create_registered_model(name, tags={"team": "nlp", "x": "<b>"}, description="d")
        for i in range(2):
            client.create_model_version(
                name, f"runs:/{run_id}/model", run_id, tags={"i": str(i)}, description=f"v{i}"
            )
        client.transition_model_version_stage(name, "1", "Production")
        client.set_registered_model_alias(name, "champion", "2")
        client.set_registered_model_alias(name, "production", "1")
    client.create_registered_model(f"{prefix}-{count - 1}")


def test_the_json_listing_reads_what_the_client_reads(
    mlflow_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow import MlflowClient

    prefix = f"listed-{uuid.uuid4().hex[:6]}"
    _models(mlflow_server.url, prefix, 3)
    by_client = sorted(
        (
            model_info(rm)
            for rm in MlflowClient(tracking_uri=mlflow_server.url).search_registered_models(
                filter_string=f"name LIKE '{prefix}-%'"
            )
        ),
        key=lambda m: m.name,
    )
    monkeypatch.setattr(model_search, "PAGE", 2)  # two pages
    by_json = sorted(Registry(mlflow_server.url).models([f"{prefix}-*"]), key=lambda m: m.name)

    assert [m.name for m in by_json] == [f"{prefix}-{n}" for n in range(3)]
    assert by_json == by_client
    assert by_json[0].stage_latest == {"Production": 1, "None": 2}
    assert by_json[0].aliases == {"champion": 2, "production": 1}
    assert by_json[0].versions[1].tags == {"i": "0"}


def test_an_error_answer_is_mlflows_exception(mlflow_server: Any) -> None:
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException) as raised:
        model_search.search_page(mlflow_server.url, "name ~ 'x'", None)
    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"


def test_a_page_that_is_not_json_is_mlflows_exception() -> None:
    """A proxy answering 200 with its own page: MLflow's error, not a JSON traceback."""
    from mlflow.exceptions import MlflowException

    portal = CannedServer()
    portal.headers["Content-Type"] = "text/html"
    portal.body = b"<html>sign in to the proxy</html>"
    try:
        with pytest.raises(MlflowException) as raised:
            model_search.search_page(portal.url, "", None)
    finally:
        portal.close()
    assert "not in a valid JSON format" in raised.value.message
