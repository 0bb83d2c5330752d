"""Real server processes for end-to-end tests and the benchmarks: `mlflow server` and
`promobot serve`.

Each runs in its own process group (mlflow server 3.x takes 10–20 s to start and spawns
workers of its own; gunicorn has its workers), is waited on at its health endpoint, and
is stopped as a group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


# ---- MLflow's basic-auth, and promobot's guard on it (bot/adapters/mlflow/guard/) --------

ADMIN = "admin"
ADMIN_PASSWORD = "admin-password-for-tests-only"
POSTGRES_URL = os.environ.get("PROMOBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
# SQLAlchemy 2 reads a bare postgresql:// as psycopg 3; the dev extras install psycopg2.
POSTGRES_DRIVER = "postgresql+psycopg2://"


def auth_server(
    backend_uri: str,
    workdir: Path,
    *,
    app: str = "promobot-guard",
    auth_db: str = "",
    env: dict[str, str] | None = None,
    auth_cache_seconds: int = 0,
    healthcheck_s: int = 120,
) -> MlflowServer:
    """An `mlflow server --app-name <app>` (MLflow's `basic-auth`, or promobot's guard on
    it) with MLflow's own auth config file: default permission READ (MLflow's default), its
    user store at `auth_db` (default: SQLite beside the server), admin `admin`.
    `env`: more of the server's environment, e.g. the guard's settings on the MLflow host
    (PROMOBOT_POLICY, PROMOBOT_SERVICE_USERS, PROMOBOT_GUARD_ADMINS).
    `auth_cache_seconds`: MLflow's cache of checked passwords (0, MLflow's default: every
    request's password is hashed again).
    `healthcheck_s`: uvicorn's wait for a worker's answer to its health ping."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "basic_auth.ini"
    users_at = auth_db or f"sqlite:///{workdir / 'basic_auth.db'}"
    config.write_text(
        "[mlflow]\n"
        "default_permission = READ\n"
        f"database_uri = {users_at}\n"
        f"admin_username = {ADMIN}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        f"auth_cache_ttl_seconds = {auth_cache_seconds}\n"
    )
    settings = {
        "MLFLOW_AUTH_CONFIG_PATH": str(config),
        "MLFLOW_AUTH_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "MLFLOW_FLASK_SERVER_SECRET_KEY": "promobot-tests",
        # The guard is imported by the server's workers from this checkout.
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
        "PROMOBOT_GUARD_ADMINS": "",
        # No job runner and its consumers: nothing here runs MLflow jobs.
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        **(env or {}),
    }
    # uvicorn kills a worker that does not answer its health ping within 5 s, which a
    # loaded machine's import of mlflow can take: be patient (bench/env.py does the same).
    patient = ("--uvicorn-opts", f"--timeout-worker-healthcheck {healthcheck_s}")
    return MlflowServer(
        backend_uri=backend_uri,
        workdir=workdir,
        extra_args=("--app-name", app, *patient),
        env=settings,
    )


def auth_call(
    url: str,
    path: str,
    payload: dict[str, object],
    method: str = "POST",
    by: tuple[str, str] | None = None,
) -> None:
    """One call of MLflow's own auth REST API, as its admin (`by`: another admin, e.g.
    basic_auth_server's AUTH_ADMIN)."""
    import requests

    answer = requests.request(
        method, f"{url}{path}", json=payload, auth=by or (ADMIN, ADMIN_PASSWORD), timeout=60
    )
    if answer.status_code != 200:
        raise RuntimeError(f"{method} {path} {payload}: {answer.status_code} {answer.text[:300]}")


def create_user(
    url: str,
    username: str,
    password: str,
    *,
    admin: bool = False,
    by: tuple[str, str] | None = None,
) -> None:
    """A user made through MLflow's auth API (`users/create`, and `users/update-admin`),
    by the server's admin (`by`, default the guarded servers' ADMIN)."""
    payload: dict[str, object] = {"username": username, "password": password}
    auth_call(url, "/api/2.0/mlflow/users/create", payload, by=by)
    if admin:
        auth_call(
            url,
            "/api/2.0/mlflow/users/update-admin",
            {"username": username, "is_admin": True},
            method="PATCH",
            by=by,
        )


