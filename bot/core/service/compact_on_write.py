"""Compacting on write: an execution that finds its model grown past COMPACT_AT of
promobot's tags compacts it (bot/core/service/archive.py), so a model stays bounded
without `promobot compact` or serve's audit pass (a CLI- or Actions-only team has
neither running).

The compaction runs on a thread of its own, after the execution's outcome is written: the
command answers as soon as it would have, and the compaction holds no target's mutex
(it moves only finished records, so it needs none); only the model's compaction lock,
and a model another run is compacting is left to that run. A failed compaction is logged and
forgotten: nothing was lost (the move is copy, mark, delete), and the next execution or
pass finishes it. The thread is a daemon: a CLI run ends with its answer, never waiting
for the compaction (a first one through MLflow's server takes minutes on a long
history), and a compaction cut short by the exit is finished by the next one, as after
a crash. One compaction per model per process at a time.
"""

from __future__ import annotations

import logging
import threading

from bot.core.ports.registry import ModelInfo, Registry, RegistryError
from bot.core.service.archive import COMPACT_AT, compact, own_tags

log = logging.getLogger("promobot.compact")


class Compactor:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._lock = threading.Lock()
        self._running: dict[str, threading.Thread] = {}

    def after_write(self, info: ModelInfo) -> bool:
        """`info`: the model as the execution read it. Starts a compaction when it holds
        more than COMPACT_AT of promobot's tags (a count of what came with the read: no
        MLflow call); whether one started."""
        if own_tags(info.tags) <= COMPACT_AT:
            return False
        with self._lock:
            if info.name in self._running:
                return False
            thread = threading.Thread(
                target=self._run,
                args=(info.name,),
                name=f"promobot-compact-{info.name}",
                daemon=True,
            )
            self._running[info.name] = thread
        thread.start()
        return True

    def _run(self, model: str) -> None:
        try:
            done = compact(self.registry, model)
            if done.moved:
                log.info("compacted %s: %d records moved to its ledger", model, done.moved)
        except RegistryError as exc:
            log.warning("compacting %s failed (the next write or pass finishes it): %s", model, exc)
        finally:
            with self._lock:
                self._running.pop(model, None)

    def wait(self, timeout: float | None = None) -> None:
        """Until the compactions under way have ended (tests; a door that must not leave
        work behind)."""
        with self._lock:
            threads = list(self._running.values())
        for thread in threads:
            thread.join(timeout)
