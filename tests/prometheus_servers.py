"""A real Prometheus for the tests, and a small exporter the tests control.

Both live in bot/doors/demo/local_prometheus.py (the demo runs them too): the exporter
(`prometheus_client`) serves `model_error_rate{model, version}` and
`prediction_p99_seconds{model, version}` gauges; Prometheus scrapes it every second.
Without a `prometheus` binary the fixtures skip and say why; with
PROMOBOT_REQUIRE_PROMETHEUS=1 (set by .ci/run) they fail instead.
"""

from __future__ import annotations

import os

from bot.doors.demo.local_prometheus import (
    SCRAPE_SECONDS,
    Exporter,
    PrometheusServer,
    prometheus_binary,
)

__all__ = [
    "SCRAPE_SECONDS",
    "Exporter",
    "PrometheusServer",
    "missing_reason",
    "prometheus_binary",
    "required",
]


def missing_reason() -> str:
    return (
        "no `prometheus` binary (Debian: apt-get install prometheus); "
        "PROMOBOT_REQUIRE_PROMETHEUS=1 makes this a failure"
    )


def required() -> bool:
    return os.environ.get("PROMOBOT_REQUIRE_PROMETHEUS", "") not in ("", "0")
