"""A stand-in for Slack's Web API, for the compose stack on a machine that cannot reach
Slack (deploy/local/compose.local.yaml). Standard library only.

It answers the methods promobot calls as Slack does (`auth.test`, `chat.postMessage`,
`chat.update`, …: {"ok": true, …}), takes the POSTs to response URLs
(http://slack-api:8080/response/<key>), prints one line per call (what Slack would have
shown: `podman logs`), and lists them all at GET /calls as JSON.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

CALLS: list[dict[str, Any]] = []
LOCK = threading.Lock()


def _body(handler: BaseHTTPRequestHandler) -> dict[str, Any]:
    raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0)).decode()
    if "json" in (handler.headers.get("Content-Type") or ""):
        return json.loads(raw or "{}")
    return dict(parse_qsl(raw))


def _text(body: dict[str, Any]) -> str:
    return str(body.get("text") or "").splitlines()[0][:120] if body.get("text") else ""


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        with LOCK:
            self._answer(CALLS if self.path == "/calls" else {"ok": True})

    def do_POST(self) -> None:
        body = _body(self)
        kind, _, name = self.path.strip("/").partition("/")
        with LOCK:
            CALLS.append({"kind": kind, "name": name, "body": body, "at": time.time()})
            ts = f"{time.time():.6f}"
        print(f"slack-api {kind} {name}: {body.get('channel', '')} {_text(body)}", flush=True)
        if kind == "response":
            self._answer({"ok": True})
        elif name == "auth.test":
            self._answer(
                {
                    "ok": True,
                    "url": "https://stand-in.slack.com/",
                    "team": "stand-in",
                    "user": "promobot",
                    "team_id": "T0LOCAL",
                    "user_id": "U0PROMOBOT",
                    "bot_id": "B0PROMOBOT",
                }
            )
        else:
            channel = body.get("channel") or "C0LOCAL"
            self._answer({"ok": True, "channel": channel, "ts": body.get("ts") or ts})

    def _answer(self, data: Any) -> None:
        raw = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    print(f"slack-api: a stand-in for Slack's Web API on :{port}", flush=True)
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
