"""What the release board shows (docs/board.md), as typed, immutable values: the use case
(bot/core/service/board.py) builds them from the registry and Prometheus, the renderer
(bot/render/board/) draws them. No text is formatted for a page here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.results import LockView, PendingView
from bot.core.state.trail import TrailRecord


@dataclass(frozen=True)
class TargetRow:
    """One target of a model as it stands now."""

    key: str  # "production", "@champion"
    label: str  # "Production", "@champion"
    version: int | None  # None: nothing holds it
    since: datetime | None = None
    asked_by: str = ""
    approved_by: str = ""
    request: str = ""
    verification: str = ""  # "" | running | passed | failed | ended
    verification_detail: str = ""
    rolled_back: bool = False  # the verification failed and promobot rolled back
    drift: tuple[str, ...] = ()  # each finding's sentence
    lock: LockView | None = None
    freeze: str = ""  # the freeze window in force now, as the policy labels it


@dataclass(frozen=True)
class ModelSummary:
    """A governed model's line on the overview."""

    name: str
    targets: tuple[TargetRow, ...]
    pending: int


@dataclass(frozen=True)
class Overview:
    at: datetime
    models: tuple[ModelSummary, ...]
    # When the models were read from MLflow, when not just now (the board's kept read:
    # bot/core/service/board_read.py); None: read for this page.
    read_at: datetime | None = None


@dataclass(frozen=True)
class Waiting:
    """A pending request and what it still needs."""

    view: PendingView
    reason: str
    missing: tuple[str, ...]  # "1 more from ml-leads: alice or carol"
    command: str  # "approve req-…", as typed in the CLI


@dataclass(frozen=True)
class Segment:
    """A version holding a target from `start` to `end` (None: still holds it)."""

    version: int
    start: datetime
    end: datetime | None
    by: str = ""


@dataclass(frozen=True)
class Marker:
    """A moment on a target's row of the timeline."""

    at: datetime
    kind: str  # promote | rollback | auto-rollback | drift | drift-fixed
    version: int | None
    text: str  # what happened, in a sentence (shown on hover)


@dataclass(frozen=True)
class TimelineRow:
    label: str
    segments: tuple[Segment, ...]
    markers: tuple[Marker, ...]


@dataclass(frozen=True)
class Timeline:
    start: datetime
    end: datetime
    rows: tuple[TimelineRow, ...]


@dataclass(frozen=True)
class ChartLine:
    """One verification check over time, and its threshold."""

    name: str
    query: str
    op: str  # ">=", "<", …
    threshold: float
    shown: str  # the threshold as the policy wrote it
    points: tuple[tuple[float, float], ...]  # (unix seconds, value)
    problem: str = ""  # why there are no points


@dataclass(frozen=True)
class Chart:
    """The newest verification of a model: its checks around it."""

    target: str
    version: int
    state: str  # running | passed | failed | ended
    started: datetime
    ended: datetime | None
    rollback_at: datetime | None  # promobot's own rollback, if it made one
    start: datetime
    end: datetime
    lines: tuple[ChartLine, ...]


@dataclass(frozen=True)
class TrailPage:
    """One page of a model's trail, newest first."""

    records: tuple[TrailRecord, ...]
    page: int
    more: bool  # an older page follows


@dataclass(frozen=True)
class ModelBoard:
    name: str
    at: datetime
    targets: tuple[TargetRow, ...]
    waiting: tuple[Waiting, ...]
    timeline: Timeline
    chart: Chart | None
    trail: TrailPage
