"""The HTTP app each `promobot serve` worker serves (WSGI): the routes and their answers.

    POST /slack/events     slash commands and button clicks (signed by Slack, else 401)
    POST /mlflow/webhook   MLflow's deliveries (signed, else 401; doors/mlflow_webhook.py)
    POST /api/v1/commands  the command words, signed in with MLflow credentials
                           (else 401; doors/command_door.py; `promobot --server`)
    GET  /healthz          200 {"ok": true}: the process answers (no signature, no MLflow)
    GET  /releases[/…]     the release board, read-only (doors/board.py; docs/board.md)

Everything else is 404; a known path with another method 405.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from bot.doors.answer import COMMANDS_PATH
from bot.doors.mlflow_webhook import WEBHOOK_PATH
from bot.render.board.html import BASE as BOARD_PATH

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
BODY_MAX = 1_000_000  # Slack's payloads are a few kilobytes

WSGI = Callable[..., Iterable[bytes]]


def wsgi_app(
    slack: WSGI,
    mlflow: WSGI | None = None,
    commands: WSGI | None = None,
    board: WSGI | None = None,
) -> WSGI:
    """Route /healthz, /slack/events, /mlflow/webhook, /api/v1/commands and /releases;
    everything else is 404."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path == HEALTH_PATH:
            if method not in ("GET", "HEAD"):
                return _answer(start_response, "405 Method Not Allowed", b"", allow="GET")
            body = json.dumps({"ok": True}).encode()
            return _answer(
                start_response,
                "200 OK",
                b"" if method == "HEAD" else body,
                content_type="application/json",
                length=len(body),
            )
        if path == EVENTS_PATH:
            if method != "POST":
                return _answer(start_response, "405 Method Not Allowed", b"", allow="POST")
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > BODY_MAX:
                return _answer(start_response, "413 Content Too Large", b"")
            return slack(environ, start_response)
        if path == WEBHOOK_PATH and mlflow is not None:
            return mlflow(environ, start_response)
        if path == COMMANDS_PATH and commands is not None:
            return commands(environ, start_response)
        if board is not None and (path == BOARD_PATH or path.startswith(f"{BOARD_PATH}/")):
            return board(environ, start_response)
        return _answer(start_response, "404 Not Found", b"not found\n")

    return application


def _answer(
    start_response: Callable[..., Any],
    status: str,
    body: bytes,
    *,
    content_type: str = "text/plain; charset=utf-8",
    allow: str = "",
    length: int | None = None,
) -> list[bytes]:
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body) if length is None else length)),
        ("Cache-Control", "no-store"),
    ]
    if allow:
        headers.append(("Allow", allow))
    start_response(status, headers)
    return [body]
