"""Count MLflow REST calls at the HTTP level: a recording reverse proxy.

The proxy (tests/slow_proxy.py's SlowProxy, with a recorder) sits between a client and
the real `mlflow server`; every request that crosses it is recorded as
`METHOD /path` in order. Nothing is mocked: the client is a real MlflowClient (inside
promobot's Registry, or the raw floor) talking HTTP.

    with CountingProxy(server.url) as proxy:
        with proxy.recording() as calls:
            service.handle(command, ctx)          # Registry(proxy.url)
        print(len(calls), calls)

The proxy is only used to count; timings are taken against the server directly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

from bench import paths

paths.add_tests()

from slow_proxy import SlowProxy  # noqa: E402  (tests/slow_proxy.py)

_PREFIXES = ("/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/", "/api/3.0/mlflow/")


def short_path(path: str) -> str:
    """`/api/2.0/mlflow/registered-models/get?name=x` → `registered-models/get`."""
    bare = urlsplit(path).path
    for prefix in _PREFIXES:
        if bare.startswith(prefix):
            return bare[len(prefix) :]
    return bare


@dataclass(frozen=True)
class Call:
    call: str  # "GET registered-models/get"
    ms: float  # the upstream's answer time, as the proxy saw it (with any delay it added)
    # When the proxy received the request and when it began to answer (perf_counter
    # seconds): which calls overlapped in time (bench/latency_bench.py).
    start: float = 0.0
    end: float = 0.0
    bytes: int = 0  # the answer's body, as read from the upstream


class CountingProxy(SlowProxy):
    """A SlowProxy that records every request as (method, path, query keys)."""

    def __init__(self, upstream: str, delay_ms: int = 0) -> None:
        super().__init__(upstream, delay_ms=delay_ms)
        self._recorders: list[list[Call]] = []
        self._rec_lock = threading.Lock()

    def _forward(self, req: BaseHTTPRequestHandler) -> None:
        # Held on the request's handler so _answer (same thread) can record the call.
        req.promobot_started = time.perf_counter()  # type: ignore[attr-defined]
        super()._forward(req)

    def _answer(  # type: ignore[override]
        self,
        req: BaseHTTPRequestHandler,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        payload: bytes,
    ) -> None:
        # Recorded before the answer is written: once the client has its answer it may
        # leave the recording block, and a call recorded after that would be lost.
        shown = f"{req.command} {short_path(req.path)}"
        # Searches are told apart by what they filter on (a tag, a name), not by values.
        filters = dict(parse_qsl(urlsplit(req.path).query)).get("filter", "")
        if filters:
            shown += f" [{_filter_shape(filters)}]"
        ended = time.perf_counter()
        started = getattr(req, "promobot_started", ended)
        took = round((ended - started) * 1000, 2)
        with self._rec_lock:
            for calls in self._recorders:
                calls.append(Call(shown, took, started, ended, len(payload)))
        super()._answer(req, status, reason, headers, payload)

    @contextmanager
    def recording(self) -> Iterator[list[Call]]:
        """Record the calls made while the block runs, in the order they were answered
        (one client at a time; concurrent calls of that client by their `end`)."""
        calls: list[Call] = []
        with self._rec_lock:
            self._recorders.append(calls)
        try:
            yield calls
        finally:
            with self._rec_lock:
                self._recorders.remove(calls)


def _filter_shape(text: str) -> str:
    """`tags.\\`mlflow.promobot.request.req-1a2b3c\\` LIKE '%'` → `tag
    mlflow.promobot.request.<id>` (a request made before the change of tag layout is looked
    for under `promobot.request.<id>` too)."""
    if "mlflow.promobot.request." in text:
        return "tag mlflow.promobot.request.<id>"
    if "promobot.request." in text:
        return "tag promobot.request.<id>"
    if text.strip().startswith("name") and " LIKE " in text.upper():
        return "name LIKE"  # a listing by the policy's names
    if text.strip().startswith("name"):
        return "name ="
    return "filter"
