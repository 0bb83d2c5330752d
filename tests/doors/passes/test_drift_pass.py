"""The audit pass of `promobot serve` (bot/doors/passes/drift_pass.py) on a real SQLite registry: a
stage moved outside promobot (MLflow sends no webhook for it) is found by the pass and
reported once, however many passes run at once."""

from __future__ import annotations

import threading
import time

from service_helpers import M, to_production

from bot.core import events, state
from bot.doors.passes.drift_pass import DriftPass


class Published:
    def __init__(self) -> None:
        self.events: list[events.Event] = []
        self.lock = threading.Lock()

    def notify(self, event: events.Event) -> None:
        with self.lock:
            self.events.append(event)


def test_two_passes_report_a_raw_stage_move_once(service_factory, models, two_versions) -> None:
    v1, v2 = two_versions
    replicas = [service_factory(), service_factory()]
    assert to_production(replicas[0], v1).status == "done"
    published = Published()
    for replica in replicas:
        replica.events.subscribe(published, (events.DRIFT_FOUND,))
    models.client.transition_model_version_stage(M, str(v2), "Production")

    passes = [DriftPass(lambda r=replica: r, 0.2) for replica in replicas]
    for audit in passes:
        audit.start()
    deadline = time.monotonic() + 30
    while state.drift_key("production") not in models.model_tags(M):
        assert time.monotonic() < deadline, "no pass reported the drift"
        time.sleep(0.1)
    time.sleep(1.0)  # a few more passes of each
    for audit in passes:
        audit.stop()
        audit.join(timeout=10)

    assert [e.result.model for e in published.events] == [M]
    kinds = [f.kind for f in published.events[0].result.drift]
    assert kinds == ["outside", "mirror"]
    assert models.model_tags(M)[state.drift_key("production")].startswith(f"outside:{v2}:{v1}:")
