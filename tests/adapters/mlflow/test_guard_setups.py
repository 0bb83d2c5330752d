"""The guard set up otherwise than the session's server: MLflow admins let through
(PROMOBOT_GUARD_ADMINS=allow, the break-glass), and the settings and policy that stop the
MLflow server at start. Each starts an `mlflow server` of its own (SQLite)."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, GUARD_POLICY
from mlflow.exceptions import MlflowException
from servers import PROMOBOT, Guarded, auth_server, guard_env, guarded_sqlite

pytestmark = pytest.mark.server


def unique() -> str:
    return f"governed-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def admins_allowed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guarded]:
    workdir = tmp_path_factory.mktemp("guard-admins-allowed")
    with guarded_sqlite(workdir, GUARD_POLICY, PROMOBOT_GUARD_ADMINS="allow") as guarded:
        yield guarded


def test_with_admins_allowed_an_admin_may_and_the_audit_reports_it(
    admins_allowed: Guarded,
) -> None:
    model = unique()
    admins_allowed.ci_versions(model, 2, {"git_commit": "0" * 40})
    admins_allowed.promobot_does(f"promote {model} v1 production first")
    assert admins_allowed.http("eng", "GET", "/api/2.0/promobot/guard").json()["admins"] == (
        "allowed"
    )
    with admins_allowed.as_user("eng") as client, pytest.raises(MlflowException) as caught:
        client.transition_model_version_stage(model, "2", "Production", True)
    assert caught.value.error_code == "PERMISSION_DENIED"
    with admins_allowed.as_user("admin") as client:
        client.transition_model_version_stage(model, "2", "Production", True)
        assert client.get_model_version(model, "2").current_stage == "Production"

    audit = subprocess.run(
        [str(PROMOBOT), "audit", model, "--json"],
        env=admins_allowed.cli_env("promobot"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert audit.returncode == 1, audit.stdout + audit.stderr
    findings = json.loads(audit.stdout)["findings"]
    assert {
        "model": model,
        "target": "Production",
        "kind": "outside",
        "holder": 2,
        "recorded": 1,
    } in findings
    assert "not guarded" not in audit.stderr


# uvicorn's supervisor pings each worker and waits for the answer up to the health-check
# timeout; a worker that exits while a ping is on its way never answers, and the supervisor
# learns of the exit only when that wait ends (it holds the pipe's other end itself). So a
# server whose workers stop at start ends within one health-check wait after they do: a short
# wait here (20 s, still far above a loaded worker's start-up before its first answer), and
# the test waits for start-up plus that wait. Seen in CI with the 120 s wait the other tests
# use: "did not answer /health in 120.0s".
STOPPING_HEALTHCHECK_S = 20


def _fails_to_start(tmp_path: Path, env: dict[str, str]) -> str:
    server = auth_server(
        f"sqlite:///{tmp_path / 'mlflow.db'}",
        tmp_path,
        env=env,
        healthcheck_s=STOPPING_HEALTHCHECK_S,
    )
    with pytest.raises(RuntimeError, match="mlflow server exited"):
        server.start(timeout=120.0 + 2 * STOPPING_HEALTHCHECK_S)
    assert server.proc is None
    return "".join(p.read_text(errors="replace") for p in tmp_path.glob("mlflow-server-*.log"))


def test_an_invalid_policy_stops_the_server_with_file_and_line(tmp_path: Path) -> None:
    bad = FIXTURES / "policies" / "bad" / "unknown_group.yaml"
    log = _fails_to_start(tmp_path, guard_env(bad))
    assert (
        f"The policy files are invalid ({bad}); promobot's guard stops the MLflow server here."
        in log
    )
    assert f"{bad.name}:" in log
    problem = next(line for line in log.splitlines() if f"{bad.name}:" in line)
    assert problem.split(f"{bad.name}:", 1)[1].split(":", 1)[0].isdigit(), problem


def test_settings_the_guard_cannot_work_with_stop_the_server(tmp_path: Path) -> None:
    env: dict[str, Any] = guard_env(GUARD_POLICY, PROMOBOT_SERVICE_USERS=" , ")
    env["PROMOBOT_GUARD_ADMINS"] = "sometimes"
    log = _fails_to_start(tmp_path, env)
    assert "promobot's guard cannot start:" in log
    assert "PROMOBOT_SERVICE_USERS is empty" in log
    assert "PROMOBOT_GUARD_ADMINS must be refuse (the default) or allow, not 'sometimes'" in log
