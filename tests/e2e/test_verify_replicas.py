"""Two real `promobot serve` replicas verify the same promotions on one real `mlflow
server`, against a real Prometheus (1 s scrapes of an exporter the test controls): a bad
version is rolled back exactly once, and a good one passed exactly once.

Each replica runs the verification pass on its own every PROMOBOT_VERIFY_SECONDS. The
interval here (0.25 s) is far shorter than the policy's `every` (1 s), so both replicas
find the same run due within a fraction of a second of each other and race for the
target's lock; the one that takes it second must find the run done and do nothing.
The promotions are made by the core in this process, on the same server, as the CLI
would make them; Slack is faked at the HTTP level, and hears of the rollback once.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, ModelFactory
from fake_slack import FakeSlack
from servers import PromobotServe, promobot_env

from bot.adapters.mlflow.gateway import Registry
from bot.core import state
from bot.core.commands import parse
from bot.core.policy import load_policy
from bot.core.service import Context, Service
from bot.core.state.watch import watches

pytestmark = pytest.mark.server

POLICY = FIXTURES / "verify_policy.yaml"  # watch-*: every 1s, failures 3, for 4s, rollback
CHANNEL = "C0VERIFY"
BOB = Context(actor="cli:bob")
WAIT = 60.0  # generous: only a broken pass takes this long; nothing is timed


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


@pytest.fixture
def replicas(
    mlflow_server: Any, prometheus: Any, fake: FakeSlack, tmp_path: Path
) -> Iterator[list[PromobotServe]]:
    """Two `promobot serve` processes on the session's MLflow server and Prometheus,
    launched side by side; only their verification pass runs (no sweep, no audit)."""
    env = promobot_env(
        {
            "MLFLOW_TRACKING_URI": mlflow_server.url,
            "PROMOBOT_POLICY": str(POLICY),
            "PROMOBOT_PROMETHEUS_URL": prometheus.url,
            "PROMOBOT_PROMETHEUS_TIMEOUT_SECONDS": "2",
            "PROMOBOT_VERIFY_SECONDS": "0.25",
            "PROMOBOT_SWEEP_SECONDS": "0",
            "PROMOBOT_AUDIT_SECONDS": "0",
            "SLACK_SIGNING_SECRET": "slack-signing-secret",
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_API_URL": fake.api_url,
            "PROMOBOT_SLACK_CHANNEL": CHANNEL,
        }
    )
    serves = [PromobotServe(env, tmp_path / f"replica-{n}") for n in (1, 2)]
    try:
        for serve in serves:
            serve.launch()  # the test sets its scene while they boot, then waits: ready()
        yield serves
    finally:
        side_by_side([serve.stop for serve in serves])


def side_by_side(calls: list[Callable[[], object]]) -> None:
    """Run each call in its own thread (a start or a stop takes seconds); re-raise the
    first error."""
    errors: list[BaseException] = []

    def run(call: Callable[[], object]) -> None:
        try:
            call()
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def until(what: str, done: Callable[[], bool], serves: list[PromobotServe]) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.2)
    logs = "\n".join(serve.log()[-3000:] for serve in serves)
    raise AssertionError(f"the replicas never got to: {what}\n{logs}")


def outcome_lines(serves: list[PromobotServe], text: str) -> list[str]:
    """Each replica's log lines of a verification outcome (VerifyPass logs every one that
    is not `running`)."""
    return [line for serve in serves for line in serve.log().splitlines() if text in line]


def test_two_serve_replicas_roll_back_once_and_pass_once(
    mlflow_server: Any,
    prometheus: Any,
    exporter: Any,
    fake: FakeSlack,
    replicas: list[PromobotServe],
    tmp_path: Path,
) -> None:
    name = f"watch-replicas-{uuid.uuid4().hex[:8]}"
    models = ModelFactory(mlflow_server.url, tmp_path / "artifacts")
    for _ in range(3):
        models.version(name, accuracy=0.9)
    exporter.set(name, 1, error_rate=0.001)
    exporter.set(name, 2, error_rate=0.09)
    exporter.set(name, 3, error_rate=0.001)
    prometheus.wait_for(f'model_error_rate{{model="{name}",version="2"}}', 0.09)
    prometheus.wait_for(f'model_error_rate{{model="{name}",version="3"}}', 0.001)
    core = Service(Registry(mlflow_server.url), load_policy(POLICY))

    def do(text: str) -> Any:
        return core.handle(parse(text).command, BOB)  # type: ignore[union-attr]

    assert do(f"promote {name} v1 production first").status == "done"
    assert do(f"promote {name} v2 production next").status == "done"
    assert models.tags(name, 2)["verification"] == "running"
    side_by_side([serve.ready for serve in replicas])

    # The bad v2: rolled back to v1 by one of the replicas (the failed tag is written
    # after the rollback is in place).
    until(f"{name} v2 failed", lambda: models.tags(name, 2)["verification"] == "failed", replicas)
    assert models.stage(name, 1) == "Production"
    assert models.aliases(name)["production"] == 1
    assert models.stage(name, 2) == "Archived"

    # The good v3, promoted next: passed after `for` by one of the replicas. The passes
    # it takes are also the passes in which a second rollback would have shown.
    assert do(f"promote {name} v3 production fixed").status == "done"
    until(
        f"{name} v3 passed", lambda: models.tags(name, 3).get("verification") == "passed", replicas
    )
    time.sleep(1.5)  # six more passes of each replica: none may act again

    assert all(serve.proc is not None and serve.proc.poll() is None for serve in replicas)
    history = do(f"history {name} --limit 50").history
    rollbacks = [h for h in history if h.kind == "rollback"]
    assert len(rollbacks) == 1, rollbacks
    [rollback] = rollbacks
    assert (rollback.by, rollback.version, rollback.previous) == ("promobot", 1, 2)
    assert (
        rollback.reason
        == "rollback: verification failed: error rate 0.09 (pass < 0.02), 3 checks in a row"
    )
    assert sorted(h.version for h in history if h.kind == "promote") == [1, 2, 3]
    outcomes = sorted((h.version, h.kind) for h in history if h.kind.startswith("verification:"))
    # v1 watched twice (after its promotion, and after the rollback put it back), each
    # ended by the next promotion; v2 failed once; v3 passed once.
    assert outcomes == [
        (1, "verification:ended"),
        (1, "verification:ended"),
        (2, "verification:failed"),
        (3, "verification:passed"),
    ]
    assert models.stage(name, 3) == "Production"
    assert models.tags(name, 3)["verified_at"]
    assert models.tags(name, 1)["verification"] == "ended"
    # Caught at the first moment it could be: the failing run was run `failures` (3),
    # one `every` apart; and v3 passed no sooner than `for` (4 s) after it took the target.
    watched = {w.version: w for w in watches(models.model_tags(name))}
    assert (watched[2].state, watched[2].runs) == ("failed", 3)
    passed_at = state.parse_time(models.tags(name, 3)["verified_at"])
    assert passed_at >= watched[3].started + timedelta(seconds=4)

    # Acted on once: one replica logged each outcome, and the model's channel heard of
    # one rollback, one failure and one pass (the promotions were made by this process).
    assert len(outcome_lines(replicas, f"verification failed: {name} v2 ")) == 1
    assert len(outcome_lines(replicas, f"verification passed: {name} v3 ")) == 1
    posts = [c for c in fake.calls if c.method == "chat.postMessage" and name in c.text]
    heads = sorted(p.text.splitlines()[0] for p in posts)
    assert heads == sorted(
        [
            f"⏪ {name} v1 → Production rolled back (v2 moved out)",
            f"❌ {name} v2 on Production failed verification: promobot rolled it back to v1",
            f"✅ {name} v3 on Production passed verification",
        ]
    ), [p.text for p in posts]
    assert {p.body["channel"] for p in posts} == {CHANNEL}
    assert all("verification failed: error rate 0.09" in p.text for p in posts[:2])
