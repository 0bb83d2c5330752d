"""Real server processes for end-to-end tests and the benchmarks: `mlflow server` and
`promobot serve`.

Each runs in its own process group (mlflow server 3.x takes 10–20 s to start and spawns
workers of its own; gunicorn has its workers), is waited on at its health endpoint, and
is stopped as a group.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.doors.demo.processes import LocalServer, await_health, free_port, stop_group


@dataclass
class MlflowServer:
    backend_uri: str
    workdir: Path
    port: int = field(default_factory=free_port)
    extra_args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> MlflowServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / f"mlflow-server-{self.port}.log", "ab")  # noqa: SIM115
        mlflow_bin = Path(sys.executable).with_name("mlflow")
        cmd = [
            str(mlflow_bin),
            "server",
            "--backend-store-uri",
            self.backend_uri,
            "--artifacts-destination",
            (self.workdir / "artifacts").as_uri(),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "2",
            *self.extra_args,
        ]
        env = {**os.environ, **self.env}
        env.pop("MLFLOW_TRACKING_URI", None)
        self.proc = subprocess.Popen(
            cmd, cwd=self.workdir, stdout=log, stderr=log, env=env, start_new_session=True
        )
        try:
            await_health(self.proc, f"{self.url}/health", timeout, "mlflow server", log.name)
        except RuntimeError:
            self.stop()
            raise
        return self

    def pause(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is None:
            return
        stop_group(self.proc, timeout=15, resume=True)
        self.proc = None


# The admin of the basic-auth servers the tests start (MLflow 3.17 refuses its old default).
AUTH_ADMIN = ("admin", "admin-password-for-tests-1234")


def basic_auth_server(workdir: Path) -> MlflowServer:
    """`mlflow server --app-name basic-auth` (MLflow's own basic-auth) on SQLite: every
    user may READ everything (the default permission docs/deploy.md sets), AUTH_ADMIN is
    its admin. Users and grants are made through MLflow's auth REST API, as the admin."""
    workdir.mkdir(parents=True, exist_ok=True)
    ini = workdir / "auth.ini"
    ini.write_text(
        "[mlflow]\n"
        "default_permission = READ\n"
        f"database_uri = sqlite:///{workdir / 'basic_auth.db'}\n"
        f"admin_username = {AUTH_ADMIN[0]}\n"
        f"admin_password = {AUTH_ADMIN[1]}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
    )
    return MlflowServer(
        backend_uri=f"sqlite:///{workdir / 'mlflow.db'}",
        workdir=workdir,
        extra_args=("--app-name", "basic-auth"),
        env={
            "MLFLOW_AUTH_CONFIG_PATH": str(ini),
            "MLFLOW_FLASK_SERVER_SECRET_KEY": os.urandom(16).hex(),
        },
    )


@contextmanager
def mlflow_user(who: tuple[str, str]) -> Iterator[None]:
    """MLflow credentials for the code inside (MlflowClient reads them per request)."""
    names = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(dict(zip(names, who, strict=True)))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def credentials(who: tuple[str, str]) -> dict[str, str]:
    """The same credentials as environment variables for a process."""
    return {"MLFLOW_TRACKING_USERNAME": who[0], "MLFLOW_TRACKING_PASSWORD": who[1]}


@dataclass
class CiAccount:
    """The CI user of a basic-auth server, with its model and experiment."""

    who: tuple[str, str]
    model: str
    experiment: str


def ci_account(url: str) -> CiAccount:
    """`promobot-ci` as docs/deploy.md ("Accounts and permissions") makes it, under names of
    its own: a user with EDIT on the registered model it registers into and on the
    experiment it trains in, both made by the admin beforehand, and READ on everything
    else (the server's default)."""
    from mlflow import MlflowClient
    from mlflow.server import get_app_client

    tail = uuid.uuid4().hex[:8]
    account = CiAccount((f"ci-{tail}", f"ci-password-{tail}"), f"ci-model-{tail}", f"ci-{tail}")
    with mlflow_user(AUTH_ADMIN):
        auth = get_app_client("basic-auth", tracking_uri=url)
        auth.create_user(username=account.who[0], password=account.who[1])
        mlflow = MlflowClient(tracking_uri=url)
        mlflow.create_registered_model(account.model)
        auth.grant_user_permission(account.who[0], "registered_model", account.model, "EDIT")
        experiment_id = mlflow.create_experiment(account.experiment)
        auth.grant_user_permission(account.who[0], "experiment", experiment_id, "EDIT")
    return account


REPO = Path(__file__).resolve().parents[1]
PROMOBOT = Path(sys.executable).with_name("promobot")


def promobot_env(settings: dict[str, str]) -> dict[str, str]:
    """This process's environment without any Slack, promobot, MLflow or GitHub setting
    of its own, and with `settings` (PROMOBOT_PROMETHEUS_URL, PROMOBOT_VERIFY_SECONDS, …)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "PROMOBOT_", "MLFLOW_", "GITHUB_"))
    }
    # Kept: the tests' own telemetry switches (tests/conftest.py).
    env.update({k: os.environ[k] for k in ("MLFLOW_DISABLE_TELEMETRY",) if k in os.environ})
    return {**env, **settings}


@dataclass
class PromobotServe(LocalServer):
    """`promobot serve` on 127.0.0.1 with the given environment (Slack and MLflow URLs);
    promobot_env() makes one from this process's."""

    LOG_PREFIX = "serve"

    env: dict[str, str]
    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> PromobotServe:
        return self.launch().ready(timeout)

    def launch(self) -> PromobotServe:
        """Start the process without waiting for it (ready() waits), so a test can set its
        scene while serve boots."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [str(PROMOBOT), "serve", "--port", str(self.port), "--host", "127.0.0.1"],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        return self

    def ready(self, timeout: float = 30.0) -> PromobotServe:
        """Wait until /healthz answers; RuntimeError with the log if it never does."""
        assert self.proc is not None, "launch() first"
        try:
            await_health(
                self.proc, f"{self.url}/healthz", timeout, "promobot serve", str(self.log_path)
            )
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"{exc}\n{self.log()}") from None
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        stop_group(self.proc, timeout=30)
        self.proc = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