def grant(url: str, username: str, resource_type: str, resource_id: str, permission: str) -> None:
    """A permission given through MLflow's auth API (what AuthServiceClient's
    grant_user_permission sends), e.g. MANAGE on every registered model: ("registered_model",
    "*")."""
    auth_call(
        url,
        "/api/3.0/mlflow/users/permissions/grant",
        {
            "username": username,
            "resource_type": resource_type,
            "resource_id": resource_id,
            "permission": permission,
        },
    )


def postgres_missing() -> str:
    """Why no PostgreSQL answers at POSTGRES_URL, or "" when one does."""
    try:
        import psycopg2

        psycopg2.connect(f"{POSTGRES_URL}/postgres", connect_timeout=3).close()
    except Exception as exc:  # psycopg2.Error, or no psycopg2 at all
        return (
            f"PostgreSQL is not reachable at {POSTGRES_URL} ({' '.join(str(exc).split())[:200]}); "
            "set PROMOBOT_TEST_POSTGRES to another server's URL"
        )
    return ""


def postgres_admin(sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(f"{POSTGRES_URL}/postgres", connect_timeout=5)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def create_postgres_database(prefix: str) -> tuple[str, str]:
    """A fresh database for one run: (its store URI for MLflow, its name)."""
    import uuid

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    postgres_admin(f'CREATE DATABASE "{name}"')
    return POSTGRES_URL.replace("postgresql://", POSTGRES_DRIVER, 1) + f"/{name}", name


def drop_postgres_database(name: str) -> None:
    # A stopped server's connections may linger; end them, or DROP waits for them.
    postgres_admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    )
    postgres_admin(f'DROP DATABASE IF EXISTS "{name}"')


# The MLflow users of a guarded server in the tests: promobot's service account, an
# engineer with every write MLflow allows on registered models, CI (it registers), and
# MLflow's admin. Passwords are made up here, for 127.0.0.1 only.
PASSWORDS = {
    "promobot": "promobot-service-password",
    "eng": "engineer-password-1234",
    "ci": "ci-password-12345678",
    ADMIN: ADMIN_PASSWORD,
}
SERVICE_USERS = "promobot, promobot-replica"
PATIENT_SECONDS = "120"


def guard_env(policy: Path, **more: str) -> dict[str, str]:
    """The guard's settings on the MLflow host, and MLflow's webhook settings that let an
    admin point a webhook at 127.0.0.1."""
    return {
        "PROMOBOT_POLICY": str(policy),
        "PROMOBOT_SERVICE_USERS": SERVICE_USERS,
        "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
        "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
        **more,
    }


