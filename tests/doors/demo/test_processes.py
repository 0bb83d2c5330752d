"""Local server processes on 127.0.0.1 (bot/doors/demo/processes.py): a free port, waiting
for a health endpoint, and stopping a whole process group, even one that ignores
SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.doors.demo.processes import LocalServer, await_health, free_port, stop_group


def test_a_free_port_can_be_listened_on() -> None:
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_a_local_servers_url_and_log() -> None:
    class Thing(LocalServer):
        LOG_PREFIX = "thing"

        def __init__(self) -> None:
            self.port, self.workdir = 8123, Path("/srv/x")

    assert (Thing().url, Thing().log_path) == (
        "http://127.0.0.1:8123",
        Path("/srv/x/thing-8123.log"),
    )


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A process in a group of its own that would outlive the test."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True
    )
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.fixture
def healthy() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/health" else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_await_health_returns_once_the_endpoint_answers_200(sleeper, healthy: str) -> None:
    await_health(sleeper, f"{healthy}/health", 10, "thing", "thing.log")


def test_await_health_says_when_the_process_exited(healthy: str) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with pytest.raises(RuntimeError, match=r"^thing exited: see thing\.log$"):
        await_health(gone, f"{healthy}/never", 10, "thing", "thing.log")


def test_await_health_says_when_time_ran_out(sleeper) -> None:
    with pytest.raises(RuntimeError, match=r"^thing did not answer /health in 0s$"):
        await_health(sleeper, "http://127.0.0.1:9/health", 0, "thing", "thing.log")


def test_stop_group_ends_the_group_with_sigterm(sleeper) -> None:
    stop_group(sleeper, timeout=10)
    assert sleeper.returncode == -signal.SIGTERM


def test_stop_group_kills_a_group_that_outlives_the_timeout() -> None:
    stubborn = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, sys, time\n"
            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "print('ready', flush=True)\n"
            "time.sleep(600)",
        ],
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    assert stubborn.stdout is not None and stubborn.stdout.readline() == b"ready\n"
    stop_group(stubborn, timeout=0.2)
    assert stubborn.returncode == -signal.SIGKILL
    stubborn.stdout.close()


def test_stopping_a_group_already_gone_is_fine(sleeper) -> None:
    stop_group(sleeper, timeout=10)
    stop_group(sleeper, timeout=10, resume=True)
    assert sleeper.returncode == -signal.SIGTERM
