"""A fault-injecting HTTP proxy on 127.0.0.1, in front of a real `mlflow server`.

It forwards every request unchanged and counts them, so a test can hit "the middle"
of a command deterministically: `fault_at(n, action)` runs `action` (SIGKILL or
SIGSTOP the server's process group, say) just before the n-th request from now is
forwarded. That request then meets the fault as the client would: a refused
connection from a dead server, or no answer from a stopped one.

    proxy = FaultProxy(server.url).start()
    proxy.fault_at(5, server.kill)          # the 5th request hits a dead server
    ... run a command against proxy.url ...
    proxy.paths                              # what the command asked, in order
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from slow_proxy import ForwardingProxy


class FaultProxy(ForwardingProxy):
    name = "fault-proxy"

    def __init__(self, upstream: str, *, timeout: float = 120.0) -> None:
        super().__init__(upstream, timeout=timeout)
        self.count = 0
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self._trigger: tuple[int, Callable[[], None]] | None = None
        self._on_path: list[Any] | None = None
        self.faulted_at: str | None = None

    def fault_at(self, n: int, action: Callable[[], None]) -> None:
        """Run `action` just before forwarding the n-th request counted from now."""
        with self._lock:
            self._trigger = (self.count + n, action)

    def fault_on(self, path_part: str, action: Callable[[], None], occurrence: int = 1) -> None:
        """Run `action` just before forwarding the `occurrence`-th request (from now) whose
        method and path contain `path_part`, e.g. "transition-stage"."""
        with self._lock:
            self._on_path = [path_part, occurrence, action]

    def reset(self) -> None:
        with self._lock:
            self.count = 0
            self.paths = []
            self._trigger = None
            self._on_path = None
            self.faulted_at = None

    def before(self, req: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.count += 1
            self.paths.append(f"{req.command} {req.path.split('?')[0]}")
            action = None
            if self._trigger is not None and self.count >= self._trigger[0]:
                action = self._trigger[1]
                self._trigger = None
            elif self._on_path is not None and self._on_path[0] in self.paths[-1]:
                self._on_path[1] -= 1
                if self._on_path[1] <= 0:
                    action = self._on_path[2]
                    self._on_path = None
            if action is not None:
                self.faulted_at = self.paths[-1]
        if action is not None:
            action()

    def upstream_failed(self, req: BaseHTTPRequestHandler, exc: OSError) -> None:
        # The server is gone or silent: the client sees its connection dropped, as it
        # would with no proxy in between (a 502 would instead be retried as a status).
        req.close_connection = True
        with contextlib.suppress(OSError):
            req.connection.shutdown(2)
