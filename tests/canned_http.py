"""A small HTTP server on 127.0.0.1 that answers every GET and POST with the same canned
`status`, `body` and `headers` (change them between requests), and records each request's
headers: for a client's handling of answers a real service would give, a proxy's page or
a TLS certificate a company CA signed. With `tls`, it speaks https."""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class CannedServer:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.status, self.body = 200, b"{}"
        self.headers: dict[str, str] = {"Content-Type": "application/json"}
        self.seen: list[dict[str, str]] = []
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canned.seen.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(canned.status)
                for key, value in canned.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(canned.body)))
                self.end_headers()
                self.wfile.write(canned.body)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.do_GET()

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.http.socket = tls.wrap_socket(self.http.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
