"""The HTTP app each `promobot serve` worker serves (bot/doors/slack/http_app.py), called as
a WSGI server calls it: /healthz answers alone, /slack/events and /mlflow/webhook reach
their doors, too large a body is refused unread, and nothing else is served."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from bot.doors.slack.http_app import wsgi_app


class Door:
    """A WSGI app standing for a door: records that it was reached, answers 200."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.reached: list[str] = []

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        self.reached.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [self.name.encode()]


def call(
    app: Any, method: str, path: str, length: str | None = None
) -> tuple[str, dict[str, str], bytes]:
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "wsgi.input": io.BytesIO(b"")}
    if length is not None:
        environ["CONTENT_LENGTH"] = length
    answered: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answered["status"], answered["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return answered["status"], answered["headers"], body


@pytest.fixture
def doors() -> tuple[Door, Door]:
    return Door("slack"), Door("mlflow")


def test_healthz_answers_without_reaching_a_door(doors) -> None:
    slack, mlflow = doors
    app = wsgi_app(slack, mlflow)
    status, headers, body = call(app, "GET", "/healthz")
    assert (status, json.loads(body)) == ("200 OK", {"ok": True})
    assert (headers["Content-Type"], headers["Cache-Control"]) == ("application/json", "no-store")
    status, headers, body = call(app, "HEAD", "/healthz")
    assert (status, body, headers["Content-Length"]) == ("200 OK", b"", str(len(b'{"ok": true}')))
    assert slack.reached == mlflow.reached == []


@pytest.mark.parametrize(
    ("method", "path", "length", "status", "door"),
    [
        ("POST", "/slack/events", "120", "200 OK", "slack"),
        ("POST", "/slack/events", None, "200 OK", "slack"),
        ("POST", "/mlflow/webhook", "300", "200 OK", "mlflow"),
        ("POST", "/slack/events", "1000001", "413 Content Too Large", None),
        ("POST", "/slack/events", "-1", "413 Content Too Large", None),
        ("POST", "/slack/events", "many", "413 Content Too Large", None),
        ("GET", "/slack/events", None, "405 Method Not Allowed", None),
        ("POST", "/healthz", None, "405 Method Not Allowed", None),
        ("GET", "/", None, "404 Not Found", None),
        ("POST", "/slack/events/", None, "404 Not Found", None),
    ],
    ids=[
        "slack-event",
        "slack-event-no-length",
        "mlflow-delivery",
        "over-a-megabyte",
        "negative-length",
        "length-not-a-number",
        "events-only-by-post",
        "healthz-only-by-get",
        "root",
        "trailing-slash",
    ],
)
def test_each_path_reaches_its_door_or_is_refused(
    doors, method, path, length, status, door
) -> None:
    slack, mlflow = doors
    got, headers, _ = call(wsgi_app(slack, mlflow), method, path, length)
    assert got == status
    assert (slack.reached, mlflow.reached) == (
        [path] if door == "slack" else [],
        [path] if door == "mlflow" else [],
    )
    if status.startswith("405"):
        assert headers["Allow"] == ("POST" if path == "/slack/events" else "GET")


def test_without_the_mlflow_door_its_path_is_not_served(doors) -> None:
    slack, _ = doors
    assert call(wsgi_app(slack), "POST", "/mlflow/webhook")[0] == "404 Not Found"
