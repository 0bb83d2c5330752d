"""The replicas benchmark's load balancer (bench/round_robin.py) takes its backends in
turn and carries requests and answers both ways whole. No timings are asserted."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bench.round_robin import RoundRobin


def _backend(name: str) -> ThreadingHTTPServer:
    class Echo(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            answer = name.encode() + b":" + body
            self.send_response(200)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def backends() -> Iterator[list[ThreadingHTTPServer]]:
    servers = [_backend("a"), _backend("b")]
    yield servers
    for server in servers:
        server.shutdown()
        server.server_close()


def _post(url: str, body: bytes) -> bytes:
    with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=5) as resp:
        return bytes(resp.read())


def test_requests_go_to_the_backends_in_turn_and_come_back_whole(
    backends: list[ThreadingHTTPServer],
) -> None:
    urls = [f"http://127.0.0.1:{s.server_address[1]}" for s in backends]
    big = b"x" * 200_000  # more than one read of the pipe
    with RoundRobin(urls) as rr:
        answers = [_post(rr.url, body) for body in (b"1", b"2", b"3", big)]
        assert rr.connections == [2, 2]
    assert answers[:3] == [b"a:1", b"b:2", b"a:3"]
    assert answers[3] == b"b:" + big


def test_a_backend_without_a_port_is_refused() -> None:
    with pytest.raises(ValueError, match="host and a port"):
        RoundRobin(["http://127.0.0.1"])
