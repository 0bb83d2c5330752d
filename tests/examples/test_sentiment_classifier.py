"""The example model against a real MLflow (SQLite registry in a temp dir, nothing mocked)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mlflow
import mlflow.tracking.fluent
import pytest
from mlflow.tracking import MlflowClient
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # `examples` is not an installed package
    sys.path.insert(0, str(REPO_ROOT))

from examples.sentiment_classifier import predict as predict_mod  # noqa: E402
from examples.sentiment_classifier import train as train_mod  # noqa: E402

MODEL_NAME = "sentiment-classifier"
WEAK = {"c": 0.3, "max_features": 300, "ngram_max": 1}
STRONG = {"c": 4.0, "max_features": 5000, "ngram_max": 2}
CWD_LEFTOVERS = ("mlruns", "mlflow.db", "mlartifacts")


@contextlib.contextmanager
def isolated_mlflow(root: Path) -> Iterator[str]:
    """Point MLflow (env var and fluent API) at a SQLite store under ``root``.

    On exit the tracking URI, the env vars MLflow sets as a side effect
    (MLFLOW_TRACKING_URI, MLFLOW_EXPERIMENT_ID) and the active experiment are put back.
    """
    root.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{root}/mlflow.db"
    previous_uri = os.environ.get("MLFLOW_TRACKING_URI")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        for name in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID"):
            mp.delenv(name, raising=False)
        mp.setattr(mlflow.tracking.fluent, "_active_experiment_id", None)
        mlflow.set_tracking_uri(uri)
        try:
            yield uri
        finally:
            while mlflow.active_run() is not None:
                mlflow.end_run()
            # None resets MLflow to "whatever the environment says" (and unsets the var).
            mlflow.set_tracking_uri(previous_uri)  # type: ignore[arg-type]


@dataclass
class Trained:
    root: Path
    experiment_id: str
    result: train_mod.TrainResult
    messages: list[str]
    cwd_before: dict[str, bool]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    """One registry and one training run (default settings) shared by the module."""
    cwd_before = {name: (Path.cwd() / name).exists() for name in CWD_LEFTOVERS}
    root = tmp_path_factory.mktemp("mlflow")
    with isolated_mlflow(root):
        experiment_id = MlflowClient().create_experiment(
            train_mod.DEFAULT_EXPERIMENT, artifact_location=str(root / "artifacts")
        )
        messages: list[str] = []
        result = train_mod.train(progress=messages.append)
        yield Trained(root, experiment_id, result, messages, cwd_before)


def test_train_returns_sane_metrics(trained: Trained) -> None:
    metrics = trained.result.metrics
    assert set(metrics) == {"accuracy", "precision", "recall", "f1"}
    assert all(0.0 <= value <= 1.0 for value in metrics.values())
    assert metrics["accuracy"] > 0.6
    assert trained.result.model_uri.startswith("models:/")


def test_train_reports_progress(trained: Trained) -> None:
    text = "\n".join(trained.messages).lower()
    for step in ("loading", "fitting", "evaluating", "logging the model"):
        assert step in text


def test_params_and_metrics_are_on_the_run(trained: Trained) -> None:
    run = MlflowClient().get_run(trained.result.run_id)
    assert run.info.experiment_id == trained.experiment_id
    assert run.info.status == "FINISHED"
    assert run.data.params == {
        "c": "1.0",
        "max_features": "5000",
        "ngram_max": "2",
        "n_train": "300",
        "n_test": "100",
    }
    assert run.data.metrics == pytest.approx(trained.result.metrics)


def test_model_is_logged_with_signature_inside_the_artifact_location(trained: Trained) -> None:
    info = mlflow.models.get_model_info(trained.result.model_uri)
    assert info.signature is not None
    assert info.signature.inputs.to_dict()[0]["tensor-spec"]["dtype"] == "str"
    assert info.run_id == trained.result.run_id
    logged = mlflow.get_logged_model(info.model_id)
    assert str(trained.root / "artifacts") in logged.artifact_location
    assert list((trained.root / "artifacts").rglob("MLmodel"))


def test_the_weights_file_is_the_one_the_readme_names(trained: Trained) -> None:
    # The example's README tells users which file holds the weights (to find it in the
    # artifact store): MLflow 3.17's scikit-learn flavour writes model.skops by default.
    stored = {p.name for p in (trained.root / "artifacts").rglob("*") if p.is_file()}
    assert "model.skops" in stored and "model.pkl" not in stored
    readme = (REPO_ROOT / "examples" / "sentiment_classifier" / "README.md").read_text()
    assert "the weights, `model.skops`" in readme
    assert "promobot register --model sentiment-classifier --run-id" in readme


def test_register_promote_then_predict_from_production(
    trained: Trained, capsys: pytest.CaptureFixture[str]
) -> None:
    client = MlflowClient()
    version = mlflow.register_model(trained.result.model_uri, MODEL_NAME)
    assert version.run_id == trained.result.run_id
    client.transition_model_version_stage(MODEL_NAME, version.version, "Production")

    assert predict_mod.predict(["I loved it, wonderful", "terrible, broke after a day"]) == [1, 0]

    assert predict_mod.main(["I loved it, wonderful", "terrible, broke after a day"]) == 0
    out = capsys.readouterr().out
    assert f"version {version.version}" in out
    lines = out.splitlines()[-2:]
    assert lines[0].startswith("positive") and lines[1].startswith("negative")


def test_predict_from_an_alias_in_a_registry_without_stages(
    trained: Trained, capsys: pytest.CaptureFixture[str]
) -> None:
    client = MlflowClient()
    version = mlflow.register_model(trained.result.model_uri, MODEL_NAME)
    client.set_registered_model_alias(MODEL_NAME, "production", version.version)
    uri = f"models:/{MODEL_NAME}@production"

    assert predict_mod.serving_version(uri) == str(version.version)
    assert predict_mod.main(["I loved it, wonderful", "--model-uri", uri]) == 0
    assert f"Served by {uri} (version {version.version})" in capsys.readouterr().out
    assert predict_mod.serving_version(f"models:/{MODEL_NAME}@nobody") is None


def test_runs_uri_is_accepted_by_register_model(trained: Trained) -> None:
    # MLflow 3 stores the model under the logged model, not the run's artifacts;
    # register_model still accepts runs:/<id>/model and falls back to that model.
    name = f"{MODEL_NAME}-via-runs-uri"
    version = mlflow.register_model(f"runs:/{trained.result.run_id}/model", name)
    assert version.run_id == trained.result.run_id
    texts = ["I loved it, wonderful", "terrible, broke after a day"]
    assert predict_mod.predict(texts, f"models:/{name}/{version.version}") == [1, 0]


def test_predict_with_registered_but_unpromoted_model_fails_politely(
    trained: Trained, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"{MODEL_NAME}-staging-only"
    mlflow.register_model(trained.result.model_uri, name)
    assert predict_mod.main(["--model-uri", f"models:/{name}/Production", "fine"]) == 1
    captured = capsys.readouterr()
    assert "Production" in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_predict_with_empty_registry_fails_politely(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with isolated_mlflow(tmp_path):
        assert predict_mod.main([]) == 1
    captured = capsys.readouterr()
    assert f"Cannot load {predict_mod.MODEL_URI}" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert captured.out == ""


def test_predict_module_cli_exits_1_without_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path}/mlflow.db"}
    env.pop("MLFLOW_RUN_ID", None)
    proc = subprocess.run(
        [sys.executable, "-m", "examples.sentiment_classifier.predict", "great"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "Cannot load models:/sentiment-classifier/Production" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_train_script_runs_from_repo_root() -> None:
    proc = subprocess.run(
        [sys.executable, "examples/sentiment_classifier/train.py", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "--max-features" in proc.stdout


def test_mlflow_run_id_resumes_that_run(
    trained: Trained, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client = MlflowClient()
    # A run in a *different* experiment than the one train() would pick, as a CI job
    # that created its own run would have.
    other = client.create_experiment("ci-runs", artifact_location=str(trained.root / "ci"))
    run_id = client.create_run(other, run_name="ci-job").info.run_id
    monkeypatch.setenv("MLFLOW_RUN_ID", run_id)

    result = train_mod.train(**WEAK, progress=None)

    assert capsys.readouterr().out == ""
    assert result.run_id == run_id
    run = client.get_run(run_id)
    assert run.info.experiment_id == other
    assert run.info.status == "FINISHED"
    assert run.data.metrics == pytest.approx(result.metrics)
    assert run.data.params["max_features"] == "300"
    # mlflow.start_run() consumes the variable, so a second train() would start a new run.
    assert "MLFLOW_RUN_ID" not in os.environ


def test_weak_configuration_is_visibly_worse() -> None:
    texts, labels = train_mod.load_reviews()
    x_train, x_test, y_train, y_test = train_test_split(
        texts, labels, test_size=0.25, random_state=42, stratify=labels
    )

    def accuracy(config: dict) -> float:
        model = train_mod.build_pipeline(**config).fit(x_train, y_train)
        return accuracy_score(y_test, model.predict(x_test))

    weak, strong = accuracy(WEAK), accuracy(STRONG)
    assert 0.7 <= weak <= strong - 0.05
    assert strong < 1.0  # the data set is meant to be imperfectly separable


def test_reviews_csv_is_balanced_and_unique() -> None:
    texts, labels = train_mod.load_reviews()
    assert 350 <= len(texts) <= 450
    assert sum(labels) * 2 == len(labels)
    assert len({t.lower() for t in texts}) == len(texts)


def test_nothing_written_to_the_working_directory(trained: Trained) -> None:
    for name, existed in trained.cwd_before.items():
        assert existed or not (Path.cwd() / name).exists(), f"{name} appeared in the cwd"
