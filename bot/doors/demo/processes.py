"""Local server processes on 127.0.0.1 (the demo's Prometheus, and the test and bench
servers in tests/servers.py): a free port, waiting for a health endpoint, stopping a
process group. Standard library only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path


class LocalServer:
    """What a server this process starts on 127.0.0.1 shares: its URL and its log file
    (`port` and `workdir` are the dataclass fields of the class that mixes it in)."""

    LOG_PREFIX = "server"
    port: int
    workdir: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.LOG_PREFIX}-{self.port}.log"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def await_health(
    proc: subprocess.Popen[bytes], url: str, timeout: float, what: str, log_name: str
) -> None:
    """Poll `url` until it answers 200; RuntimeError if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited: see {log_name}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer {urllib.parse.urlsplit(url).path} in {timeout}s")


def stop_group(proc: subprocess.Popen[bytes], timeout: float, *, resume: bool = False) -> None:
    """SIGTERM the process group (after SIGCONT when it may be paused), SIGKILL if it
    outlives `timeout`."""
    try:
        if resume:
            os.killpg(proc.pid, signal.SIGCONT)
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
