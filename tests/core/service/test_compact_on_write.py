"""Compacting on write (bot/core/service/compact_on_write.py), on a real SQLite registry:
an execution on a model grown past COMPACT_AT compacts it on a thread of its own; one
on a smaller model does not; a compaction that fails costs the command nothing."""

from __future__ import annotations

import logging

import pytest
from conftest import SERVICE_POLICY, Clock, ModelFactory
from service_helpers import M, run

from bench.history_seed import add_past_executions
from bot.adapters.mlflow.gateway import Registry
from bot.core.policy import load_policy
from bot.core.ports.registry import RegistryError
from bot.core.service import Service, archive
from bot.core.state import compaction
from bot.core.state.keys import ledger_mark


def _grown(service: Service, models: ModelFactory, uri: str, past: int) -> int:
    """M with one staging promotion of its own and `past` more cloned before it; the
    version the next promotion moves in."""
    first, second = (models.version(M, accuracy=0.9, f1=0.9) for _ in range(2))
    assert run(service, "slack:U01BOB", f"promote {M} v{first} staging first").status == "done"
    add_past_executions(uri, M, past)
    return second


def test_an_execution_on_a_grown_model_compacts_it(
    service: Service, models: ModelFactory, tracking_uri: str
) -> None:
    version = _grown(service, models, tracking_uri, past=300)
    assert archive.own_tags(models.model_tags(M)) > archive.COMPACT_AT
    history = run(service, "cli", f"history {M} --limit 5").to_json()

    done = run(service, "slack:U01BOB", f"promote {M} v{version} staging next")
    service.compactor.wait()

    assert done.status == "done"
    tags = models.model_tags(M)
    assert ledger_mark(tags) is not None
    assert archive.own_tags(tags) <= compaction.bound(0, targets=1, approvals=1) + 2
    # The newest execution stays on the model; the history reads through the ledger.
    after = run(service, "cli", f"history {M} --limit 6").to_json()
    assert after["data"]["history"][1:] == history["data"]["history"]
    assert after["data"]["history"][0]["request_id"] == done.request_id


def test_an_execution_on_a_small_model_does_not_compact(
    service: Service, models: ModelFactory, tracking_uri: str
) -> None:
    version = _grown(service, models, tracking_uri, past=20)
    assert run(service, "slack:U01BOB", f"promote {M} v{version} staging next").status == "done"
    service.compactor.wait()
    assert ledger_mark(models.model_tags(M)) is None


class NoLedger(Registry):
    """The real gateway, whose ledger MLflow refuses to write."""

    def append_ledger(self, model: str, records: dict[str, str]) -> None:
        raise RegistryError("MLflow refused to write the ledger")


def test_a_failed_compaction_costs_the_command_nothing(
    models: ModelFactory, tracking_uri: str, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    service = Service(NoLedger(tracking_uri), load_policy(SERVICE_POLICY), clock=clock)
    version = _grown(service, models, tracking_uri, past=300)
    before = len(models.model_tags(M))

    with caplog.at_level(logging.WARNING, logger="promobot.compact"):
        done = run(service, "slack:U01BOB", f"promote {M} v{version} staging next")
        service.compactor.wait()

    assert done.status == "done"
    assert "compacting sentiment-classifier failed" in caplog.text
    assert len(models.model_tags(M)) > before  # nothing moved; the new execution is there
