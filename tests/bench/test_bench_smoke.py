"""The benchmark harness itself works, and its floor is honest. No timings are asserted.

Two identical models on the session's real `mlflow server`: promobot drives one, the
raw floor (bench/floor.py) the other, each through the recording proxy that counts REST
calls at the HTTP level. After every command both registries must hold the same facts —
stages, aliases, every version tag, descriptions, every model tag — or the floor would
be measuring less work than promobot does.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bench import paths
from bench.floor import Floor
from bench.report import extra_calls
from bench.rest_calls import CountingProxy, short_path

pytestmark = pytest.mark.server

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday morning
METRICS = (
    {"accuracy": 0.91, "f1": 0.89},
    {"accuracy": 0.92, "f1": 0.89},
    {"accuracy": 0.9, "f1": 0.88},
)


def test_short_path_names_the_endpoint() -> None:
    assert short_path("/api/2.0/mlflow/registered-models/get?name=m") == "registered-models/get"
    assert short_path("/health") == "/health"


def test_extra_calls_is_a_multiset_difference() -> None:
    assert extra_calls(["GET a", "GET a", "POST b"], ["GET a", "PUT c"]) == {
        "GET a": 1,
        "POST b": 1,
        "PUT c": -1,
    }


@pytest.fixture
def proxy(mlflow_server: Any) -> Iterator[CountingProxy]:
    with CountingProxy(mlflow_server.url) as counting:
        yield counting


@pytest.fixture
def twins(mlflow_server: Any) -> tuple[str, str]:
    """Two models with the same versions, runs, stages and aliases."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=mlflow_server.url)
    uid = uuid.uuid4().hex[:8]
    experiment = client.create_experiment(f"bench-smoke-{uid}")
    names = (f"bench-smoke-{uid}-p", f"bench-smoke-{uid}-f")
    for name in names:
        client.create_registered_model(name)
        for metrics in METRICS:
            run = client.create_run(experiment)
            for key, value in metrics.items():
                client.log_metric(run.info.run_id, key, value)
            client.create_model_version(
                name, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id
            )
        client.transition_model_version_stage(name, "1", "Staging")
        client.set_registered_model_alias(name, "staging", "1")
        client.transition_model_version_stage(name, "3", "Production")
        client.set_registered_model_alias(name, "production", "3")
    return names


class Ids:
    def __init__(self, prefix: str) -> None:
        self.prefix, self.n = prefix, 0

    def __call__(self, bucket: str) -> str:
        self.n += 1
        return f"req-{bucket}{self.prefix}{self.n:05d}"


def snapshot(client: Any, name: str) -> dict[str, Any]:
    """Everything about a model a command could change, with what must differ between
    the twins (names, run ids, request ids, the nanoseconds in history and drift-record
    keys) made equal."""
    rm = client.get_registered_model(name)
    versions = client.search_model_versions(f"name='{name}'")
    raw = {
        "tags": dict(rm.tags),
        "aliases": dict(rm.aliases),
        "versions": sorted(
            (int(mv.version), mv.current_stage, dict(mv.tags), mv.description or "")
            for mv in versions
        ),
    }
    text = json.dumps(raw, sort_keys=True)
    text = text.replace(name, "MODEL")
    for mv in versions:
        text = text.replace(mv.run_id, f"RUN-OF-V{mv.version}")
    text = re.sub(r"req-[0-9a-f]{4}[ab]0000", "req-X0000", text)
    text = re.sub(r"(promobot\.(?:event|finding)\.\d{13})\.\d{20}", r"\1.NS", text)
    return json.loads(text)


