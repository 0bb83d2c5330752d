"""Fixtures for the reliability suite: real `mlflow server` processes on SQLite and on
PostgreSQL, a policy written for the races and faults, and a place to report numbers.

The `backend` fixture is session-scoped and parametrized ("sqlite", "postgres"): pytest
groups the tests by backend, so each server starts once and only one runs at a time.
A fresh PostgreSQL database (promobot_test_<random>) is created for the run and dropped
after it. Without a reachable PostgreSQL those tests skip and say why; with
PROMOBOT_REQUIRE_POSTGRES=1 (set by .ci/run) they fail instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PROMOBOT = str(Path(sys.executable).with_name("promobot"))
POSTGRES_URL = os.environ.get("PROMOBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
# SQLAlchemy 2 reads a bare postgresql:// as psycopg 3; the dev extras install psycopg2.
STORE_DRIVER = "postgresql+psycopg2://"

# Numbers the suite measured, printed at the end of the run (pytest_terminal_summary).
REPORT: list[dict[str, Any]] = []


def report(section: str, backend: str, **numbers: Any) -> None:
    REPORT.append({"section": section, "backend": backend, **numbers})


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not REPORT:
        return
    terminalreporter.section("promobot reliability: measured numbers")
    for row in REPORT:
        rest = {k: v for k, v in row.items() if k not in ("section", "backend")}
        terminalreporter.write_line(
            f"[{row['backend']}] {row['section']}: {json.dumps(rest, sort_keys=True)}"
        )


# ---- the policy every reliability test runs under -----------------------------------------

LEADS = [f"lead{i}" for i in range(10)]
ENGINEERS = [f"eng{i}" for i in range(4)]


def _policy_text() -> str:
    people = "\n".join(
        f"  {p}: {{email: {p}@example.com, github: {p}, slack: U{p.upper()}}}"
        for p in [*ENGINEERS, *LEADS, "carol"]
    )
    return textwrap.dedent(
        """\
        # Written by tests/reliability/conftest.py: the races and faults need direct
        # promotions (approvals: 0), quorums of 3 and of 10, and a break-glass rollback.
        people:
        {people}
        groups:
          engineers: [{engineers}]
          leads: [{leads}]
          oncall: [carol]
        models:
          - name: "race-*"
            targets:
              staging: {{requesters: [engineers], approvals: 0}}
              production: {{requesters: [engineers], approvals: 0}}
            rollback: {{requesters: [oncall], approvals: 0}}
          - name: "quorum10-*"
            targets:
              production:
                requesters: [engineers]
                approvers: [leads]
                approvals: 10
                request_ttl: 2h
          - name: "quorum3-*"
            targets:
              production:
                requesters: [engineers]
                approvers: [leads]
                approvals: 3
                request_ttl: 2h
          - name: "fault-*"
            targets:
              staging: {{requesters: [engineers], approvals: 0}}
              production: {{requesters: [engineers], approvals: 0}}
              "@champion": {{requesters: [engineers], approvals: 0}}
            rollback: {{requesters: [oncall], approvals: 0}}
          - name: "bind-*"
            targets:
              production:
                requesters: [engineers]
                approvers: [leads]
                approvals: 1
                request_ttl: 2h
          - name: "sentiment-classifier"
            targets:
              staging: {{requesters: [engineers], approvals: 0}}
              production:
                requesters: [engineers]
                approvers: [leads]
                approvals: 1
            rollback: {{requesters: [oncall], approvals: 0, require_reason: true}}
        """
    ).format(
        people=people,
        engineers=", ".join(ENGINEERS),
        leads=", ".join(LEADS),
    )


@pytest.fixture(scope="session")
def reliability_policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reliability-policy") / "policy.yaml"
    path.write_text(_policy_text())
    from bot.core.policy import load_policy

    load_policy(path)  # fail here, loudly, if the test policy itself is wrong
    return path


# ---- servers --------------------------------------------------------------------------------


@dataclass
class Backend:
    """A running `mlflow server` and what it stores into."""

    name: str  # "sqlite" | "postgres"
    server: Any  # servers.MlflowServer
    store_uri: str
    restarts: int = 0
    start_seconds: list[float] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    def kill(self) -> None:
        """SIGKILL the whole process group, as an OOM killer or a pulled plug would."""
        proc = self.server.proc
        assert proc is not None
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        self.server.proc = None

    def pause(self) -> None:
        self.server.pause()

    def resume(self) -> None:
        self.server.resume()

    def restart(self) -> None:
        if self.server.proc is not None:
            self.server.stop()
        started = time.monotonic()
        self.server.start()
        self.start_seconds.append(round(time.monotonic() - started, 1))
        self.restarts += 1

    def ensure_running(self) -> None:
        """After a fault test, whatever happened: the server runs and answers."""
        proc = self.server.proc
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGCONT)
            if proc.poll() is None:
                return
            self.server.proc = None
        self.restart()


def _postgres_or_skip() -> None:
    try:
        import psycopg2

        psycopg2.connect(f"{POSTGRES_URL}/postgres", connect_timeout=3).close()
    except Exception as exc:  # psycopg2.Error, or no psycopg2 at all
        message = (
            f"PostgreSQL is not reachable at {POSTGRES_URL} ({' '.join(str(exc).split())[:200]}); "
            "the PostgreSQL half of the reliability suite needs it (set "
            "PROMOBOT_TEST_POSTGRES to another server's URL)."
        )
        if os.environ.get("PROMOBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{message} PROMOBOT_REQUIRE_POSTGRES=1, so this is a failure.")
        pytest.skip(f"{message} Skipped.")


def _admin(sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(f"{POSTGRES_URL}/postgres", connect_timeout=5)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def _server_for(name: str, workdir: Path) -> tuple[Any, str, str | None]:
    from servers import MlflowServer

    _postgres_or_skip()
    database = f"promobot_test_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE DATABASE "{database}"')
    uri = POSTGRES_URL.replace("postgresql://", STORE_DRIVER, 1) + f"/{database}"
    return MlflowServer(backend_uri=uri, workdir=workdir), uri, database


def _drop_database(database: str) -> None:
    # A killed server's connections may linger; end them, or DROP waits for them.
    _admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{database}' AND pid <> pg_backend_pid()"
    )
    _admin(f'DROP DATABASE IF EXISTS "{database}"')


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    name = request.param
    if name == "sqlite":
        # The session's SQLite server (tests/conftest.py), shared with the end-to-end tests:
        # one server start less in `make test`. The fault tests restart it in place.
        shared = request.getfixturevalue("mlflow_server")
        found = Backend(name=name, server=shared, store_uri=shared.backend_uri)
        yield found
        report("server", name, shared_with="tests/e2e", restarts=found.start_seconds)
        return
    workdir = tmp_path_factory.mktemp(f"mlflow-{name}")
    server, uri, database = _server_for(name, workdir)
    found = Backend(name=name, server=server, store_uri=uri)
    try:
        started = time.monotonic()
        server.start()
        found.start_seconds.append(round(time.monotonic() - started, 1))
        yield found
    finally:
        server.stop()
        if database:
            _drop_database(database)
        report("server", name, starts=len(found.start_seconds), start_s=found.start_seconds)


# ---- running commands ---------------------------------------------------------------------


def cli_env(tracking_uri: str, policy: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri, "PROMOBOT_POLICY": str(policy)}
    env.update(extra)
    return env


def promobot(
    tracking_uri: str, policy: Path, *words: str, timeout: float = 180, **extra: str
) -> tuple[int, dict[str, Any], str]:
    """Run the installed `promobot … --json` as a person would; (exit, JSON, stderr)."""
    out = subprocess.run(
        [PROMOBOT, *words, "--json"],
        env=cli_env(tracking_uri, policy, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    try:
        data = json.loads(out.stdout) if out.stdout.strip() else {}
    except ValueError:
        data = {"unparsed": out.stdout}
    return out.returncode, data, out.stderr


def run_workers(
    tracking_uri: str,
    policy: Path,
    groups: list[list[dict[str, str]]],
    *,
    timeout: float = 300,
    rounds: int = 1,
    **extra: str,
) -> tuple[list[dict[str, Any]], float]:
    """Run each group of commands in its own OS process (tests/reliability/worker.py),
    one thread per command, all released at the same moment once every process has
    imported MLflow. With `rounds`, the commands carry a "round" (0 to rounds - 1) and
    each round is released in every process at once when the last one has ended.
    Returns every command's outcome and the wall time from the first release."""
    env = cli_env(tracking_uri, policy, PYTHONPATH=str(REPO), **extra)
    procs = [
        subprocess.Popen(
            [sys.executable, str(HERE / "worker.py")],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in groups
    ]
    try:
        for proc, group in zip(procs, groups, strict=True):
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(json.dumps(group) + "\n")
            proc.stdin.flush()
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"worker did not start: {line!r} {proc.stderr.read()[-2000:]}")
        started = time.monotonic()
        for n in range(rounds):
            if n:  # every process has ended the round before
                for proc in procs:
                    assert proc.stdout is not None
                    line = proc.stdout.readline()
                    if line.strip() != "round":
                        raise RuntimeError(f"worker broke off: {line!r}")
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
        results: list[dict[str, Any]] = []
        for proc in procs:
            out, err = proc.communicate(timeout=timeout)
            if proc.returncode != 0:
                raise RuntimeError(f"worker failed ({proc.returncode}): {err[-3000:]}")
            results.extend(json.loads(out))
        return results, time.monotonic() - started
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


