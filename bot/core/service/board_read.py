"""The release board's kept read of every governed model (docs/board.md, "How fresh").

The overview needs every governed model with all its tags: one search that MLflow's
server answers with 1.4 MB at a hundred models, p50 165 ms and p95 436 ms through a plain
`mlflow server` on the bench machine (most of the tail is MLflow's server collecting its
garbage), more than the page may take (`make bench`, board). So the overview is drawn
from the models as last read, never older than `max_age` seconds (PROMOBOT_BOARD_SECONDS):

- a model this process changed since (a command, an approval, the sweep, a verification's
  rollback, a webhook delivery recorded: every write through its Service's registry,
  noted by Noting) is read again on its own, one get, before the page is drawn: what was
  done here shows at once;
- a read older than half that age is renewed in the background, one at a time, while the
  page is drawn from the one in hand: a board looked at now and then never waits for it;
- a read older than that, or none yet (the first page; a board nobody opened for a
  while), is made while the page waits, as without keeping.

What changed elsewhere (another worker or replica, a CLI run on the registry itself, a
change in MLflow's UI) shows within `max_age`; the page says when its models were read.
A model's own page is always read afresh. `max_age` 0: every overview reads afresh.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.board import Overview
from bot.core.ports.registry import ModelInfo, Registry, RegistryError
from bot.core.service.board import Board

log = logging.getLogger("promobot.board")

# The registry's writes, each naming its model first: what Noting notes.
WRITES = frozenset(
    {
        "set_model_tag",
        "delete_model_tag",
        "delete_model_tags",
        "set_version_tags",
        "delete_version_tag",
        "append_description",
        "move_stage",
        "set_alias",
        "delete_alias",
        "register",
    }
)
# More models changed since the read than this: one new read costs less than their gets.
MAX_CHANGED = 10


class Changes:
    """Which models this process wrote to, and when (monotonic seconds, after the write)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._at: dict[str, float] = {}

    def note(self, model: str) -> None:
        with self._lock:
            self._at[model] = self.clock()

    def since(self, started: float) -> dict[str, float]:
        """The models written after `started`, with when."""
        with self._lock:
            return {name: at for name, at in self._at.items() if at >= started}

    def forget(self, before: float) -> None:
        """Forget the writes a read that started at `before` has seen."""
        with self._lock:
            self._at = {name: at for name, at in self._at.items() if at >= before}


class Noting:
    """A Registry (by delegation) that notes in `changes` each model it writes to, once the
    write returned or failed (a read made after the note sees the write)."""

    def __init__(self, inner: Registry, changes: Changes) -> None:
        self.inner = inner
        self.changes = changes

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.inner, name)
        if name not in WRITES:
            return found

        def write(model: str, *args: Any, **kwargs: Any) -> Any:
            try:
                return found(model, *args, **kwargs)
            finally:
                self.changes.note(model)

        return write


@dataclass
class Kept:
    models: dict[str, ModelInfo]
    started: float  # monotonic seconds when the read began: it holds every write before
    read_at: datetime  # the same moment, as the page shows it
    renewed: dict[str, float] = field(default_factory=dict)  # model → its own read's start


class KeptRead:
    """The overview, drawn from a read of the governed models kept up to `max_age` s."""

    def __init__(self, board: Board, changes: Changes, max_age: float) -> None:
        self.board = board
        self.changes = changes
        self.max_age = max_age
        self.clock = changes.clock  # one clock: the notes and the reads are compared
        self._kept: Kept | None = None
        self._lock = threading.Lock()  # guards _kept and its dicts
        self._reading = threading.Lock()  # one read of every model at a time
        self._renewing = False

    def overview(self) -> Overview:
        if self.max_age <= 0:
            return self.board.overview()
        kept = self._kept
        age = math.inf if kept is None else self.clock() - kept.started
        if kept is None or age > self.max_age:
            kept = self._read(self.max_age)
        elif age > self.max_age / 2:
            self._renew()
        # The newest read: a renewal may have ended since, and forgotten the notes it saw.
        kept, models = self._with_changes(self._kept or kept)
        return self.board.overview(models, kept.read_at)

    # ---- reads ---------------------------------------------------------------------------

    def _read(self, younger_than: float) -> Kept:
        """A new read of every governed model, unless another thread made one younger than
        `younger_than` seconds while this one waited for it."""
        with self._reading:
            kept = self._kept
            if kept is not None and self.clock() - kept.started <= younger_than:
                return kept
            started, read_at = self.clock(), self.board.deps.clock()
            models = {info.name: info for info in self.board.governed()}
            kept = Kept(models, started, read_at)
            with self._lock:
                self._kept = kept
            self.changes.forget(started)
            return kept

    def _renew(self) -> None:
        with self._lock:
            if self._renewing:
                return
            self._renewing = True

        def run() -> None:
            try:
                self._read(self.max_age / 2)
            except RegistryError as exc:  # the next page that needs a read waits for it
                log.warning("board: renewing the overview's read failed: %s", exc)
            finally:
                with self._lock:
                    self._renewing = False

        threading.Thread(target=run, name="promobot-board-read", daemon=True).start()

    def _with_changes(self, kept: Kept) -> tuple[Kept, list[ModelInfo]]:
        """The kept models, each one this process wrote to since read again on its own
        (and the read they come from: a new one when many were written to)."""
        changed = {
            name: at
            for name, at in self.changes.since(kept.started).items()
            if at >= kept.renewed.get(name, kept.started)
        }
        if len(changed) > MAX_CHANGED:
            kept = self._read(0.0)
            changed = {}
        for name in changed:
            started = self.clock()
            info = self.board.governed_model(name)
            with self._lock:
                if info is None:
                    kept.models.pop(name, None)
                else:
                    kept.models[name] = info
                kept.renewed[name] = started
        with self._lock:
            return kept, list(kept.models.values())
