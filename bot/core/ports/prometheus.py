"""The Prometheus port: an instant query → one number, or why there is none; a range
query → one series of points (the release board's charts). The adapter is
bot/adapters/prometheus.py; live gates, verification and the board read through it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Reading:
    """What one instant query gave: one number, or None and why there is none."""

    value: float | None
    problem: str = ""


@dataclass(frozen=True)
class Series:
    """What one range query gave: (unix seconds, value) points, oldest first, or none and
    why. Points that are not finite numbers are left out."""

    points: tuple[tuple[float, float], ...] = ()
    problem: str = ""


class Prometheus(Protocol):
    """Prometheus as the core sees it: an instant query → one number, or why not; a range
    query → one series. An adapter never raises: an unreachable, slow or garbled server
    is a Reading (or Series) with a problem (a check's `no_data`)."""

    def query(self, expr: str) -> Reading: ...

    def query_range(self, expr: str, start: datetime, end: datetime, step_s: float) -> Series: ...


NOT_CONFIGURED = "no Prometheus is configured (set PROMOBOT_PROMETHEUS_URL)"


class NoPrometheus:
    """What the core reads when no Prometheus is configured."""

    def query(self, expr: str) -> Reading:
        return Reading(None, NOT_CONFIGURED)

    def query_range(self, expr: str, start: datetime, end: datetime, step_s: float) -> Series:
        return Series((), NOT_CONFIGURED)
