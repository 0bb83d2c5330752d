"""Shared fixtures: a real MLflow registry on SQLite for every test (never mocked).

Creating an MLflow SQLite database runs its migrations (~2 s), so the session makes
one migrated, empty database and each test gets a copy of that file (~20 ms).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

# The doors' shared fixtures (the Slack app on a fake Slack, the GitHub comment door's
# environment), for the door tests in tests/doors/ and the tests that mix doors; and the
# fake Slack's guard (autouse): no test may send Slack a payload it refuses.
pytest_plugins = ["slack_door", "github_door_helpers", "fake_slack"]

# Tests talk only to 127.0.0.1: MLflow 3 otherwise phones its telemetry service home from
# every process (and `responses` would see that call among GitHub's). Set before mlflow
# is imported, and inherited by every server and CLI process the tests start.
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["DO_NOT_TRACK"] = "true"

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SERVICE_POLICY = FIXTURES / "service_policy.yaml"
GUARD_POLICY = FIXTURES / "guard_policy.yaml"
# The same rules for a registry without stages (`registry: {stages: false}`).
ALIASES_POLICY = FIXTURES / "aliases_policy.yaml"

# A Wednesday morning: outside every freeze window in the fixtures.
WEDNESDAY = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mlflow import MlflowClient

    path = tmp_path_factory.mktemp("template") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{path}").search_registered_models()
    return path


@pytest.fixture
def tracking_uri(_template_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    db = tmp_path / "mlflow.db"
    shutil.copy(_template_db, db)
    uri = f"sqlite:///{db}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


@dataclass
class Clock:
    now: datetime = WEDNESDAY

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now = self.now + timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


class ModelFactory:
    """Registers versions backed by real runs with metrics, as training would."""

    def __init__(self, uri: str, artifacts: Path) -> None:
        from mlflow import MlflowClient

        self.client = MlflowClient(tracking_uri=uri)
        self.artifacts = artifacts
        self._experiment: str | None = None

    def experiment(self) -> str:
        if self._experiment is None:
            # On the session's shared `mlflow server` another test's factory may have
            # made it already.
            found = self.client.get_experiment_by_name("tests")
            self._experiment = (
                found.experiment_id
                if found is not None
                else self.client.create_experiment(
                    "tests", artifact_location=self.artifacts.as_uri()
                )
            )
        return self._experiment

    def version(self, model: str, **metrics: float) -> int:
        from mlflow.exceptions import MlflowException

        run = self.client.create_run(self.experiment())
        for key, value in metrics.items():
            self.client.log_metric(run.info.run_id, key, value)
        self.client.set_terminated(run.info.run_id)
        with contextlib.suppress(MlflowException):
            self.client.create_registered_model(model)
        mv = self.client.create_model_version(
            model, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id
        )
        return int(mv.version)

    def stage(self, model: str, version: int) -> str:
        return self.client.get_model_version(model, str(version)).current_stage

    def tags(self, model: str, version: int) -> dict[str, str]:
        return dict(self.client.get_model_version(model, str(version)).tags)

    def description(self, model: str, version: int) -> str:
        return self.client.get_model_version(model, str(version)).description or ""

    def aliases(self, model: str) -> dict[str, int]:
        rm = self.client.get_registered_model(model)
        return {k: int(v) for k, v in rm.aliases.items()}

    def model_tags(self, model: str) -> dict[str, str]:
        return dict(self.client.get_registered_model(model).tags)

    def snapshot(self, model: str) -> dict[str, object]:
        """Everything about a model that a command could change."""
        rm = self.client.get_registered_model(model)
        versions = self.client.search_model_versions(f"name='{model}'")
        return {
            "tags": dict(rm.tags),
            "aliases": dict(rm.aliases),
            "versions": sorted(
                (mv.version, mv.current_stage, tuple(sorted(mv.tags.items())), mv.description)
                for mv in versions
            ),
        }

    def all_models(self) -> dict[str, object]:
        return {rm.name: self.snapshot(rm.name) for rm in self.client.search_registered_models()}


@pytest.fixture
def models(tracking_uri: str, tmp_path: Path) -> ModelFactory:
    return ModelFactory(tracking_uri, tmp_path / "artifacts")


@pytest.fixture
def service_factory(tracking_uri: str, clock: Clock) -> Iterator[Callable[..., object]]:
    from bot.adapters.mlflow.gateway import Registry
    from bot.core.policy import load_policy
    from bot.core.service import Service

    def make(policy_path: Path = SERVICE_POLICY) -> Service:
        return Service(Registry(tracking_uri), load_policy(policy_path), clock=clock)

    yield make


@pytest.fixture
def service(service_factory: Callable[..., object]) -> object:
    return service_factory()


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One real `mlflow server` on SQLite for the whole session (127.0.0.1)."""
    from servers import MlflowServer

    workdir = tmp_path_factory.mktemp("mlflow-server")
    server = MlflowServer(backend_uri=f"sqlite:///{workdir / 'mlflow.db'}", workdir=workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mlflow_auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One real `mlflow server --app-name basic-auth` on SQLite for the whole session
    (tests/servers.py basic_auth_server: READ for every user, servers.AUTH_ADMIN its
    admin). Each test module makes the users it needs, under names of its own. Skipped
    with a message without `mlflow[auth]` (Flask-WTF)."""
    pytest.importorskip(
        "flask_wtf", reason="basic-auth needs `mlflow[auth]` (Flask-WTF); pip install it"
    )
    from servers import basic_auth_server

    server = basic_auth_server(tmp_path_factory.mktemp("mlflow-auth"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ci_account(mlflow_auth_server: object) -> object:
    """A fresh CI user on the basic-auth server, with the grants docs/deploy.md gives
    `promobot-ci` on a model and an experiment of its own (tests/servers.py ci_account)."""
    from servers import ci_account

    return ci_account(mlflow_auth_server.url)  # type: ignore[attr-defined]


@pytest.fixture
def two_versions(models: ModelFactory) -> tuple[int, int]:
    """Two versions of the service tests' model, the second the better (tests/core/service/)."""
    v1 = models.version("sentiment-classifier", accuracy=0.91, f1=0.874)
    v2 = models.version("sentiment-classifier", accuracy=0.93, f1=0.890)
    return v1, v2


@pytest.fixture(scope="session")
def exporter() -> Iterator[object]:
    """One exporter of model gauges per session (tests/prometheus_servers.py)."""
    from prometheus_servers import Exporter

    found = Exporter()
    try:
        yield found
    finally:
        found.stop()


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory, exporter: object) -> Iterator[object]:
    """One real Prometheus per session, scraping the exporter every second. Skips without
    the binary, unless PROMOBOT_REQUIRE_PROMETHEUS=1 (then it fails)."""
    from prometheus_servers import PrometheusServer, missing_reason, prometheus_binary, required

    if prometheus_binary() is None:
        if required():
            pytest.fail(missing_reason())
        pytest.skip(missing_reason())
    server = PrometheusServer(
        tmp_path_factory.mktemp("prometheus"),
        [f"127.0.0.1:{exporter.port}"],  # type: ignore[attr-defined]
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def guarded_mlflow(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[object]:
    """One `mlflow server --app-name promobot-guard` per backend for the whole session,
    with GUARD_POLICY on its side and its users made through MLflow's auth API
    (tests/servers.py's Guarded). PostgreSQL: a database for the registry and one for
    MLflow's users, dropped afterwards; without a reachable PostgreSQL those tests skip,
    unless PROMOBOT_REQUIRE_POSTGRES=1 (then they fail)."""
    from servers import (
        Guarded,
        auth_server,
        create_postgres_database,
        drop_postgres_database,
        guard_env,
        postgres_missing,
    )

    workdir = tmp_path_factory.mktemp(f"guarded-{request.param}")
    databases: list[str] = []
    backend, users_at = f"sqlite:///{workdir / 'mlflow.db'}", ""
    if request.param == "postgres":
        if missing := postgres_missing():
            if os.environ.get("PROMOBOT_REQUIRE_POSTGRES") == "1":
                pytest.fail(f"{missing}. PROMOBOT_REQUIRE_POSTGRES=1, so this is a failure.")
            pytest.skip(f"{missing}. Skipped.")
        backend, registry_db = create_postgres_database("promobot_guard")
        users_at, users_db = create_postgres_database("promobot_guard_users")
        databases = [registry_db, users_db]
    server = auth_server(backend, workdir, auth_db=users_at, env=guard_env(GUARD_POLICY))
    try:
        server.start()
        guarded = Guarded(request.param, server, GUARD_POLICY)
        guarded.make_users()
        yield guarded
    finally:
        server.stop()
        for name in databases:
            drop_postgres_database(name)
