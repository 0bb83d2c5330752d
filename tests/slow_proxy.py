"""A tiny HTTP reverse proxy on 127.0.0.1 that delays every request: a slow MLflow.

    proxy = SlowProxy(mlflow_server.url, delay_ms=1500).start()
    env["MLFLOW_TRACKING_URI"] = proxy.url      # the app now waits 1.5 s per call
    proxy.delay_ms = 0                          # change it at any time
    proxy.stop()

Each request is held for `delay_ms` and then forwarded (method, path, headers, body)
to the upstream server; the answer comes back unchanged. `proxy.requests` counts them.
"""

from __future__ import annotations

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
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


class SlowProxy:
    def __init__(
        self,
        upstream: str,
        delay_ms: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        timeout: float = 60.0,
    ) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream must be an http:// URL, not {upstream!r}")
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.delay_ms = delay_ms
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

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, name="slow-proxy"
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SlowProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SlowProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _forward(self, req: BaseHTTPRequestHandler) -> None:
        with self._count_lock:
            self.requests += 1
        delay = self.delay_ms
        if delay > 0:
            time.sleep(delay / 1000)
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
            answer_headers = [
                (k, v) for k, v in resp.getheaders() if k.lower() not in _HOP | {"server", "date"}
            ]
        except OSError as exc:
            payload = f"slow proxy: upstream unreachable: {exc}".encode()
            status, reason, answer_headers = 502, "Bad Gateway", [("Content-Type", "text/plain")]
        finally:
            conn.close()
        req.send_response(status, reason)
        for key, value in answer_headers:
            req.send_header(key, value)
        req.send_header("Content-Length", str(len(payload)))
        req.end_headers()
        if req.command != "HEAD":
            req.wfile.write(payload)
