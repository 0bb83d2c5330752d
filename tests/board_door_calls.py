"""One request to a WSGI app as the board's tests make it (tests/doors/test_board_door*.py):
the status, the headers and the body."""

from __future__ import annotations

import base64
from typing import Any


def call(
    door: Any, path: str, *, method: str = "GET", auth: tuple[str, str] | None = None, **env: str
) -> tuple[str, dict[str, str], str]:
    raw = path.encode("utf-8").decode("latin-1")
    base, _, query = raw.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": base,
        "QUERY_STRING": query,
        "REMOTE_ADDR": "127.0.0.1",
        **env,
    }
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        environ["HTTP_AUTHORIZATION"] = f"Basic {token}"
    said: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        said["status"], said["headers"] = status, dict(headers)

    body = b"".join(door(environ, start_response)).decode()
    return said["status"], said["headers"], body
