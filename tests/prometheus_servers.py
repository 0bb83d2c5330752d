"""A real Prometheus for the tests, and a small exporter the tests control.

The exporter (`prometheus_client`) serves `model_error_rate{model, version}` and
`prediction_p99_seconds{model, version}` gauges; Prometheus scrapes it every second.
Prometheus runs in its own process group, is waited on at `/-/ready`, and is stopped as
a group. Without a `prometheus` binary the fixtures skip and say why; with
PROMOBOT_REQUIRE_PROMETHEUS=1 (set by .ci/run) they fail instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from servers import await_health, free_port, stop_group

SCRAPE_SECONDS = 1


def prometheus_binary() -> str | None:
    return shutil.which("prometheus")


def missing_reason() -> str:
    return (
        "no `prometheus` binary (Debian: apt-get install prometheus); "
        "PROMOBOT_REQUIRE_PROMETHEUS=1 makes this a failure"
    )


def required() -> bool:
    return os.environ.get("PROMOBOT_REQUIRE_PROMETHEUS", "") not in ("", "0")


class Exporter:
    """Gauges a test sets, served on 127.0.0.1 for Prometheus to scrape."""

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

    def set(self, model: str, version: int, *, error_rate: float, p99: float = 0.1) -> None:
        self.error_rate.labels(model, str(version)).set(error_rate)
        self.p99.labels(model, str(version)).set(p99)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class PrometheusServer:
    workdir: Path
    targets: list[str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> PrometheusServer:
        binary = prometheus_binary()
        assert binary, missing_reason()
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "prometheus.yml"
        config.write_text(
            json.dumps(
                {
                    "global": {
                        "scrape_interval": f"{SCRAPE_SECONDS}s",
                        "evaluation_interval": f"{SCRAPE_SECONDS}s",
                    },
                    "scrape_configs": [
                        {"job_name": "models", "static_configs": [{"targets": self.targets}]}
                    ],
                }
            )
        )
        log = open(self.workdir / f"prometheus-{self.port}.log", "ab")  # noqa: SIM115
        cmd = [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
        ]
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=log, start_new_session=True)
        try:
            await_health(self.proc, f"{self.url}/-/ready", timeout, "prometheus", log.name)
        except RuntimeError:
            self.stop()
            raise
        return self

    def query(self, expr: str) -> dict[str, Any]:
        address = f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
        with urllib.request.urlopen(address, timeout=5) as answer:
            return dict(json.loads(answer.read()))

    def wait_for(self, expr: str, value: float, timeout: float = 8.0) -> None:
        """Until the query's one sample is `value` (a scrape or two after a gauge moves)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.query(expr)["data"]["result"]
            if len(result) == 1 and abs(float(result[0]["value"][1]) - value) < 1e-9:
                return
            time.sleep(0.2)
        raise AssertionError(f"Prometheus never showed {expr} = {value}")

    def stop(self) -> None:
        if self.proc is None:
            return
        stop_group(self.proc, timeout=10)
        self.proc = None
