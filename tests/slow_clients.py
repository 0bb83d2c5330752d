"""Slow clients for tests and benchmarks: connections that send the start of a request and
then one more byte of its headers every `every` seconds, as a slowloris attack does.

    with Drippers("127.0.0.1", port, count=100) as drip:
        ...                                  # the server is asked other things meanwhile
        drip.still_open(), drip.answers      # which are open; what the server said to the others

Each connection drips until the server answers or closes it; what it answered (its first
bytes, b"" for a bare close) is kept in `answers`. With `refill`, each connection the
server ends is replaced by a new one, as an attacker would, so `count` stay open. One
thread drips for all of them.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from typing import Self

# A request that never ends: a header whose value grows by one byte at a time.
START = b"GET /healthz HTTP/1.1\r\nHost: promobot\r\nX-Drip: "


class Drippers:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        count: int = 100,
        every: float = 1.0,
        refill: bool = False,
        start: bytes = START,
    ) -> None:
        self.host, self.port = host, port
        self.count, self.every, self.refill, self.start = count, every, refill, start
        self.open: list[socket.socket] = []
        self.answers: list[bytes] = []  # one per connection the server ended
        self.drips = 0  # bytes dripped, over all connections
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drip, name="drippers", daemon=True)

    def __enter__(self) -> Self:
        for _ in range(self.count):
            self._connect()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        for sock in self.open:
            sock.close()

    def still_open(self) -> int:
        with self._lock:
            return len(self.open)

    def wait_all_ended(self, timeout: float) -> bool:
        """Wait until the server has ended every connection (True), or `timeout` passes."""
        deadline = time.monotonic() + timeout
        while self.still_open() and time.monotonic() < deadline:
            time.sleep(0.1)
        return not self.still_open()

    def _drip(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                for sock in _readable(self.open):
                    self._ended(sock)
                for sock in list(self.open):
                    try:
                        sock.send(b"a")
                        self.drips += 1
                    except OSError:
                        self._ended(sock)
            self._stop.wait(self.every)

    def _ended(self, sock: socket.socket) -> None:
        """The server answered or closed this connection: keep what it said."""
        try:
            sock.settimeout(1)
            answer = sock.recv(200)
        except OSError:
            answer = b""
        if sock in self.open:
            self.open.remove(sock)
        sock.close()
        self.answers.append(answer)
        if self.refill and not self._stop.is_set():
            with contextlib.suppress(OSError):  # the server is gone
                self._connect()

    def _connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=10)
        sock.sendall(self.start)
        self.open.append(sock)


def _readable(socks: list[socket.socket]) -> list[socket.socket]:
    """The sockets with something to read (an answer, or the server's close), without
    waiting. poll, not select: in a long test session descriptors pass 1024, which
    select() refuses (the thread would die and drip nothing)."""
    if not socks:
        return []
    poller = select.poll()
    by_fd = {sock.fileno(): sock for sock in socks}
    for fd in by_fd:
        poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    return [by_fd[fd] for fd, _ in poller.poll(0)]
