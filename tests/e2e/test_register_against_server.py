"""`promobot register` against a real `mlflow server`, as a CI job runs it.

A local store takes a version whose source is a logged model (`models:/m-…`) without its
id; an MLflow 3 server refuses it ("The model_id request parameter must identify the
resource that contains the source"). So these run the installed command, as the runner
does, against the session's server, and against its basic-auth server as a CI user with
only the grants docs/deploy.md gives `promobot-ci`. The training command is
tests/fixtures/log_model.py: a tiny model logged as the example's train.py logs its own.
The whole action, with the example's train.py and `--request staging`, runs against both
servers in tests/e2e/test_train_register_action.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from actions_runner import GIT_TAGS, read_pairs, runner_env
from conftest import FIXTURES
from servers import AUTH_ADMIN, credentials, mlflow_user

pytestmark = pytest.mark.server

PROMOBOT = str(Path(sys.executable).with_name("promobot"))
LOG_MODEL = FIXTURES / "log_model.py"
CLOSED_PORT = "http://127.0.0.1:9"


@dataclass
class Job:
    """One CI job: the runner's variables, and fresh GITHUB_OUTPUT, GITHUB_ENV and
    GITHUB_STEP_SUMMARY files for each step, whose GITHUB_ENV reaches the steps after it."""

    workdir: Path
    settings: dict[str, str]
    env: dict[str, str] = field(default_factory=dict)
    steps: int = 0

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.env = runner_env(self.workdir, self.workdir, **self.settings)

    def step(self, *command: str) -> Step:
        self.steps += 1
        files = {
            name: self.workdir / f"step{self.steps}.{name}"
            for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STEP_SUMMARY")
        }
        for path in files.values():
            path.touch()
        done = subprocess.run(
            list(command),
            cwd=self.workdir,
            env={**self.env, **{k: str(p) for k, p in files.items()}},
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        self.env.update(read_pairs(files["GITHUB_ENV"]))
        return Step(
            done.returncode,
            done.stdout,
            done.stderr,
            read_pairs(files["GITHUB_OUTPUT"]),
            files["GITHUB_STEP_SUMMARY"].read_text(encoding="utf-8"),
        )

    def start_run(self, experiment: str) -> str:
        started = self.step(PROMOBOT, "register", "start-run", "--experiment", experiment)
        assert started.code == 0, started.err
        assert self.env["MLFLOW_RUN_ID"] == started.outputs["run-id"]
        return started.outputs["run-id"]

    def train(self, how: str = "name", name: str = "model") -> None:
        trained = self.step(sys.executable, str(LOG_MODEL), how, name)
        assert trained.code == 0, trained.err

    def register(self, *args: str) -> Step:
        return self.step(PROMOBOT, "register", *args)


@dataclass
class Step:
    code: int
    out: str
    err: str
    outputs: dict[str, str]
    summary: str


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def client(url: str) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=url)


def predict(url: str, uris: list[str], who: tuple[str, str] | None = None) -> list[list[int]]:
    """Load each of `uris` and predict in a fresh process, as deployment code would."""
    env = {**os.environ, "MLFLOW_TRACKING_URI": url, **(credentials(who) if who else {})}
    code = (
        "import sys, mlflow, numpy as np\n"
        "for uri in sys.argv[1:]:\n"
        "    print(*mlflow.pyfunc.load_model(uri).predict(np.array([[0.0], [3.0]])).tolist())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *uris], env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    return [[int(n) for n in line.split()] for line in done.stdout.splitlines()]


def assert_registered(url: str, model: str, step: Step, version: int, run_id: str) -> Any:
    """The step's outputs and what MLflow holds: the version from the run's logged model,
    tagged with the commit, and listed on the logged model."""
    import json

    assert step.code == 0, step.err
    assert "Traceback" not in step.err
    assert step.outputs["version"] == str(version)
    assert step.outputs["model-uri"] == f"models:/{model}/{version}"
    assert step.outputs["run-id"] == run_id
    assert f"### 📦 {model} v{version} registered" in step.summary
    mv = client(url).get_model_version(model, str(version))
    assert mv.run_id == run_id and mv.status == "READY"
    assert mv.source.startswith("models:/m-")
    assert {k: mv.tags.get(k) for k in GIT_TAGS} == GIT_TAGS
    logged = client(url).get_logged_model(mv.source.removeprefix("models:/"))
    assert logged.source_run_id == run_id
    assert {"name": model, "version": version} in json.loads(logged.tags["mlflow.modelVersions"])
    return mv


# ---- a plain server ----------------------------------------------------------------------


@pytest.fixture
def job(mlflow_server: Any, tmp_path: Path) -> Job:
    return Job(tmp_path / "job", {"MLFLOW_TRACKING_URI": mlflow_server.url})


def test_v1_then_v2_are_registered_from_the_logged_models_and_load(mlflow_server, job):
    """v1 logged as train.py logs (name=), v2 with the deprecated artifact_path=, which
    MLflow 3.17 also turns into a logged model."""
    model = unique("regtest")
    runs = []
    for version, how in ((1, "name"), (2, "artifact_path")):
        runs.append(job.start_run(model))
        job.train(how)

        registered = job.register("--model", model)

        assert_registered(mlflow_server.url, model, registered, version, runs[-1])
        assert f"Registered {model} v{version} (models:/{model}/{version})" in registered.out
    assert runs[0] != runs[1]
    assert predict(mlflow_server.url, [f"models:/{model}/1", f"models:/{model}/2"]) == [
        [0, 1],
        [0, 1],
    ]


def test_a_server_wants_the_logged_models_id_and_links_it_a_local_store_does_neither(
    mlflow_server, tracking_uri
):
    """Why the SQLite-only suite stayed green (docs/reliability.md, "A local store is not a
    server"), pinned on MLflow itself: the same `create_model_version` of a logged model's
    source without its id is refused by a server and taken by a local store; with the id,
    the server also lists the version on the logged model, the local store does not."""
    import json

    from mlflow.exceptions import MlflowException

    answers = {}
    for store, url in (("server", mlflow_server.url), ("local", tracking_uri)):
        mlflow = client(url)
        experiment = mlflow.create_experiment(unique("pin"))
        run = mlflow.create_run(experiment).info.run_id
        logged = mlflow.create_logged_model(experiment, name="model", source_run_id=run)
        model = unique("pin")
        mlflow.create_registered_model(model)
        source = f"models:/{logged.model_id}"
        try:
            mlflow.create_model_version(model, source, run_id=run, await_creation_for=0)
            answers[store] = "taken"
        except MlflowException as exc:
            answers[store] = exc.error_code
        mlflow.create_model_version(
            model, source, run_id=run, model_id=logged.model_id, await_creation_for=0
        )
        tags = mlflow.get_logged_model(logged.model_id).tags
        answers[f"{store} lists"] = json.loads(tags.get("mlflow.modelVersions", "[]"))

    assert answers == {
        "server": "INVALID_PARAMETER_VALUE",
        "server lists": [{"name": answers["server lists"][0]["name"], "version": 1}],
        "local": "taken",
        "local lists": [],
    }


def test_no_such_run_and_no_logged_model_exit_1(mlflow_server, job):
    model = unique("regtest")
    missing = job.register("--model", model, "--run-id", "0" * 32)
    job.start_run(model)  # and no training: nothing logged
    nothing = job.register("--model", model)

    assert (missing.code, nothing.code) == (1, 1)
    assert f"there is no MLflow run {'0' * 32} at this tracking server" in missing.err
    assert "logged no model, so there is nothing to register" in nothing.err
    for step in (missing, nothing):
        assert "Traceback" not in step.err and "version" not in step.outputs
    assert client(mlflow_server.url).search_registered_models(f"name = '{model}'") == []


def test_an_unreachable_server_exits_3(tmp_path):
    job = Job(
        tmp_path / "job",
        {"MLFLOW_TRACKING_URI": CLOSED_PORT, "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"},
    )
    started = job.step(PROMOBOT, "register", "start-run", "--experiment", "nowhere")
    registered = job.register("--model", "nowhere", "--run-id", "a" * 32)

    for step in (started, registered):
        assert step.code == 3, step.err
        assert f"MLflow is unreachable at {CLOSED_PORT}" in step.err
        assert "Traceback" not in step.err and step.outputs == {}


# ---- a basic-auth server ----------------------------------------------------------------------


def test_a_model_the_ci_user_has_no_grant_on_is_refused_with_exit_1(
    mlflow_auth_server, ci_account, tmp_path
):
    """Everyone may READ, but only a grant lets a user add a version to a model someone
    else made: MLflow answers 403, a refusal (exit 1, what to ask for), not an outage."""
    url = mlflow_auth_server.url
    elsewhere = unique("not-ci")
    with mlflow_user(AUTH_ADMIN):
        client(url).create_registered_model(elsewhere)
    job = Job(tmp_path / "job", {"MLFLOW_TRACKING_URI": url, **credentials(ci_account.who)})
    job.start_run(ci_account.experiment)
    job.train()

    refused = job.register("--model", elsewhere)

    assert refused.code == 1, refused.err
    assert f"MLflow refused to register {elsewhere}" in refused.err
    assert f"the MLflow user {ci_account.who[0]} lacks permission (PERMISSION_DENIED" in refused.err
    assert "docs/deploy.md" in refused.err
    assert "Traceback" not in refused.err and "version" not in refused.outputs
    with mlflow_user(AUTH_ADMIN):
        assert client(url).search_model_versions(f"name = '{elsewhere}'") == []
