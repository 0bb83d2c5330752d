"""Calls at once, and calls again when the store is busy: a part of the gateway
(bot/adapters/mlflow/gateway.py's Registry inherits AtOnce). It imports nothing of mlflow.

Between the bot and an MLflow server on another host every REST call costs a round
trip, so the calls made one after another, not the calls, set the time a person waits
(docs/performance.md, "Through a 20 ms link"). The use cases know which calls do not
depend on each other (bot/core/service/execution.py: the writes between the intent and the
outcome) and hand them over together; against a tracking server they go out at once.
A local store (a SQLite file or a database the process opens itself) has no round trip
to save, and SQLite takes one writer at a time, so there they run one after another.

A SQLite-backed server answers a write that found the database locked with 503
TEMPORARILY_UNAVAILABLE (PostgreSQL the same for a deadlock it broke): the write is
idempotent, so it is made again after a short pause, never reported as a failure.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

# Enough for every independent write of one execution in one round (up to ~25: a
# version rolled back in sheds 6 stale tags besides its 10 audit tags and the old
# holder's 3), and no more than the HTTP connections promobot asks MLflow's client to
# keep (CLIENT_DEFAULTS): with 16, the bench saw a second wave of 5 writes.
WORKERS = 32
BUSY_PAUSES_S = (0.1, 0.3, 0.9, 2.0)
_BUSY = ("database is locked", "deadlock detected", "too many 503 error responses")


def busy(exc: BaseException) -> bool:
    """The store refused for now (a locked SQLite file, a broken deadlock)."""
    if getattr(exc, "error_code", "") == "TEMPORARILY_UNAVAILABLE":
        return True
    text = str(exc).lower()
    return any(sign in text for sign in _BUSY)


def again_when_busy(call: Callable[[], Any], is_error: type[BaseException]) -> Any:
    """Run an idempotent call; while the store says it is busy, wait and run it again.
    `is_error`: the client's exception class (MlflowException), passed in by the gateway."""
    for pause in BUSY_PAUSES_S:
        try:
            return call()
        except is_error as exc:
            if not busy(exc):
                raise
        time.sleep(pause)
    return call()


def served(uri: str) -> bool:
    """Whether `uri` is a tracking server (HTTP), not a local store."""
    return uri.startswith(("http://", "https://"))


class AtOnce:
    """`at_once`: independent calls together, their results in order."""

    tracking_uri: str
    _registry_uri: str | None
    _pool_instance: ThreadPoolExecutor | None = None
    _pool_lock = threading.Lock()

    @property
    def remote(self) -> bool:
        """A tracking server (HTTP): the only kind of store where calls at once pay."""
        uris = (self.tracking_uri, self._registry_uri or self.tracking_uri)
        return all(served(uri) for uri in uris)

    def at_once(self, calls: Sequence[Callable[[], Any]]) -> list[Any]:
        """Run calls that do not depend on each other: at once against a server, else in
        order. Every call runs to its end even when another fails; then the first
        failure is raised (each call maps its own errors to a RegistryError)."""
        if len(calls) < 2 or not self.remote:
            return [call() for call in calls]
        futures = [self._pool().submit(call) for call in calls]
        return _results(futures)

    def _pool(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool_instance is None:
                self._pool_instance = ThreadPoolExecutor(
                    max_workers=WORKERS, thread_name_prefix="promobot-mlflow"
                )
            return self._pool_instance


def _results(futures: list[Future[Any]]) -> list[Any]:
    results: list[Any] = []
    first: BaseException | None = None
    for future in futures:
        try:
            results.append(future.result())
        except Exception as exc:
            results.append(None)
            first = first or exc
    if first is not None:
        raise first
    return results
