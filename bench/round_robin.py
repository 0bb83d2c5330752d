"""A round-robin TCP proxy on 127.0.0.1: the load balancer in front of several
`promobot serve` replicas (bench/replica_bench.py).

Each accepted connection goes to the next backend in turn and is piped both ways by two
threads until either side closes. The benchmark's client opens one connection per
request (urllib), so connections are requests and the turns are fair per request.

    with RoundRobin(["http://127.0.0.1:3001", "http://127.0.0.1:3002"]) as rr:
        rr.url, rr.connections  # where to send; how many went to each backend
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
import urllib.parse
from collections.abc import Sequence

_CHUNK = 65536


class RoundRobin:
    def __init__(self, backends: Sequence[str], host: str = "127.0.0.1") -> None:
        if not backends:
            raise ValueError("a round-robin needs at least one backend")
        self.backends = [_address(url) for url in backends]
        self.connections = [0] * len(self.backends)
        self._turn = itertools.cycle(range(len(self.backends)))
        self._lock = threading.Lock()
        self._listener = socket.create_server((host, 0), backlog=256)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="round-robin", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._listener.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> RoundRobin:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closed.set()
        # Wake accept() up: closing alone does not on every platform.
        with contextlib.suppress(OSError):
            socket.create_connection(self._listener.getsockname()[:2], timeout=1).close()
        self._listener.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RoundRobin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._closed.is_set():
                client.close()
                return
            with self._lock:
                index = next(self._turn)
                self.connections[index] += 1
            threading.Thread(
                target=self._serve, args=(client, self.backends[index]), daemon=True
            ).start()

    def _serve(self, client: socket.socket, backend: tuple[str, int]) -> None:
        try:
            upstream = socket.create_connection(backend, timeout=30)
        except OSError:
            client.close()
            return
        for sock in (client, upstream):
            # Small request/answer exchanges: do not let Nagle hold a segment back.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
        back.start()
        _pipe(client, upstream)
        back.join()
        client.close()
        upstream.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy until `source` closes (or fails), then close `sink`'s writing side."""
    try:
        while chunk := source.recv(_CHUNK):
            sink.sendall(chunk)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


def _address(url: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(url)
    if not parts.hostname or not parts.port:
        raise ValueError(f"a backend needs a host and a port: {url!r}")
    return parts.hostname, parts.port
