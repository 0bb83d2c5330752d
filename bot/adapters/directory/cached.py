"""The directory behind a cache: a team's or user group's members are read once per
PROMOBOT_GROUP_CACHE_SECONDS (default 300), not once per command. A failed lookup is
kept for at most FAILURE_SECONDS, so a GitHub or Slack that comes back is seen soon and
one that is down does not make every command wait for its timeout."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from bot.core.ports.directory import Directory, Lookup

FAILURE_SECONDS = 30.0


class CachedDirectory:
    def __init__(
        self,
        inner: Directory,
        seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.seconds = seconds
        self.clock = clock
        self._entries: dict[str, tuple[float, Lookup]] = {}
        self._lock = threading.Lock()  # `promobot serve` answers on several threads

    def members(self, source: str) -> Lookup:
        if self.seconds <= 0:
            return self.inner.members(source)
        now = self.clock()
        with self._lock:
            kept = self._entries.get(source)
        if kept is not None and kept[0] > now:
            return kept[1]
        lookup = self.inner.members(source)
        keep = self.seconds if lookup.ok else min(self.seconds, FAILURE_SECONDS)
        with self._lock:
            self._entries[source] = (now + keep, lookup)
        return lookup
