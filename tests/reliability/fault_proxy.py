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
import http.client
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

# Hop-by-hop headers (RFC 9110 §7.6.1) belong to each connection, not to the message.
_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
}


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timed out) before a resumed server answered: expected.
        pass


class FaultProxy:
    def __init__(self, upstream: str, *, timeout: float = 120.0) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream must be an http:// URL, not {upstream!r}")
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.timeout = timeout
        self.count = 0
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self._trigger: tuple[int, Callable[[], None]] | None = None
        self._on_path: list[Any] | None = None
        self.faulted_at: str | None = None
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                proxy._forward(self)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, name="fault-proxy"
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

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

    def _forward(self, req: BaseHTTPRequestHandler) -> None:
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
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length) if length else None
        headers = {k: v for k, v in req.headers.items() if k.lower() not in _HOP}
        headers["Host"] = f"{self.upstream_host}:{self.upstream_port}"
        conn = http.client.HTTPConnection(
            self.upstream_host, self.upstream_port, timeout=self.timeout
        )
        try:
            conn.request(req.command, req.path, body=body, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            status, reason = resp.status, resp.reason
            answer = [(k, v) for k, v in resp.getheaders() if k.lower() not in _HOP]
        except OSError:
            # The server is gone or silent: the client sees its connection dropped, as it
            # would with no proxy in between (a 502 would instead be retried as a status).
            conn.close()
            req.close_connection = True
            with contextlib.suppress(OSError):
                req.connection.shutdown(2)
            return
        finally:
            conn.close()
        req.send_response(status, reason)
        for key, value in answer:
            req.send_header(key, value)
        req.send_header("Content-Length", str(len(payload)))
        req.end_headers()
        if req.command != "HEAD":
            req.wfile.write(payload)
