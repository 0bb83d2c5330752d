"""The bridge between gunicorn's asyncio worker and our WSGI app
(bot/doors/slack/asgi_bridge.py), called as the worker calls it: an ASGI scope, the body
in `http.request` messages, the answer in `http.response.*` messages."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from bot.doors.slack.asgi_bridge import AsgiBridge
from bot.doors.slack.http_app import wsgi_app

Message = dict[str, Any]


class Recorder:
    """A WSGI app that keeps the environ it was given and the body it read, and answers
    with `status`, `headers` and `chunks`, part of them through write()."""

    def __init__(
        self,
        status: str = "200 OK",
        headers: list[tuple[str, str]] | None = None,
        chunks: tuple[bytes, ...] = (b"ok",),
    ) -> None:
        self.status = status
        self.headers = headers or [("Content-Type", "text/plain")]
        self.chunks = chunks
        self.environ: dict[str, Any] = {}
        self.body = b""
        self.closed = False

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        self.environ = environ
        self.body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        write = start_response(self.status, self.headers)
        write(self.chunks[0])
        return Closing(self.chunks[1:], self)


class Closing(list[bytes]):
    """A WSGI answer with a close() to call, as PEP 3333 asks servers to."""

    def __init__(self, chunks: tuple[bytes, ...], app: Recorder) -> None:
        super().__init__(chunks)
        self.app = app

    def close(self) -> None:
        self.app.closed = True


def scope(
    method: str = "POST",
    path: str = "/slack/events",
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> dict[str, Any]:
    return {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": headers or [],
        "server": ("127.0.0.1", 3000),
        "client": ("10.0.0.7", 51234),
    }


def serve(
    bridge: AsgiBridge, request: dict[str, Any], *messages: Message
) -> tuple[int, dict[bytes, bytes], bytes, int]:
    """Run one request through the bridge: (status, headers, body, messages received)."""
    inbox = list(messages) or [{"type": "http.request", "body": b"", "more_body": False}]
    received = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal received
        received += 1
        if not inbox:
            await asyncio.Event().wait()  # a client that sends nothing more
        return inbox.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(bridge(request, receive, send))
    start, body = sent
    assert start["type"] == "http.response.start" and body["type"] == "http.response.body"
    return start["status"], dict(start["headers"]), body["body"], received


def bridge_for(app: Any, **kw: Any) -> AsgiBridge:
    return AsgiBridge(app, threads=2, body_max=kw.pop("body_max", 1000), **kw)


def test_the_environ_is_pep_3333s_with_the_whole_body_in_wsgi_input() -> None:
    app = Recorder()
    request = scope(
        path="/slack/événements",
        query=b"a=1&b=%20",
        headers=[
            (b"host", b"promobot.example"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"x-slack-signature", b"v0=abc"),
            (b"accept", b"text/plain"),
            (b"accept", b"application/json"),
            (b"x_slack_signature", b"v0=forged"),
        ],
    )

    serve(
        bridge_for(app),
        request,
        {"type": "http.request", "body": b"text=status", "more_body": True},
        {"type": "http.request", "body": b"+m", "more_body": False},
    )

    env = app.environ
    assert app.body == b"text=status+m"
    assert {k: v for k, v in env.items() if not k.startswith("wsgi.")} == {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/slack/événements".encode().decode("latin-1"),
        "QUERY_STRING": "a=1&b=%20",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "3000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
        "REMOTE_PORT": "51234",
        "CONTENT_LENGTH": "13",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "HTTP_HOST": "promobot.example",
        # The header with underscores is dropped: it would pass for X-Slack-Signature.
        "HTTP_X_SLACK_SIGNATURE": "v0=abc",
        "HTTP_ACCEPT": "text/plain,application/json",
    }
    assert env["wsgi.url_scheme"] == "http"
    assert env["wsgi.version"] == (1, 0)
    assert env["wsgi.multithread"] is True and env["wsgi.run_once"] is False


def test_status_headers_and_body_come_back_as_the_app_gave_them() -> None:
    app = Recorder(
        "401 Unauthorized",
        [("Content-Type", "application/json"), ("X-Reason", "signature")],
        (b'{"ok": ', b"false}"),
    )

    status, headers, body, _ = serve(bridge_for(app), scope())

    assert (status, body) == (401, b'{"ok": false}')
    assert headers == {b"content-type": b"application/json", b"x-reason": b"signature"}
    assert app.closed


def test_a_declared_body_over_the_limit_gets_413_unread() -> None:
    app = Recorder()
    request = scope(headers=[(b"content-length", b"1001")])

    status, _, _, received = serve(bridge_for(app), request)

    assert status == 413
    assert received == 0 and app.environ == {}


def test_a_chunked_body_that_grows_over_the_limit_gets_413() -> None:
    app = Recorder()
    chunk = {"type": "http.request", "body": b"x" * 600, "more_body": True}

    status, _, _, received = serve(bridge_for(app), scope(), chunk, chunk, chunk)

    assert status == 413
    assert received == 2 and app.environ == {}


@pytest.mark.parametrize(
    "messages",
    [
        [{"type": "http.request", "body": b"part", "more_body": True}],  # then nothing
        [{"type": "http.disconnect"}],
    ],
    ids=["too-slow", "gone"],
)
def test_a_body_that_does_not_arrive_gets_408_and_the_app_is_not_called(
    messages: list[Message],
) -> None:
    app = Recorder()

    status, _, _, _ = serve(bridge_for(app, body_seconds=0.05), scope(), *messages)

    assert status == 408
    assert app.environ == {}


def test_only_http_is_served() -> None:
    async def nothing() -> Message:
        return {}

    async def ignore(message: Message) -> None:
        pass

    with pytest.raises(ValueError, match="HTTP only"):
        asyncio.run(bridge_for(Recorder())({"type": "lifespan"}, nothing, ignore))


def test_the_http_app_answers_through_it() -> None:
    bridge = bridge_for(wsgi_app(Recorder()))

    status, headers, body, _ = serve(bridge, scope("GET", "/healthz"))

    assert (status, json.loads(body)) == (200, {"ok": True})
    assert headers[b"content-type"] == b"application/json"
