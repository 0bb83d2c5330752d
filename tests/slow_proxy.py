"""Tiny HTTP reverse proxies on 127.0.0.1, in front of a real server.

`ForwardingProxy` forwards every request (method, path, headers, body) to the upstream
server and passes the answer back unchanged; subclasses act on each request before it
is forwarded (`before`), answer some themselves (`answer_here`), and decide what the
client sees when the upstream does not answer (`upstream_failed`). Here: `SlowProxy`, a
slow MLflow, and `NoStagesProxy`, an MLflow whose stage endpoints refuse every call:

    proxy = SlowProxy(mlflow_server.url, delay_ms=1500).start()
    env["MLFLOW_TRACKING_URI"] = proxy.url      # the app now waits 1.5 s per call
    proxy.delay_ms = 0                          # change it at any time
    proxy.stop()

`proxy.requests` counts what went through. tests/reliability/fault_proxy.py and
bench/rest_calls.py build on the same base.
"""

from __future__ import annotations

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import urlsplit

# Hop-by-hop headers (RFC 9110 §7.6.1) are the proxy's own business, not forwarded.
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
    # socketserver's default backlog is 5, and MLflow's client opens several connections at
    # once (parallel artifact downloads): the likely cause of the one "connection refused"
    # the aliases-only demo's test saw on a loaded machine (not reproduced since).
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timed out) before the upstream answered: expected.
        pass


class ForwardingProxy:
    name = "proxy"

    def __init__(
        self, upstream: str, *, host: str = "127.0.0.1", port: int = 0, timeout: float = 60.0
    ) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream must be an http:// URL, not {upstream!r}")
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.timeout = timeout
        self.requests = 0
        self._count_lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                proxy._forward(self)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = _QuietServer((host, port), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, name=self.name
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def before(self, req: BaseHTTPRequestHandler) -> None:
        """Runs before each request is forwarded (in the request's own thread)."""

    def answer_here(self, req: BaseHTTPRequestHandler) -> bool:
        """Answer `req` here instead of forwarding it (True: answered). Forwards all."""
        return False

    def upstream_failed(self, req: BaseHTTPRequestHandler, exc: OSError) -> None:
        """The upstream did not answer: tell the client with a 502."""
        payload = f"{self.name}: upstream unreachable: {exc}".encode()
        self._answer(req, 502, "Bad Gateway", [("Content-Type", "text/plain")], payload)

    def _forward(self, req: BaseHTTPRequestHandler) -> None:
        with self._count_lock:
            self.requests += 1
        self.before(req)
        if self.answer_here(req):
            return
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
            answer = [
                (k, v) for k, v in resp.getheaders() if k.lower() not in _HOP | {"server", "date"}
            ]
        except OSError as exc:
            conn.close()
            self.upstream_failed(req, exc)
            return
        finally:
            conn.close()
        self._answer(req, resp.status, resp.reason, answer, payload)

    @staticmethod
    def _answer(
        req: BaseHTTPRequestHandler,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        payload: bytes,
    ) -> None:
        req.send_response(status, reason)
        for key, value in headers:
            req.send_header(key, value)
        req.send_header("Content-Length", str(len(payload)))
        req.end_headers()
        if req.command != "HEAD":
            req.wfile.write(payload)


class SlowProxy(ForwardingProxy):
    """Holds every request for `delay_ms` before forwarding it: a slow MLflow."""

    name = "slow-proxy"

    def __init__(
        self,
        upstream: str,
        delay_ms: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        timeout: float = 60.0,
    ) -> None:
        super().__init__(upstream, host=host, port=port, timeout=timeout)
        self.delay_ms = delay_ms

    def before(self, req: BaseHTTPRequestHandler) -> None:
        delay = self.delay_ms
        if delay > 0:
            time.sleep(delay / 1000)


class NoStagesProxy(ForwardingProxy):
    """An MLflow without stages, as Unity Catalog is: every call to a stage endpoint
    (`model-versions/transition-stage`, `registered-models/get-latest-versions`) is
    refused with MLflow's own error shape, and counted in `stage_calls`."""

    name = "no-stages-proxy"

    def __init__(self, upstream: str, **kwargs: Any) -> None:
        super().__init__(upstream, **kwargs)
        self.stage_calls: list[str] = []

    def answer_here(self, req: BaseHTTPRequestHandler) -> bool:
        path = req.path.split("?", 1)[0]
        if not path.endswith(("/transition-stage", "/get-latest-versions")):
            return False
        with self._count_lock:
            self.stage_calls.append(f"{req.command} {path}")
        length = int(req.headers.get("Content-Length") or 0)
        if length:
            req.rfile.read(length)
        payload = b'{"error_code": "PERMISSION_DENIED", "message": "this registry has no stages"}'
        self._answer(req, 403, "Forbidden", [("Content-Type", "application/json")], payload)
        return True