# ---- what the registry holds ----------------------------------------------------------------


class Registry:
    """Read-only looks at a registry, straight through MlflowClient (never through the bot)."""

    def __init__(self, tracking_uri: str) -> None:
        from mlflow import MlflowClient

        self.client = MlflowClient(tracking_uri=tracking_uri)

    def versions(self, model: str) -> list[Any]:
        found = self.client.search_model_versions(f"name='{model}'", max_results=1000)
        return sorted(found, key=lambda mv: int(mv.version))

    def holders(self, model: str, stage: str) -> list[int]:
        return [int(mv.version) for mv in self.versions(model) if mv.current_stage == stage]

    def aliases(self, model: str) -> dict[str, int]:
        return {k: int(v) for k, v in self.client.get_registered_model(model).aliases.items()}

    def model_tags(self, model: str) -> dict[str, str]:
        return dict(self.client.get_registered_model(model).tags)

    def events(self, model: str) -> list[dict[str, Any]]:
        tags = self.model_tags(model)
        keys = sorted(k for k in tags if k.startswith("mlflow.promobot.event."))
        return [{"key": k, **json.loads(tags[k])} for k in keys]

    def locks(self, model: str, target: str = "production") -> list[str]:
        """The lock of (model, target), if one is held: [] or [its name]."""
        name = lock_name(model, target)
        try:
            self.client.get_registered_model(name)
        except Exception:
            return []
        return [name]

    def description_lines(self, model: str, version: int) -> list[str]:
        text = self.client.get_model_version(model, str(version)).description or ""
        return [line for line in text.splitlines() if line.strip()]

    def snapshot(self, model: str) -> dict[str, Any]:
        rm = self.client.get_registered_model(model)
        return {
            "tags": dict(rm.tags),
            "aliases": dict(rm.aliases),
            "versions": [
                (mv.version, mv.current_stage, sorted(mv.tags.items()), mv.description or "")
                for mv in self.versions(model)
            ],
        }


def lock_name(model: str, target: str) -> str:
    """The registered model promobot creates as the lock of (model, target)."""
    import hashlib

    return "promobot-lock." + hashlib.sha1(f"{model}\0{target}".encode()).hexdigest()[:4]


def make_versions(tracking_uri: str, model: str, count: int, **metrics: float) -> list[int]:
    """Register `count` versions backed by real runs, as training would."""
    from conftest import ModelFactory

    factory = ModelFactory(tracking_uri, Path("/nonexistent-artifacts"))
    factory._experiment = _experiment(factory.client)
    return [factory.version(model, **(metrics or {"accuracy": 0.9})) for _ in range(count)]


def _experiment(client: Any) -> str:
    found = client.get_experiment_by_name("reliability")
    if found is not None:
        return found.experiment_id
    try:
        return client.create_experiment("reliability", artifact_location="file:///tmp/promobot-rel")
    except Exception:
        found = client.get_experiment_by_name("reliability")
        assert found is not None
        return found.experiment_id


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
