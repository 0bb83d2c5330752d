"""The verification benchmark's harness works (bench/verify_bench.py): it counts one
pass's MLflow and Prometheus calls, and it times a bad exporter to the rollback under
`promobot serve`'s own pass loop. No timings are asserted."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest

from bench import verify_bench
from bench.registry_bench import BenchError

pytestmark = pytest.mark.server


def test_the_verify_part_counts_a_pass_and_sees_the_rollback(
    mlflow_server: Any, prometheus: Any, exporter: Any
) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=mlflow_server.url)
    name = f"bench-verify-{uuid.uuid4().hex[:8]}"
    experiment = client.create_experiment(name)
    client.create_registered_model(name)
    for _ in range(2):
        run_id = client.create_run(experiment).info.run_id
        client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
    subject = verify_bench.Subject("small", mlflow_server.url, name, 2, 1, 2)
    live = verify_bench.Live(exporter, prometheus)
    live.good(subject)
    service = verify_bench.service_for(mlflow_server.url, prometheus.url)
    verify_bench.watch(service, verify_bench.Subject("small", mlflow_server.url, name, 1, 0, 2))
    verify_bench.watch(service, subject)  # v2 onto Production, replacing v1: watched

    calls = verify_bench.count_calls(subject, prometheus.url, verify_bench.Due())

    # The session's server holds other tests' models: the listing may take pages.
    mlflow = calls["pass"]["mlflow"]["calls"]
    assert mlflow[0] == verify_bench.LISTING
    assert mlflow[-4:] == calls["target"]["mlflow"]["calls"]
    assert "POST registered-models/set-tag" in mlflow  # the run's record
    assert calls["pass"]["prometheus"] == {"count": 2, "calls": ["GET /api/v1/query"] * 2}
    part = {"plan": verify_bench.plan(), "rest_calls": {"small": calls}}
    assert ("verify: one pass (small): Prometheus calls", 2, "one per check (2)", True) in (
        verify_bench.targets(part)
    )

    run = verify_bench.one_rollback(subject, live, random.Random(1), settle=(0.1, 0.2))

    assert run["rolled_back_s"] > 0 and run["passes_after_bad_s"]
    assert verify_bench.holder_of(service, name) == 1
    # v1 holds it again (watched in turn): a run that finds v2 not running stops the part
    with pytest.raises(BenchError, match="expected one running run"):
        verify_bench.one(service, subject, "target")