@dataclass
class Guarded:
    """A running guarded server, its users, and the policy on its side."""

    backend: str  # "sqlite" | "postgres"
    server: MlflowServer
    policy: Path

    @property
    def url(self) -> str:
        return self.server.url

    def make_users(self) -> None:
        """promobot and the engineer get MANAGE on every registered model, CI EDIT (it adds
        versions to models others made): the most MLflow's permissions allow, so what is
        refused below is the guard's doing."""
        for user in ("promobot", "eng", "ci"):
            create_user(self.url, user, PASSWORDS[user])
        grant(self.url, "promobot", "registered_model", "*", "MANAGE")
        grant(self.url, "eng", "registered_model", "*", "MANAGE")
        grant(self.url, "ci", "registered_model", "*", "EDIT")

    @contextlib.contextmanager
    def as_user(self, user: str) -> Iterator[Any]:
        """An MlflowClient that signs in as `user` while the block runs (MLflow's client
        reads MLFLOW_TRACKING_USERNAME and _PASSWORD at every call)."""
        from mlflow import MlflowClient

        given = {
            "MLFLOW_TRACKING_USERNAME": user,
            "MLFLOW_TRACKING_PASSWORD": PASSWORDS[user],
            # a loaded machine's server may take longer than promobot's 10 s default
            "MLFLOW_HTTP_REQUEST_TIMEOUT": PATIENT_SECONDS,
        }
        saved = {k: os.environ.get(k) for k in given}
        os.environ.update(given)
        try:
            yield MlflowClient(tracking_uri=self.url)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def ci_versions(self, model: str, count: int, tags: dict[str, str]) -> str:
        """`count` versions of `model` registered by CI with `tags` at creation (the model
        made first); returns their run."""
        with self.as_user("ci") as client:
            found = client.get_experiment_by_name("guard-tests")
            experiment = found.experiment_id if found else client.create_experiment("guard-tests")
            run_id = client.create_run(experiment).info.run_id
            client.log_metric(run_id, "accuracy", 0.9)
            client.create_registered_model(model)
            for _ in range(count):
                client.create_model_version(model, f"runs:/{run_id}/model", run_id, tags=tags)
        return run_id

    def promobot_does(self, *commands: str) -> None:
        """Commands carried out by promobot in this process, signed in as its service
        account, as `github:alice` asked them."""
        from service_helpers import run

        from bot.adapters.mlflow.gateway import Registry
        from bot.core.policy import load_policy
        from bot.core.service import Service

        with self.as_user("promobot"):
            service = Service(Registry(self.url), load_policy(self.policy))
            for text in commands:
                result = run(service, "github:alice", text)
                assert result.status == "done", (text, result.reasons)

    def http(self, user: str | None, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        """One raw HTTP call as `user` (None: without credentials); `body` is sent as JSON
        unless `data=` is given."""
        import requests

        auth = (user, PASSWORDS[user]) if user else None
        if body is not None:
            kw["json"] = body
        return requests.request(method, f"{self.url}{path}", auth=auth, timeout=120, **kw)

    @contextlib.contextmanager
    def serving(self, workdir: Path, **extra: str) -> Iterator[str]:
        """`promobot serve` signed in as promobot's service account, its Slack a
        FakeSlack, its passes off; yields its URL. `extra`: more of its environment."""
        from fake_slack import FakeSlack

        with FakeSlack() as fake:
            env = self.cli_env(
                "promobot",
                SLACK_BOT_TOKEN="xoxb-test-token",
                SLACK_API_URL=fake.api_url,
                PROMOBOT_SWEEP_SECONDS="0",
                PROMOBOT_AUDIT_SECONDS="0",
                PROMOBOT_VERIFY_SECONDS="0",
                **extra,
            )
            server = PromobotServe(env, workdir).start(timeout=60)
            try:
                yield server.url
            finally:
                server.stop()

    def cli_env(self, user: str, **extra: str) -> dict[str, str]:
        """The environment of a `promobot` process signed in as `user`."""
        return promobot_env(
            {
                "MLFLOW_TRACKING_URI": self.url,
                "MLFLOW_TRACKING_USERNAME": user,
                "MLFLOW_TRACKING_PASSWORD": PASSWORDS[user],
                "PROMOBOT_POLICY": str(self.policy),
                "PROMOBOT_SERVICE_USERS": SERVICE_USERS,
                "MLFLOW_HTTP_REQUEST_TIMEOUT": PATIENT_SECONDS,
                "PYTHONPATH": os.pathsep.join(
                    p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p
                ),
                **extra,
            }
        )


@contextlib.contextmanager
def guarded_sqlite(
    workdir: Path, policy: Path, *, backend: str = "", **more: str
) -> Iterator[Guarded]:
    """A guarded `mlflow server` of its own on SQLite (`backend`: a database already
    seeded, else a new one in `workdir`), its users made; `more`: more of the guard's
    settings (guard_env)."""
    server = auth_server(
        backend or f"sqlite:///{workdir / 'mlflow.db'}", workdir, env=guard_env(policy, **more)
    )
    try:
        server.start()
        guarded = Guarded("sqlite", server, policy)
        guarded.make_users()
        yield guarded
    finally:
        server.stop()
