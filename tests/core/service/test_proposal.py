"""The reads of one command (bot/core/service/proposal.py) on a real SQLite registry: a
version comes from what came with the model, else is read once; a run's metrics are
read once, however often the command asks."""

from __future__ import annotations

from collections import Counter

from service_helpers import M

from bot.adapters.mlflow.gateway import Registry
from bot.core.ports.registry import VersionInfo
from bot.core.service.proposal import Reads


class Counted(Registry):
    """The real gateway, counting the reads a command makes through it."""

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        self.reads: Counter[str] = Counter()

    def get_version(self, model: str, version: int) -> VersionInfo | None:
        self.reads["get_version"] += 1
        return super().get_version(model, version)

    def run_metrics(self, run_id: str | None) -> dict[str, float]:
        self.reads["run_metrics"] += 1
        return super().run_metrics(run_id)


def test_each_version_and_run_is_read_at_most_once_per_command(tracking_uri, models) -> None:
    v1 = models.version(M, accuracy=0.91, f1=0.874)
    v2 = models.version(M, accuracy=0.93, f1=0.89)
    registry = Counted(tracking_uri)
    info = registry.get_model(M)
    assert info is not None and list(info.versions) == [v2]  # the latest of stage None
    reads = Reads(registry)

    came_with_the_model = reads.version(info, v2)
    first, again = reads.version(info, v1), reads.version(info, v1)
    assert came_with_the_model is not None and first is not None and first is again
    assert (came_with_the_model.version, first.version) == (v2, v1)
    assert reads.version(info, 99) is None and reads.version(info, 99) is None
    assert registry.reads["get_version"] == 2  # v1 once, v99 once

    assert reads.metrics(first) == {"accuracy": 0.91, "f1": 0.874}
    assert reads.metrics(first) == {"accuracy": 0.91, "f1": 0.874}
    assert reads.metrics(None) == {}
    assert registry.reads["run_metrics"] == 1
