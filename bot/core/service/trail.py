"""The audit trail for auditors (`promobot audit export`): every record promobot keeps,
across the governed models (or those given), oldest first, from the registry alone.

Streamed, and in order across models: each model is read once (one call: its tags come
with it; no version is listed), with its ledger's pages when it has one (what compaction
moved there, bot/core/service/archive.py), one after another, and its records are built and sorted
from that read (bot/core/state/trail.py). The per-model streams are then merged lazily
(`heapq.merge`), so each record is handed out as the merge reaches it and nothing but
the models' own records is held; no output is assembled. (The first record of all can
only be known once every model's first record is, so every model is read before the
first record comes out.)
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from datetime import datetime

from bot.core.service import archive
from bot.core.service.common import Deps
from bot.core.service.drift_scan import DriftScan
from bot.core.state.trail import EVENTS, FIELDS, TrailRecord, trail

__all__ = ["EVENTS", "FIELDS", "Export", "Trail", "TrailRecord"]


class Trail:
    """The records of some models, produced as they are iterated. `unknown` lists the
    names given that MLflow does not have, complete once the first record is out (or
    the iteration is over)."""

    def __init__(self, deps: Deps, names: Sequence[str], since: datetime | None) -> None:
        self.deps = deps
        self.names = list(dict.fromkeys(names))
        self.since = since
        self.unknown: list[str] = []
        self.models_read = 0

    def __iter__(self) -> Iterator[TrailRecord]:
        streams = [self._model(name) for name in self.names]
        return heapq.merge(*streams, key=lambda r: r.sort_key)

    def _model(self, name: str) -> Iterator[TrailRecord]:
        info = self.deps.registry.get_model(name)
        if info is None:
            self.unknown.append(name)
            return
        self.models_read += 1
        tags = archive.merged(self.deps.registry, info).tags  # and what moved to its ledger
        for record in trail(name, tags, self.deps.policy.display):
            if self.since is None or (record.at is not None and record.at >= self.since):
                yield record


class Export:
    def __init__(self, deps: Deps, drift_scan: DriftScan) -> None:
        self.deps = deps
        self.drift_scan = drift_scan

    def trail(self, models: Sequence[str] = (), since: datetime | None = None) -> Trail:
        """The records of the models given, or of every governed model; `since`: only
        those at or after it."""
        return Trail(self.deps, list(models) or self.drift_scan.governed(), since)
