"""Our WSGI app (bot/doors/slack/http_app.py) as an ASGI app, for the asyncio worker of
`promobot serve` (bot/doors/slack/gunicorn_worker.py).

The request is read whole on the event loop, where waiting for a slow client costs no
thread: a declared body over the limit gets 413 before any of it is read, a body still
arriving after BODY_SECONDS gets 408. Only then does the WSGI app run, in a thread of a
bounded pool (`--threads`), with the body in `wsgi.input`. Its answers are small (acks,
refusals, /healthz), so each is collected whole and then sent from the loop.
"""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from bot.doors.slack.http_app import WSGI

BODY_SECONDS = 10.0  # from the end of the headers to the end of the body

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True)
class Answer:
    """What the WSGI app answered (or the bridge, for a request it did not pass on)."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


def _plain(status: int, text: str) -> Answer:
    body = text.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8")]
    return Answer(status, [*headers, (b"content-length", str(len(body)).encode())], body)


class TooLarge(Exception):
    pass


class AsgiBridge:
    """An ASGI app that reads each request on the event loop and runs `app` (WSGI) on it
    in a pool of `threads` threads."""

    def __init__(
        self,
        app: WSGI,
        *,
        threads: int,
        body_max: int,
        body_seconds: float = BODY_SECONDS,
        multiprocess: bool = False,
    ) -> None:
        self.app = app
        self.body_max = body_max
        self.body_seconds = body_seconds
        self.multiprocess = multiprocess
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="promobot-http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            # No lifespan, no WebSocket: raising is how an ASGI app declines them.
            raise ValueError(f"promobot serves HTTP only, not {scope['type']!r}")
        body = await self.read_body(scope, receive)
        if isinstance(body, Answer):
            await send_answer(send, body)
            return
        environ = wsgi_environ(scope, body, multiprocess=self.multiprocess)
        loop = asyncio.get_running_loop()
        answer = await loop.run_in_executor(self.pool, run_wsgi, self.app, environ)
        await send_answer(send, answer)

    async def read_body(self, scope: Scope, receive: Receive) -> bytes | Answer:
        """The whole body, or the answer to a request whose body is too large or late."""
        declared = header(scope, b"content-length")
        # gunicorn's parser has refused a Content-Length that is not a number.
        if declared is not None and int(declared) > self.body_max:
            return _plain(413, "request body too large\n")
        chunks: list[bytes] = []
        try:
            async with asyncio.timeout(self.body_seconds):
                await self._receive_all(receive, chunks)
        except TimeoutError:
            return _plain(408, "request body too slow\n")
        except TooLarge:
            return _plain(413, "request body too large\n")
        except ConnectionAbortedError:
            # Gone, or silent past the server's own wait: it hears nothing either way.
            return _plain(408, "request body incomplete\n")
        return b"".join(chunks)

    async def _receive_all(self, receive: Receive, chunks: list[bytes]) -> None:
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ConnectionAbortedError
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.body_max:  # a chunked body declares no length
                raise TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return

    def close(self) -> None:
        """Wait for the requests being answered (the worker is stopping)."""
        self.pool.shutdown(wait=True)


def header(scope: Scope, name: bytes) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def wsgi_environ(scope: Scope, body: bytes, *, multiprocess: bool) -> dict[str, Any]:
    """PEP 3333's environ for an ASGI HTTP scope whose body has been read."""
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": _wsgi_str(scope.get("root_path", "")),
        "PATH_INFO": _wsgi_str(scope["path"]),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": str(client[0]),
        "REMOTE_PORT": str(client[1]),
        # What wsgi.input holds, also for a chunked body that declared no length.
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": multiprocess,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1")
        if "_" in name:
            # X_Forwarded_For would land on X-Forwarded-For's key: dropped, as gunicorn's
            # WSGI workers drop it.
            continue
        key = name.upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if key == "CONTENT_LENGTH":
            continue
        if key != "CONTENT_TYPE":
            key = f"HTTP_{key}"
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def _wsgi_str(text: str) -> str:
    """A decoded path as PEP 3333 wants it: its UTF-8 bytes, one character each."""
    return text.encode("utf-8").decode("latin-1")


def run_wsgi(app: WSGI, environ: dict[str, Any]) -> Answer:
    """Call the WSGI app and collect its answer whole (in a pool thread)."""
    started: list[tuple[str, list[tuple[str, str]]]] = []
    written: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        if started and exc_info is None:
            raise RuntimeError("start_response called twice without exc_info")
        # Nothing is sent before the app returns, so an error page may replace the headers.
        started[:] = [(status, headers)]
        return written.append

    result: Iterable[bytes] = app(environ, start_response)
    try:
        written.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if not started:
        raise RuntimeError("the WSGI app returned without calling start_response")
    status, headers = started[0]
    return Answer(
        int(status.split(" ", 1)[0]),
        [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers],
        b"".join(written),
    )


async def send_answer(send: Send, answer: Answer) -> None:
    await send({"type": "http.response.start", "status": answer.status, "headers": answer.headers})
    await send({"type": "http.response.body", "body": answer.body})
