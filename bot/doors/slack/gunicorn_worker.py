"""The gunicorn worker of `promobot serve`: gunicorn's own asyncio worker (`asgi`), which
reads requests on its event loop so that a slow client holds no thread, with the two
things it lacks against slow clients (issue #20):

- A header deadline. A connection that has not sent a request's whole headers
  HEADER_SECONDS after it opened gets 408 and is closed. gunicorn 26.2's ASGI protocol
  waits for headers for ever: it has no header timeout, and its keep-alive timer, armed
  after a response, is cancelled again before the wait for the next request.
- A quick stop. On SIGTERM the connections that have not sent their headers are closed
  at once: nothing was acknowledged on them, and gunicorn would wait for them up to
  graceful_timeout.

The body's limits are the app's (bot/doors/slack/asgi_bridge.py). The app has no lifespan
protocol, so the worker serves without one.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from gunicorn.asgi.protocol import ASGIProtocol
from gunicorn.workers.gasgi import ASGIWorker

HEADER_SECONDS = 5.0  # from the connection's first moment to the end of the headers


class HeaderDeadline(ASGIProtocol):  # type: ignore[misc]
    """gunicorn's HTTP/1.1 connection, with a deadline for the request's headers."""

    worker: PromobotWorker

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.worker.waiting.add(self)
        self._deadline = self.worker.loop.call_later(HEADER_SECONDS, self._headers_late)
        super().connection_made(transport)

    def _on_headers_complete(self) -> Any:
        # gunicorn's parser calls this once the request's headers are in.
        self._stop_waiting()
        return super()._on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    def _headers_late(self) -> None:
        self._send_error_response(408, "Request Timeout")
        self.end()

    def end(self) -> None:
        """Close a connection on which no request has arrived."""
        self._stop_waiting()
        self._close_transport()
        if self._request_ready is not None:
            self._request_ready.set()  # the connection's task sees it closed, and ends

    def _stop_waiting(self) -> None:
        self._deadline.cancel()
        self.worker.waiting.discard(self)


class PromobotWorker(ASGIWorker):  # type: ignore[misc]
    """gunicorn's asyncio worker, serving HeaderDeadline connections."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.waiting: set[HeaderDeadline] = set()

    async def _serve(self) -> None:
        # ASGIWorker._serve, without the lifespan protocol and with our connections.
        for listener in self.sockets:
            server = await self.loop.create_server(
                lambda: HeaderDeadline(self), sock=listener.sock, start_serving=True
            )
            self.servers.append(server)
            self.log.info(
                "Listening at %s (asyncio, header deadline %g s)", listener, HEADER_SECONDS
            )
        while self.alive and self.ppid == os.getppid():
            self.notify()
            await asyncio.sleep(1.0)
        await self._shutdown()

    async def _shutdown(self) -> None:
        for server in self.servers:
            server.close()  # no new connections
        for connection in list(self.waiting):
            connection.end()
        await super()._shutdown()
