"""The gateway's calls on runs (bot/adapters/mlflow/runs.py) on a real SQLite registry:
a run's metrics and facts, CI's run and experiment, the models a run logged, and a
version registered from one (the use case around them: test_registration.py)."""

from __future__ import annotations

import pytest

from bot.adapters.mlflow.gateway import Registry

MISSING_RUN = "0" * 32


def test_a_runs_metrics_and_facts_and_nothing_for_a_run_that_is_not_there(
    tracking_uri, models
) -> None:
    from mlflow.entities import LoggedModelOutput

    registry = Registry(tracking_uri)
    experiment = models.experiment()
    run_id = registry.create_run("tests", {"git_commit": "abc"})
    models.client.log_metric(run_id, "accuracy", 0.9)
    logged = models.client.create_logged_model(experiment, name="model", source_run_id=run_id)
    models.client.log_outputs(run_id, [LoggedModelOutput(logged.model_id, 4)])

    assert registry.run_metrics(run_id) == {"accuracy": 0.9}
    info = registry.run_info(run_id)
    assert info is not None
    assert (info.run_id, info.experiment_id, info.metrics) == (
        run_id,
        experiment,
        {"accuracy": 0.9},
    )
    assert info.tags["git_commit"] == "abc"
    assert info.model_steps == {logged.model_id: 4}
    assert (
        registry.run_metrics(MISSING_RUN),
        registry.run_metrics(None),
        registry.run_info(MISSING_RUN),
    ) == (
        {},
        {},
        None,
    )


def test_ci_runs_go_into_their_experiment_made_once(tracking_uri, models, tmp_path) -> None:
    registry = Registry(tracking_uri)
    first = registry.create_run("sentiment-ci", {"ci_actor": "alice"})
    second = registry.create_run("sentiment-ci", {})
    experiment = models.client.get_experiment_by_name("sentiment-ci")
    assert experiment is not None
    assert {models.client.get_run(r).info.experiment_id for r in (first, second)} == {
        experiment.experiment_id
    }
    assert models.client.get_run(first).data.tags["ci_actor"] == "alice"

    where = (tmp_path / "artifacts").as_uri()
    made = registry.ensure_experiment("training", where)
    assert registry.ensure_experiment("training", "file:///elsewhere") == made
    assert models.client.get_experiment(made).artifact_location == where


def test_the_models_a_run_logged_are_found_by_their_source_run(tracking_uri, models) -> None:
    registry = Registry(tracking_uri)
    experiment = models.experiment()
    run_id = registry.create_run("tests", {})
    other = registry.create_run("tests", {})
    mine = models.client.create_logged_model(experiment, name="model", source_run_id=run_id)
    models.client.create_logged_model(experiment, name="model", source_run_id=other)

    (found,) = registry.logged_models(run_id, experiment)
    assert (found.model_id, found.name, found.uri) == (
        mine.model_id,
        "model",
        f"models:/{mine.model_id}",
    )
    assert found.created_ms > 0


@pytest.mark.parametrize(
    "run_id", ["abc' OR '1'='1", "run-1", "1234567"], ids=["quote", "dash", "too-short"]
)
def test_a_run_id_that_is_not_hex_never_reaches_a_filter(tracking_uri, run_id: str) -> None:
    with pytest.raises(ValueError) as raised:
        Registry(tracking_uri).logged_models(run_id, "0")
    assert str(raised.value) == f"`{run_id}` is not an MLflow run id (32 hex characters)"


def test_a_registered_version_names_the_logged_model_and_a_foreign_list_is_left_alone(
    tracking_uri, models
) -> None:
    registry = Registry(tracking_uri)
    experiment = models.experiment()
    run_id = registry.create_run("tests", {})
    logged = models.client.create_logged_model(experiment, name="model", source_run_id=run_id)
    models.client.set_logged_model_tags(logged.model_id, {"mlflow.modelVersions": "not a list"})
    (found,) = registry.logged_models(run_id, experiment)

    version = registry.register("sentiment-classifier", found, run_id, {"git_commit": "abc"})

    assert (version.model, version.version, version.source, version.run_id) == (
        "sentiment-classifier",
        1,
        f"models:/{logged.model_id}",
        run_id,
    )
    assert version.tags == {"git_commit": "abc"}
    assert (
        models.client.get_logged_model(logged.model_id).tags["mlflow.modelVersions"] == "not a list"
    )
