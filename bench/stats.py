"""Small statistics: medians of paired ratios, percentiles."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


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
