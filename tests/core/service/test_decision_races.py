"""One outcome per request (bot/core/service/requests.py): a denial, an expiry and the
approval that carries a request out take turns under the target's lock and decide from a
read made under it, against a real SQLite MLflow registry. The interleavings the security
review reproduced are forced here with gates on the real registry's writes: a command
stops at a chosen write until the other one has either reached the lock or finished."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from service_helpers import M, run
from state_facts import unfinished

from bot.adapters.mlflow.gateway import Registry
from bot.core.results import Result
from bot.core.service import Service


class Gate:
    """The real registry, with one pause: the first write of a tag `stop_at` picks waits
    until `go` is set. `locking` is set when the command asks for a target's lock,
    `holding` while it holds one."""

    def __init__(self, real: Registry, stop_at: Callable[[str], bool] = lambda key: False):
        self.real = real
        self.stop_at = stop_at
        self.stopped = threading.Event()
        self.go = threading.Event()
        self.locking = threading.Event()
        self.holding = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def set_model_tag(self, model: str, key: str, value: str) -> None:
        if self.stop_at(key) and not self.go.is_set():
            self.stopped.set()
            assert self.go.wait(120), "the gate was never opened"
        self.real.set_model_tag(model, key, value)

    @contextmanager
    def mutex(self, bucket: str, model: str, target_key: str) -> Iterator[str]:
        self.locking.set()
        with self.real.mutex(bucket, model, target_key) as owner:
            self.holding.set()
            try:
                yield owner
            finally:
                self.holding.clear()


def gated(service: Service, tracking_uri: str, stop_at: Callable[[str], bool]) -> Service:
    """Another replica: its own client on the same registry, with a gate."""
    return Service(
        Gate(Registry(tracking_uri), stop_at),  # type: ignore[arg-type]
        service.policy,
        clock=service.deps.clock,
    )


def in_thread(results: dict[str, Result], name: str, service: Service, actor: str, text: str):
    def work() -> None:
        results[name] = run(service, actor, text)

    thread = threading.Thread(target=work, name=name)
    thread.start()
    return thread


def until(condition: Callable[[], bool]) -> None:
    """Wait for the other command to reach a point (not a timed assertion: it only
    bounds a wait that ends as soon as the condition holds)."""
    for _ in range(2400):
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("the other command never got there")


@pytest.fixture
def pending(service, models) -> str:
    v1 = models.version(M, accuracy=0.91, f1=0.874)
    run(service, "slack:U01BOB", f"promote {M} v{v1} staging candidate")
    asked = run(service, "slack:U01BOB", f"promote {M} v{v1} production shadow ok")
    assert asked.status == "pending", asked.reasons
    return str(asked.request_id)


def trail_of(service: Service, request_id: str) -> list[str]:
    return [r.event for r in service.export.trail([M]) if r.request == request_id]


def state_of(models, request_id: str) -> str:
    import json

    return json.loads(models.model_tags(M)[f"mlflow.promobot.request.{request_id}.state"])["state"]


def test_a_denial_while_the_last_approval_executes_is_told_it_was_carried_out(
    service, models, tracking_uri, pending
):
    """The review's first order: the denial used to answer "denied… Nothing was
    promoted" while v1 went to Production and `done` overwrote the denial."""
    approver = gated(service, tracking_uri, lambda key: ".event." in key)
    denier = gated(service, tracking_uri, lambda key: False)
    results: dict[str, Result] = {}
    approving = in_thread(results, "approve", approver, "github:alice", f"approve {pending}")
    until(approver.registry.stopped.is_set)  # it holds the lock, its execution begun
    denying = in_thread(results, "deny", denier, "github:erin", f"deny {pending} not now")
    # The denial waits for the lock the approval holds (or, taking none, has finished).
    until(lambda: not denying.is_alive() or denier.registry.locking.is_set())
    approver.registry.go.set()
    approving.join()
    denying.join()

    assert results["approve"].status == "done" and not results["approve"].already
    assert results["deny"].already
    assert results["deny"].message == (
        f"{pending} was already carried out by alice@example.com; nothing changed."
    )
    assert models.stage(M, 1) == "Production"
    assert state_of(models, pending) == "done"
    assert trail_of(service, pending) == ["request", "approval", "promotion"]


