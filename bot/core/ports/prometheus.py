"""The Prometheus port: an instant query → one number, or why there is none. The
adapter is bot/adapters/prometheus.py; live gates and verification read through it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Reading:
    """What one instant query gave: one number, or None and why there is none."""

    value: float | None
    problem: str = ""


class Prometheus(Protocol):
    """Prometheus as the core sees it: an instant query → one number, or why not. An
    adapter never raises: an unreachable, slow or garbled server is a Reading with a
    problem (a check's `no_data`)."""

    def query(self, expr: str) -> Reading: ...


class NoPrometheus:
    """What the core reads when no Prometheus is configured."""

    def query(self, expr: str) -> Reading:
        return Reading(None, "no Prometheus is configured (set PROMOBOT_PROMETHEUS_URL)")