def test_floor_makes_the_same_change_as_promobot(
    mlflow_server: Any, proxy: CountingProxy, twins: tuple[str, str]
) -> None:
    from mlflow import MlflowClient

    from bot.adapters.mlflow.gateway import Registry
    from bot.core.commands import parse
    from bot.core.policy import load_policy
    from bot.core.service import Context, Service
    from bot.core.state import mutex_bucket

    theirs, ours = twins
    policy = load_policy(paths.POLICY)
    # One id sequence per twin, so the n-th request on each has the n-th id.
    ids_theirs, ids_ours = Ids("a"), Ids("b")
    service = Service(Registry(proxy.url), policy, clock=lambda: NOW, new_id=ids_theirs)
    setup_theirs = Service(
        Registry(mlflow_server.url), policy, clock=lambda: NOW, new_id=ids_theirs
    )
    setup_ours = Service(Registry(mlflow_server.url), policy, clock=lambda: NOW, new_id=ids_ours)
    floor = Floor(MlflowClient(tracking_uri=proxy.url), policy)
    reader = MlflowClient(tracking_uri=mlflow_server.url)
    counts: dict[str, tuple[int, int]] = {}

    def promobot(text: str, actor: str, via: Service = service) -> Any:
        parsed = parse(text)
        assert parsed.command is not None, parsed.reply
        return via.handle(parsed.command, Context(actor=actor))

    def same(step: str) -> None:
        assert snapshot(reader, theirs) == snapshot(reader, ours), step

    # The holders set by hand, recorded through promobot on both twins (promoting the
    # version that holds a target records it): otherwise both targets have drifted, and
    # promobot refuses to promote onto them.
    for name, via in ((theirs, setup_theirs), (ours, setup_ours)):
        assert promobot(f"promote {name} v1 staging adopted", "cli:bob", via).status == "done"
        asked = promobot(f"promote {name} v3 production adopted", "cli:bob", via)
        assert asked.status == "pending", asked.reasons
        assert promobot(f"approve {asked.request_id} ok", "cli:alice", via).status == "done"
    same("adopted")

    # promote, no approval needed: v2 → Staging (v1 archived)
    with proxy.recording() as by_promobot:
        done = promobot(f"promote {theirs} v2 staging bench smoke", "cli:bob")
    assert done.status == "done" and not done.already, done.reasons
    with proxy.recording() as by_floor:
        floor.promote(
            ours,
            2,
            "staging",
            "cli:bob",
            "bench smoke",
            now=NOW,
            request_id=ids_ours(mutex_bucket(ours, "staging")),
        )
    same("promote")
    counts["promote"] = (len(by_promobot), len(by_floor))

    # rollback, from the history: v1 → Staging (set-up), then Staging goes back to v2
    promobot(f"promote {theirs} v1 staging set-up", "cli:bob", via=setup_theirs)
    promobot(f"promote {ours} v1 staging set-up", "cli:bob", via=setup_ours)
    with proxy.recording() as by_promobot:
        done = promobot(f"rollback {theirs} staging bench smoke", "cli:carol")
    assert done.status == "done" and done.version == 2, done.reasons
    with proxy.recording() as by_floor:
        floor.rollback(
            ours,
            "staging",
            "cli:carol",
            "bench smoke",
            now=NOW,
            request_id=ids_ours(mutex_bucket(ours, "staging")),
        )
    same("rollback")
    counts["rollback"] = (len(by_promobot), len(by_floor))

    # approve, the approval that carries the request out: v2 → Production (v3 archived)
    asked = promobot(f"promote {theirs} v2 production needs a lead", "cli:bob")
    assert asked.status == "pending", asked.reasons
    twin = promobot(f"promote {ours} v2 production needs a lead", "cli:bob", via=setup_ours)
    assert twin.status == "pending", twin.reasons
    with proxy.recording() as by_promobot:
        done = promobot(f"approve {asked.request_id} lgtm", "cli:alice")
    assert done.status == "done", done.reasons
    with proxy.recording() as by_floor:
        floor.approve(twin.request_id, "cli:alice", "lgtm", now=NOW)
    same("approve")
    counts["approve"] = (len(by_promobot), len(by_floor))

    # status reads the same facts: holders (who, when) and the open requests
    promobot(f"promote {theirs} v1 production again", "cli:bob", via=setup_theirs)
    promobot(f"promote {ours} v1 production again", "cli:bob", via=setup_ours)
    with proxy.recording() as by_promobot:
        shown = promobot(f"status {theirs}", "cli:bob")
    with proxy.recording() as by_floor:
        facts = floor.status(ours, NOW)
    assert [
        (h.target, (h.version, h.promoted_at, h.promoted_by, h.approved_by)) for h in shown.holders
    ] == facts["holders"]
    assert [(p.version, p.target, p.approvals) for p in shown.pending] == [
        (version, target, approvals) for _, version, target, approvals in facts["pending"]
    ]
    assert facts["pending"], "status should have an open request to show"
    counts["status"] = (len(by_promobot), len(by_floor))

    for command, (theirs_n, ours_n) in counts.items():
        assert isinstance(theirs_n, int) and theirs_n > 0, command
        assert isinstance(ours_n, int) and ours_n > 0, command
    assert all(c.call.split()[0] in {"GET", "POST", "PATCH", "DELETE"} for c in by_floor)


def test_the_drift_part_finds_the_planted_drift_and_counts_its_calls(mlflow_server: Any) -> None:
    from dataclasses import replace

    from mlflow import MlflowClient

    from bench import drift_bench
    from bench.registry_bench import BenchError
    from bot.adapters.mlflow.gateway import Registry
    from bot.core.commands import parse
    from bot.core.policy import load_policy
    from bot.core.service import Context, Service

    client = MlflowClient(tracking_uri=mlflow_server.url)
    name = f"bench-drift-{uuid.uuid4().hex[:8]}"
    experiment = client.create_experiment(name)
    client.create_registered_model(name)
    for metrics in METRICS[:2]:
        run = client.create_run(experiment)
        for key, value in metrics.items():
            client.log_metric(run.info.run_id, key, value)
        client.create_model_version(name, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    policy = load_policy(paths.POLICY)
    service = Service(Registry(mlflow_server.url), policy)
    parsed = parse(f"promote {name} v1 @champion recorded")
    assert parsed.command is not None
    assert service.handle(parsed.command, Context(actor="cli:alice")).status == "done"
    subject = drift_bench.Subject("small", mlflow_server.url, name, "champion", 1, 2)

    part = drift_bench.run({"small": subject}, policy, repeats=1, progress=lambda _: None)

    # Only reads of the model by name (a loaded server may make the client retry one);
    # the audit of every model first lists them (MLflow's client filters prompts out).
    calls = part["rest_calls"]["small"]
    one_read = {"GET registered-models/search [name =]"}
    assert set(calls["status"]["calls"]) == one_read
    assert set(calls["audit model"]["calls"]) == one_read
    listing, *reads = calls["audit"]["calls"]
    assert listing == "GET registered-models/search [name LIKE]"  # by the policy's names
    assert reads and set(reads) == one_read
    assert part["timings"]["status"]["small"]["runs"] == 1
    assert part["timings"]["status"]["over_floor"]["small"] > 0
    assert part["detection"]["small"]["versions_in_the_read"] == 1  # v1 and v2 are in None
    assert ("drift: calls that list versions", 0, "0", True) in drift_bench.targets(part)
    # put back afterwards, and a run that finds no drift stops the part
    assert service.drift_scan.scan([name]).findings == []
    with pytest.raises(BenchError, match="expected"):
        drift_bench.run({"small": replace(subject, other=1)}, policy, 1, lambda _: None)
