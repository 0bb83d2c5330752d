"""Small statistics: medians of paired ratios, percentiles."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def ratios(top: Sequence[float], bottom: Sequence[float]) -> list[float]:
    """Pairwise ratios of runs taken side by side (same repeat index)."""
    return [a / b for a, b in zip(top, bottom, strict=True) if b > 0]


def median_ratio(top: Sequence[float], bottom: Sequence[float]) -> float | None:
    return median(ratios(top, bottom))


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def r2(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def shown(value: Any, unit: str = "") -> str:
    """A figure as a table shows it: "—" for none."""
    return "—" if value is None else f"{value}{unit}"


def run_notes(part: Mapping[str, Any]) -> list[str]:
    """The lines that end a part's table: MLflow workers that died during it (from the
    server's log), and when it ran, for a part merged in from a run of its own."""
    lines = []
    deaths = part.get("mlflow_worker_deaths")
    if deaths:
        lines.append(f"  MLflow worker deaths during the run: {deaths} (the server's log)")
    measured = part.get("measured")
    if measured:
        machine = measured.get("machine", {})
        lines.append(
            f"  (this part: run of {measured.get('generated_at')}, load "
            f"{machine.get('load_start')} → {machine.get('load_end')})"
        )
    return lines
