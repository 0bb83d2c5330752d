"""bot/core/service/registration.py: CI's registration use case against a real SQLite registry
(what its result reads like in the job summary: tests/render/test_render_ci.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.app import build_registration
from bot.config import Settings
from bot.core.ports.registry import RegistryError
from bot.core.results import Comparison, Registered
from bot.core.service.registration import GIT_TAGS, Registration

MODEL = "sentiment-classifier"
SHA = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
GIT = {
    "git_repository": "acme/models",
    "git_commit": SHA,
    "git_branch": "main",
    "git_pull_request": "7",
    "ci_run_url": "https://github.com/acme/models/actions/runs/9876",
    "ci_actor": "alice",
}


@pytest.fixture
def registration(tracking_uri: str) -> Registration:
    return build_registration(Settings(mlflow_tracking_uri=tracking_uri))


def trained(models: Any, registration: Registration, **metrics: float) -> str:
    """A run as training leaves it: started by start-run, metrics logged, a model logged."""
    experiment = models.experiment()
    name = models.client.get_experiment(experiment).name
    run_id, _ = registration.start_run(name, GIT, {}, None)
    for key, value in metrics.items():
        models.client.log_metric(run_id, key, value)
    models.client.create_logged_model(experiment, name="model", source_run_id=run_id)
    models.client.set_terminated(run_id)
    return run_id


# ---- start_run ------------------------------------------------------------------------------


def test_start_run_tags_the_run_with_git_metadata(registration, models):
    run_id, experiment_id = registration.start_run(
        "sentiment-ci", GIT, {"team": "nlp", "git_branch": "override"}, "nightly"
    )

    run = models.client.get_run(run_id)
    assert run.info.experiment_id == experiment_id
    assert models.client.get_experiment(experiment_id).name == "sentiment-ci"  # created
    tags = run.data.tags
    assert {k: tags[k] for k in GIT} == {**GIT, "git_branch": "override"}
    assert tags["team"] == "nlp"
    assert tags["mlflow.source.git.commit"] == SHA
    assert tags["mlflow.source.git.branch"] == "main"  # the workflow's, not the extra's
    assert tags["mlflow.runName"] == "nightly"


def test_start_run_outside_actions_has_no_git_tags(registration, models):
    run_id, experiment_id = registration.start_run("sentiment-ci", {}, {}, None)
    again, same = registration.start_run("sentiment-ci", {}, {}, None)

    assert same == experiment_id and again != run_id
    tags = models.client.get_run(run_id).data.tags
    assert not {*GIT, "mlflow.source.git.commit", "mlflow.source.git.branch"} & set(tags)


# The SHA-256 of nothing: the digest of a logged model without files.
EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


# ---- register -------------------------------------------------------------------------------


def test_register_makes_a_version_tagged_with_the_runs_git_metadata(registration, models):
    run_id = trained(models, registration, accuracy=0.9)
    ci = {**GIT, "git_branch": "elsewhere", "ci_actor": "bob"}  # the registering job's

    registered = registration.register(MODEL, run_id, "model", {"owner": "nlp"}, ci)

    assert isinstance(registered, Registered)
    assert registered.version == 1
    assert registered.model_uri == f"models:/{MODEL}/1"
    assert registered.run_id == run_id
    assert registered.source.startswith("models:/m-")
    # The run's own tags record what was trained; they win over the registering job's.
    # With them, the digest of the files registered (this run logged none).
    assert registered.tags == {**GIT, "owner": "nlp", "artifact_digest": f"sha256:{EMPTY}"}
    mv = models.client.get_model_version(MODEL, "1")
    assert mv.run_id == run_id and mv.source == registered.source
    assert {k: mv.tags.get(k) for k in [*GIT, "owner", "artifact_digest"]} == registered.tags


def test_register_fills_what_the_run_lacks_and_drops_empty_tags(registration, models):
    experiment = models.experiment()
    run = models.client.create_run(experiment, tags={"git_commit": SHA})
    models.client.create_logged_model(experiment, name="model", source_run_id=run.info.run_id)

    registered = registration.register(
        MODEL,
        run.info.run_id,
        "model",
        {"note": "", "git_branch": "hotfix"},
        {"git_commit": "f" * 40, "ci_actor": "bob", "git_pull_request": ""},
    )

    assert isinstance(registered, Registered)
    assert registered.tags == {
        "git_commit": SHA,
        "ci_actor": "bob",
        "git_branch": "hotfix",
        "artifact_digest": f"sha256:{EMPTY}",
    }
    assert set(GIT_TAGS) == set(GIT)


def test_a_run_that_does_not_exist_is_a_sentence(registration, models):
    missing = "0" * 32

    said = registration.register(MODEL, missing, "model", {}, GIT)

    assert said == (
        f"there is no MLflow run {missing} at this tracking server. Check --run-id (or "
        "MLFLOW_RUN_ID), and that MLFLOW_TRACKING_URI is the server the training logged to."
    )
    assert registration.registry.run_info(missing) is None
    assert models.client.search_registered_models() == []


def test_a_run_without_a_logged_model_is_a_sentence(registration, models):
    run_id, _ = registration.start_run("sentiment-ci", GIT, {}, None)

    said = registration.register(MODEL, run_id, "classifier", {}, GIT)

    assert said == (
        f"run {run_id} logged no model, so there is nothing to register. Log one in the "
        "training command (e.g. mlflow.sklearn.log_model(model, name='classifier')), or "
        "pass --artifact with the name it was logged under."
    )
    assert models.client.search_registered_models() == []


def test_a_run_that_logged_its_model_under_another_name_is_a_sentence(registration, models):
    run_id = trained(models, registration)

    said = registration.register(MODEL, run_id, "classifier", {}, GIT)

    assert said == (
        f"run {run_id} logged no model named 'classifier', so there is nothing to register "
        "under that name; it logged 'model'. Pass --artifact with the name the model was "
        "logged under."
    )
    assert models.client.search_registered_models() == []


def test_of_several_models_logged_under_one_name_the_highest_step_is_registered(
    registration, models
):
    """Checkpoints: log_model(..., step=N) in a loop. mlflow.register_model picks the one
    logged at the highest step; so does promobot, whatever order they were made in."""
    from mlflow.entities import LoggedModelOutput

    experiment = models.experiment()
    run_id, _ = registration.start_run(models.client.get_experiment(experiment).name, GIT, {})
    made = {}
    for step in (5, 9, 2):
        logged = models.client.create_logged_model(experiment, name="model", source_run_id=run_id)
        models.client.log_outputs(run_id, [LoggedModelOutput(logged.model_id, step)])
        made[step] = logged.model_id

    registered = registration.register(MODEL, run_id, "model", {}, GIT)

    assert isinstance(registered, Registered)
    assert registered.source == f"models:/{made[9]}"


def test_the_logged_model_lists_the_version_made_from_it(registration, models):
    """MLflow's server records on a logged model the versions registered from it
    (mlflow.modelVersions, shown on the model's page in its UI); a local store does not,
    so the gateway writes it, once."""
    run_id = trained(models, registration)

    first = registration.register(MODEL, run_id, "model", {}, GIT)
    again = registration.register(MODEL, run_id, "model", {}, GIT)

    assert isinstance(first, Registered) and isinstance(again, Registered)
    assert first.source == again.source
    model_id = first.source.removeprefix("models:/")
    listed = models.client.get_logged_model(model_id).tags["mlflow.modelVersions"]
    assert json.loads(listed) == [{"name": MODEL, "version": 1}, {"name": MODEL, "version": 2}]


def test_an_unreachable_mlflow_raises(monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    down = build_registration(Settings(mlflow_tracking_uri="http://127.0.0.1:9"))

    with pytest.raises(RegistryError, match=r"127\.0\.0\.1:9"):
        down.register(MODEL, "a" * 32, "model", {}, {})
    with pytest.raises(RegistryError, match=r"127\.0\.0\.1:9"):
        down.registry.run_info("a" * 32)


# ---- compare_with_production ------------------------------------------------------------------


def test_comparison_without_production(registration, models):
    run_id = trained(models, registration, accuracy=0.9, f1=0.8)
    registration.register(MODEL, run_id, "model", {}, GIT)

    assert registration.compare_with_production(MODEL, run_id) == Comparison(
        {"accuracy": 0.9, "f1": 0.8}, None, {}
    )


def test_comparison_with_the_version_in_production(registration, models):
    old = models.version(MODEL, accuracy=0.85, f1=0.84)
    models.client.transition_model_version_stage(MODEL, str(old), "Production")
    run_id = trained(models, registration, accuracy=0.9, recall=0.7)
    registration.register(MODEL, run_id, "model", {}, GIT)

    assert registration.compare_with_production(MODEL, run_id) == Comparison(
        {"accuracy": 0.9, "recall": 0.7}, old, {"accuracy": 0.85, "f1": 0.84}
    )


def test_comparison_in_a_registry_without_stages_reads_production_from_its_alias(
    registration, models
):
    """@production moved alone (`registry: {stages: false}`), over a stage left from
    before: the alias is what serves."""
    stale = models.version(MODEL, accuracy=0.8)
    models.client.transition_model_version_stage(MODEL, str(stale), "Production")
    serving = models.version(MODEL, accuracy=0.85)
    models.client.set_registered_model_alias(MODEL, "production", str(serving))
    run_id = trained(models, registration, accuracy=0.9)
    registration.register(MODEL, run_id, "model", {}, GIT)

    assert registration.compare_with_production(MODEL, run_id) == Comparison(
        {"accuracy": 0.9}, serving, {"accuracy": 0.85}, "@production"
    )


def test_comparison_for_a_model_not_registered_yet(registration, models):
    run_id = trained(models, registration, accuracy=0.9)

    assert registration.compare_with_production("new-model", run_id) == Comparison(
        {"accuracy": 0.9}, None, {}
    )
