"""The latency part's harness works: its link serves calls at once, and one short run of
promote and approve through it gives every figure. No timings are asserted."""

from __future__ import annotations

import http.client
import threading
import uuid
from typing import Any

import pytest

from bench import paths
from bench.latency_bench import LinkProxy, Settings, lines, measure, targets
from bench.seed import METRICS, TINY, Seeded

pytestmark = pytest.mark.server


class BarrierLink(LinkProxy):
    """A link whose every request waits for `parties` requests to be in it at once:
    a proxy that served one request at a time would break the barrier."""

    def __init__(self, upstream: str, parties: int) -> None:
        super().__init__(upstream, delay_ms=1)
        self.barrier = threading.Barrier(parties, timeout=20)
        self.broken = False

    def before(self, req: Any) -> None:
        try:
            self.barrier.wait()
        except threading.BrokenBarrierError:
            self.broken = True
        super().before(req)


def test_the_link_holds_calls_made_at_once_at_once(mlflow_server: Any) -> None:
    with BarrierLink(mlflow_server.url, parties=4) as link:
        host, port = link.url.removeprefix("http://").split(":")
        statuses: list[int] = []

        def get() -> None:
            conn = http.client.HTTPConnection(host, int(port), timeout=60)
            conn.request("GET", "/health")
            statuses.append(conn.getresponse().status)
            conn.close()

        with link.recording() as calls:
            threads = [threading.Thread(target=get) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    assert statuses == [200] * 4 and not link.broken
    assert [c.call for c in calls] == ["GET /health"] * 4
    assert all(c.start <= c.end for c in calls)


def seeded_model(url: str) -> Seeded:
    """A model shaped like the benchmark's (bench/seed.py): four versions with runs,
    D in Production, A in Staging, B and C archived, the holders recorded by promobot."""
    from mlflow import MlflowClient

    from bot.adapters.mlflow.gateway import Registry
    from bot.core.commands import parse
    from bot.core.policy import load_policy
    from bot.core.service import Context, Service

    client = MlflowClient(tracking_uri=url)
    name = f"bench-latency-{uuid.uuid4().hex[:8]}"
    experiment = client.create_experiment(name)
    client.create_registered_model(name)
    roles: dict[str, int] = {}
    for role, metrics in METRICS.items():
        run_id = client.create_run(experiment).info.run_id
        for key, value in metrics.items():
            client.log_metric(run_id, key, value)
        mv = client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
        roles[role] = int(mv.version)
    for role, stage in (("D", "Production"), ("A", "Staging"), ("B", "Archived")):
        client.transition_model_version_stage(name, str(roles[role]), stage)
    client.transition_model_version_stage(name, str(roles["C"]), "Archived")
    service = Service(Registry(url), load_policy(paths.POLICY))

    def run(text: str, actor: str) -> Any:
        parsed = parse(text)
        assert parsed.command is not None, parsed.reply
        return service.handle(parsed.command, Context(actor=actor))

    assert run(f"promote {name} v{roles['A']} staging adopted", "cli:bob").status == "done"
    asked = run(f"promote {name} v{roles['D']} production adopted", "cli:bob")
    assert run(f"approve {asked.request_id} ok", "cli:alice").status == "done"
    return Seeded(TINY, name, roles)


def test_one_short_run_gives_every_figure(mlflow_server: Any) -> None:
    from bench.env import Registry as Reg
    from bot.core.policy import load_policy

    reg = Reg("sqlite", TINY, "", seeded_model(mlflow_server.url), mlflow_server)
    # rollback makes the calls promote makes (its set-up alone is a promotion): left out
    commands = ("promote", "approve")
    settings = Settings(repeats=1, delay_ms=2, commands=commands, warmups=1)

    part = measure(reg, load_policy(paths.POLICY), settings, progress=lambda _: None)

    assert tuple(part["commands"]) == commands
    for command, entry in part["commands"].items():
        for contender in ("promobot", "floor"):
            figures = entry[contender]
            assert figures["calls"] > 0 and figures["calls_at_0_ms"] > 0, (command, contender)
            assert 1 <= figures["in_a_row"] <= figures["calls"], (command, contender)
            assert 1 <= figures["most_in_flight"] <= figures["calls"], (command, contender)
            assert len(figures["timeline"]) == figures["calls"], (command, contender)
        # the path names every call promobot makes, or it is out of date
        assert entry["unlisted_calls"] == {}, command
        assert entry["critical_path"] == (7 if command == "approve" else 8)
        assert entry["over_floor"] > 0
    assert part["link"]["concurrent"] == 4
    shown = lines({"delay_ms": 2, "repeats": 1, "backends": {"sqlite": part}})
    assert sum(line.startswith("  sqlite ") for line in shown) == len(commands)
    assert len(targets({"delay_ms": 2, "backends": {"sqlite": part}})) == 3 * len(commands)
