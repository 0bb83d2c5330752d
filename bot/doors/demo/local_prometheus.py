"""A real Prometheus on 127.0.0.1 and a small exporter of model figures: what
`promobot demo` shows verification with, and what the tests run it against
(tests/prometheus_servers.py).

The exporter (`prometheus_client`, imported when one is made: it is a dev dependency)
plays a model server: it serves `model_error_rate{model, version}` and
`prediction_p99_seconds{model, version}` gauges. Prometheus scrapes it every second from
a folder of its own (config, data, log), runs in its own process group (so a Ctrl-C
in the terminal reaches the caller, which stops it), is waited on at `/-/ready`, and is
stopped as a group.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.doors.demo.processes import LocalServer, await_health, free_port, stop_group

SCRAPE_SECONDS = 1


def prometheus_binary() -> str | None:
    return shutil.which("prometheus")


class Exporter:
    """Gauges its owner sets, served on 127.0.0.1 for Prometheus to scrape."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Gauge, start_http_server

        self.registry = CollectorRegistry()
        labels = ["model", "version"]
        self.error_rate = Gauge(
            "model_error_rate", "errors per prediction", labels, registry=self.registry
        )
        self.p99 = Gauge("prediction_p99_seconds", "p99 latency", labels, registry=self.registry)
        self.port = free_port()
        self.server, self.thread = start_http_server(
            self.port, addr="127.0.0.1", registry=self.registry
        )

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def set(self, model: str, version: int, *, error_rate: float, p99: float = 0.1) -> None:
        self.error_rate.labels(model, str(version)).set(error_rate)
        self.p99.labels(model, str(version)).set(p99)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class PrometheusServer(LocalServer):
    LOG_PREFIX = "prometheus"
    workdir: Path
    targets: list[str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> PrometheusServer:
        """Start it and wait until it is ready; RuntimeError (saying why) if it is not."""
        binary = prometheus_binary()
        if binary is None:
            raise RuntimeError("no `prometheus` binary on PATH")
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "prometheus.yml"
        every = f"{SCRAPE_SECONDS}s"
        scrape = [{"job_name": "models", "static_configs": [{"targets": self.targets}]}]
        config.write_text(
            json.dumps(
                {
                    "global": {"scrape_interval": every, "evaluation_interval": every},
                    "scrape_configs": scrape,
                }
            )
        )
        cmd = [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
        ]
        with open(self.log_path, "ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=log, start_new_session=True)
        ready = f"{self.url}/-/ready"
        try:
            await_health(self.proc, ready, timeout, "prometheus", str(self.log_path))
        except RuntimeError:
            self.stop()
            raise
        return self

    def last_log_line(self) -> str:
        """Prometheus's own last word, for a person told it did not start."""
        if not self.log_path.exists():
            return ""
        lines = self.log_path.read_text(errors="replace").strip().splitlines()
        return lines[-1] if lines else ""

    def query(self, expr: str) -> dict[str, Any]:
        address = f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
        with urllib.request.urlopen(address, timeout=5) as answer:
            return dict(json.loads(answer.read()))

    def wait_for(self, expr: str, value: float, timeout: float = 8.0) -> None:
        """Until the query's one sample is `value` (a scrape or two after a gauge moves);
        RuntimeError if it never is."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.query(expr)["data"]["result"]
            if len(result) == 1 and abs(float(result[0]["value"][1]) - value) < 1e-9:
                return
            time.sleep(0.2)
        raise RuntimeError(f"Prometheus never showed {expr} = {value}")

    def stop(self) -> None:
        if self.proc is None:
            return
        stop_group(self.proc, timeout=10)
        self.proc = None
