"""What `promobot serve --socket-mode` serves over HTTP on --port: /healthz for load
balancers and probes, and MLflow's webhook deliveries where MLflow reaches this port
(Slack's own requests come over the WebSocket)."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any

from bot.doors.mlflow_webhook import BODY_MAX, WEBHOOK_PATH, MlflowWebhookDoor
from bot.doors.slack.http_app import HEALTH_PATH


def socket_mode_http(served: list[MlflowWebhookDoor]) -> type[BaseHTTPRequestHandler]:
    """What Socket Mode serves on --port: /healthz, and MLflow's deliveries where MLflow
    reaches this port (Slack's requests come over the socket). Until the door is built a
    delivery gets 503, which MLflow retries."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ok = self.path.split("?")[0] == HEALTH_PATH
            body = json.dumps({"ok": True}).encode() if ok else b"not found\n"
            self._send(200 if ok else 404, body, "application/json" if ok else "text/plain")

        def do_POST(self) -> None:
            length = self.headers.get("Content-Length") or "0"
            if self.path.split("?")[0] != WEBHOOK_PATH:
                return self._send(404, b"not found\n", "text/plain")
            if not served:
                return self._send(503, b"starting\n", "text/plain")
            if not length.isdigit() or int(length) > BODY_MAX:
                return self._send(413, b"", "text/plain")
            headers = {key.lower(): value for key, value in self.headers.items()}
            status, answer = served[0].receive(headers, self.rfile.read(int(length)))
            self._send(int(status.split()[0]), json.dumps(answer).encode(), "application/json")

        def _send(self, code: int, body: bytes, content_type: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: probes every second
            pass

    return Handler
