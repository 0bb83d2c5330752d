"""Live gates and soak in the decision (real Prometheus, real MLflow), Prometheus stopped
in the middle of a verification (no_data), and `promobot verify`'s exit status."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.adapters.mlflow.gateway import Registry
from bot.adapters.prometheus import PrometheusClient
from bot.core.commands import parse
from bot.core.policy import load_policy
from bot.core.service import Context, Outside, Service
from bot.render.message import to_text

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "verify_policy.yaml"
POLICY = load_policy(FIXTURE)
BOB = Context(actor="cli:bob")
CAROL = Context(actor="cli:carol")
PROMOBOT = str(Path(sys.executable).with_name("promobot"))


def do(service: Service, text: str, ctx: Context = BOB) -> Any:
    return service.handle(parse(text).command, ctx)  # type: ignore[union-attr]


def test_live_gates_refuse_with_the_figure_and_pass_when_it_holds(
    tracking_uri: str, models: Any, prometheus: Any, exporter: Any
) -> None:
    name = "gated-live"
    models.version(name, accuracy=0.9)
    service = Service(
        Registry(tracking_uri),
        POLICY,
        outside=Outside(prometheus=PrometheusClient(prometheus.url, timeout_s=2)),
    )
    exporter.set(name, 1, error_rate=0.071)
    prometheus.wait_for(f'model_error_rate{{model="{name}",version="1"}}', 0.071)
    before = models.snapshot(name)
    refused = do(service, f"promote {name} v1 production")
    assert refused.status == "refused"
    assert list(refused.reasons) == [
        "shadow error rate of v1 is 0.071 live, which fails the gate shadow error rate ≤ 0.05; "
        "wait until shadow error rate ≤ 0.05 holds, or promote a version that meets it."
    ]
    assert "❌ shadow error rate ≤ 0.05  0.071 (live)" in to_text(refused)
    assert models.snapshot(name) == before  # nothing written

    exporter.set(name, 1, error_rate=0.01)
    prometheus.wait_for(f'model_error_rate{{model="{name}",version="1"}}', 0.01)
    done = do(service, f"promote {name} v1 production")
    assert done.status == "done"
    gate = next(c for c in done.checks if c.name == "shadow error rate ≤ 0.05")
    assert gate.detail == "0.010 (live)"


def test_a_live_gate_without_prometheus_refuses_saying_why(tracking_uri: str, models: Any) -> None:
    name = "gated-nowhere"
    models.version(name, accuracy=0.9)
    refused = do(Service(Registry(tracking_uri), POLICY), f"promote {name} v1 production")
    assert list(refused.reasons) == [
        "The live gate shadow error rate ≤ 0.05 has no figure for v1: no Prometheus is "
        "configured (set PROMOBOT_PROMETHEUS_URL); check the query and that the model server "
        "exports it, then try again."
    ]


def test_soak_refuses_naming_when_the_version_may_go(
    tracking_uri: str, models: Any, clock: Any
) -> None:
    name = "soaked-m"
    models.version(name, accuracy=0.9)
    service = Service(Registry(tracking_uri), POLICY, clock=clock)
    assert do(service, f"promote {name} v1 staging").status == "done"
    entered = clock.now
    clock.advance(hours=3)
    refused = do(service, f"promote {name} v1 production")
    ready = entered + timedelta(hours=24)
    assert list(refused.reasons) == [
        f"v1 entered Staging {entered:%Y-%m-%d %H:%M} UTC; Production needs 24h there: "
        f"from {ready:%Y-%m-%d %H:%M} UTC."
    ]
    clock.advance(hours=21)
    assert do(service, f"promote {name} v1 production").status == "done"


def test_prometheus_stopped_mid_verification_follows_no_data(
    tracking_uri: str, models: Any, exporter: Any, tmp_path: Path
) -> None:
    from prometheus_servers import PrometheusServer

    server = PrometheusServer(tmp_path / "prom", [f"127.0.0.1:{exporter.port}"]).start()
    try:
        for name in ("watch-down", "quiet-down"):
            models.version(name, accuracy=0.9)
            models.version(name, accuracy=0.9)
            exporter.set(name, 2, error_rate=0.001)
        server.wait_for('model_error_rate{model="quiet-down",version="2"}', 0.001)
        service = Service(
            Registry(tracking_uri),
            POLICY,
            outside=Outside(prometheus=PrometheusClient(server.url, timeout_s=1)),
        )
        for name in ("watch-down", "quiet-down"):
            do(service, f"promote {name} v1 production")
            do(service, f"promote {name} v2 production")
        first = {o.model: o.state for o in service.verify().outcomes}
        assert first == {"watch-down": "running", "quiet-down": "running"}
    finally:
        server.stop()
    outcomes: list[Any] = []
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and not any(o.state == "failed" for o in outcomes):
        time.sleep(1)
        outcomes.extend(service.verify().outcomes)
    failed = [o for o in outcomes if o.state == "failed"]
    assert [o.model for o in failed] == ["watch-down"]  # no_data: fail
    assert failed[0].detail.startswith(
        f"verification failed: error rate no data (Prometheus at {server.url} could not be reached"
    )
    assert failed[0].rolled_back_to == 1
    # no_data: ignore keeps watching, and status says there is no data.
    assert models.stage("quiet-down", 2) == "Production"
    text = to_text(do(service, "status quiet-down"))
    assert f"error rate < 0.02: no data (Prometheus at {server.url} could not be reached" in text


def test_promobot_verify_exits_1_when_a_verification_failed_and_3_without_mlflow(
    tracking_uri: str, models: Any, prometheus: Any, exporter: Any, tmp_path: Path
) -> None:
    name = "told-cli"
    models.version(name, accuracy=0.9)
    exporter.set(name, 1, error_rate=0.5)
    prometheus.wait_for(f'model_error_rate{{model="{name}",version="1"}}', 0.5)
    env = {
        "PATH": "/usr/bin:/bin",
        "MLFLOW_TRACKING_URI": tracking_uri,
        "PROMOBOT_POLICY": str(FIXTURE),
        "PROMOBOT_PROMETHEUS_URL": prometheus.url,
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PROMOBOT, *args], env={**env, **extra}, capture_output=True, text=True, timeout=60
        )

    assert run("promote", name, "v1", "production", "--as", "cli:bob").returncode == 0
    first = run("verify")
    assert (first.returncode, first.stdout.splitlines()[-1]) == (
        0,
        "verify: 1 verification(s) run, 0 failed",
    )
    time.sleep(1.1)
    second = run("verify")
    assert second.returncode == 1, second.stderr
    assert (
        f"❌ {name} v1 on Production: failed: verification failed: error rate 0.5 (pass < 0.02), "
        "2 checks in a row" in second.stdout
    )
    down = run("verify", MLFLOW_TRACKING_URI="http://127.0.0.1:9")
    assert down.returncode == 3
    assert "Traceback" not in down.stderr


def _gated_with_approval(tmp_path: Path) -> Any:
    """The fixture's gated-* rules with one approval from the on-call group, so the gate
    is decided when the request is made and again when the approval carries it out."""
    data = yaml.safe_load(FIXTURE.read_text())
    gated = next(e for e in data["models"] if e["name"] == "gated-*")
    gated["targets"]["production"].update(approvers=["oncall"], approvals=1)
    path = tmp_path / "gated.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_policy(path)


def test_a_live_gate_is_decided_again_when_the_approval_executes(
    tracking_uri: str, models: Any, prometheus: Any, exporter: Any, tmp_path: Path
) -> None:
    name = "gated-approved"
    models.version(name, accuracy=0.9)
    service = Service(
        Registry(tracking_uri),
        _gated_with_approval(tmp_path),
        outside=Outside(prometheus=PrometheusClient(prometheus.url, timeout_s=2)),
    )
    query = f'model_error_rate{{model="{name}",version="1"}}'
    exporter.set(name, 1, error_rate=0.01)
    prometheus.wait_for(query, 0.01)
    pending = do(service, f"promote {name} v1 production")
    assert pending.status == "pending", pending.reasons
    assert "✅ shadow error rate ≤ 0.05  0.010 (live)" in to_text(pending)

    exporter.set(name, 1, error_rate=0.2)  # the shadow traffic turns bad before the approval
    prometheus.wait_for(query, 0.2)
    refused = do(service, f"approve {pending.request_id}", CAROL)
    assert refused.status == "refused"
    assert refused.reasons[0].startswith(
        "shadow error rate of v1 is 0.200 live, which fails the gate shadow error rate ≤ 0.05"
    )
    assert models.stage(name, 1) == "None"  # nothing moved


def test_a_prometheus_that_answers_garbage_refuses_a_live_gate_writing_nothing(
    tracking_uri: str, models: Any, exporter: Any
) -> None:
    name = "gated-garbage"
    models.version(name, accuracy=0.9)
    # The exporter answers every path with its text exposition format: not Prometheus'
    # JSON API.
    garbage = PrometheusClient(f"http://127.0.0.1:{exporter.port}", timeout_s=2)
    service = Service(Registry(tracking_uri), POLICY, outside=Outside(prometheus=garbage))
    before = models.snapshot(name)
    refused = do(service, f"promote {name} v1 production")
    assert refused.status == "refused"
    [reason] = refused.reasons
    assert reason.startswith("The live gate shadow error rate ≤ 0.05 has no figure for v1: ")
    assert "answered something that is not JSON" in reason
    assert "Traceback" not in to_text(refused)
    assert models.snapshot(name) == before
