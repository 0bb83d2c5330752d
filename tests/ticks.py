"""A monotonic clock the test moves (what `time.monotonic` is to the code under test)."""

from __future__ import annotations


class Ticks:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