def test_an_approval_while_a_denial_is_written_is_told_it_was_denied(
    service, models, tracking_uri, pending
):
    """The other order: the state said `denied` while the version was promoted."""
    denier = gated(service, tracking_uri, lambda key: key.endswith(".state"))
    approver = gated(service, tracking_uri, lambda key: False)
    results: dict[str, Result] = {}
    denying = in_thread(results, "deny", denier, "github:erin", f"deny {pending} not now")
    until(denier.registry.stopped.is_set)  # decided to deny, about to write it
    approving = in_thread(results, "approve", approver, "github:alice", f"approve {pending}")
    # The approval waits for the lock the denial holds (or, when the denial holds none,
    # has finished).
    until(
        lambda: (
            not approving.is_alive()
            or (approver.registry.locking.is_set() and denier.registry.holding.is_set())
        )
    )
    denier.registry.go.set()
    denying.join()
    approving.join()

    assert results["deny"].status == "done" and "denied by" in results["deny"].message
    assert results["approve"].status == "refused"
    assert results["approve"].reasons == (f"{pending} was denied by erin@example.com: not now.",)
    assert models.stage(M, 1) == "Staging"
    assert state_of(models, pending) == "denied"
    assert trail_of(service, pending) == ["request", "denial"]


def test_the_sweep_expiring_a_request_while_its_last_approval_executes_waits(
    service, models, tracking_uri, pending, clock
):
    """The review's "same gap" in the sweeper: an approval given in time is carried out
    while the request's time runs out; the sweep waits for the target's lock, reads
    again, and finds it carried out, not expired."""
    service.remember_message(M, pending, "slack", {"channel": "C1", "ts": "1.0"})
    approver = gated(service, tracking_uri, lambda key: ".event." in key)
    sweeper = gated(service, tracking_uri, lambda key: False)
    results: dict[str, Result] = {}
    approving = in_thread(results, "approve", approver, "github:alice", f"approve {pending}")
    until(approver.registry.stopped.is_set)  # decided in time, its execution begun
    clock.advance(hours=25)  # and now the request's time is up
    sweeping = threading.Thread(target=lambda: sweeper.sweep("slack"))
    sweeping.start()
    until(lambda: not sweeping.is_alive() or sweeper.registry.locking.is_set())
    approver.registry.go.set()
    approving.join()
    sweeping.join()

    assert results["approve"].status == "done" and not results["approve"].already
    assert state_of(models, pending) == "done"
    assert models.stage(M, 1) == "Production"
    assert trail_of(service, pending) == ["request", "approval", "promotion"]


def killed_in_the_middle(service: Service, monkeypatch: Any, actor: str, text: str) -> None:
    """Run `text`, the process dying as it writes the description: the version has
    moved, the request has no outcome yet (an execution cut short)."""
    registry = service.registry

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("process killed")

    monkeypatch.setattr(registry, "append_description", crash)
    with pytest.raises(RuntimeError):
        run(service, actor, text)
    monkeypatch.undo()


def test_a_denial_finishes_an_execution_cut_short_instead_of_denying_it(
    service, models, monkeypatch, pending
):
    killed_in_the_middle(service, monkeypatch, "github:alice", f"approve {pending}")
    assert unfinished(models.model_tags(M)) and models.stage(M, 1) == "Production"

    denied = run(service, "github:erin", f"deny {pending} too late")

    assert denied.already and "already carried out" in denied.message
    assert state_of(models, pending) == "done"
    assert models.description(M, 1).count("→ Production") == 1
    assert trail_of(service, pending) == ["request", "approval", "promotion"]


def test_the_sweep_finishes_an_execution_cut_short_instead_of_expiring_it(
    service, models, monkeypatch, pending, clock
):
    service.remember_message(M, pending, "slack", {"channel": "C1", "ts": "1.0"})
    killed_in_the_middle(service, monkeypatch, "github:alice", f"approve {pending}")
    clock.advance(hours=25)

    service.sweep("slack")

    assert state_of(models, pending) == "done"
    assert models.stage(M, 1) == "Production"
    assert models.description(M, 1).count("→ Production") == 1
    assert trail_of(service, pending) == ["request", "approval", "promotion"]


def test_an_execution_of_a_request_closed_meanwhile_moves_nothing(service, models, pending):
    """The executor's own guard: a request denied (or expired, or failed) before the
    execution got the lock stays as it ended."""
    from bot.core import state
    from bot.core.results import Action, MoveResult
    from bot.core.service.execution import Execution
    from bot.core.service.proposal import Reads

    assert run(service, "github:erin", f"deny {pending} no").status == "done"
    before = models.snapshot(M)
    req = state.request(models.model_tags(M), pending)
    assert req is not None
    reads = Reads(service.registry)
    base = MoveResult(status="refused", action=Action.APPROVE, request_id=pending)

    executor = service.requests.executor  # the facade's own
    result = executor.execute(Execution(req, ["github:alice"], reads), base, None)

    assert result.status == "refused"
    assert result.reasons == (f"{pending} was denied by erin@example.com; nothing moved.",)
    assert models.snapshot(M) == before
