"""The release board's reading use cases (docs/board.md): every governed model at a
glance, and one model's targets, waiting requests, timeline, verification chart and
trail. They write nothing.

Costs, so the pages stay fast at a hundred models and thousands of past executions:
the overview is one paged search of the registered models (their tags come with it: no
call per model; serve keeps that read a few seconds, board_read.py); a model's page is
one read of the model, one range query per check of its newest verification, and its
ledger only when the trail is paged past what the model itself still holds
(bot/core/service/archive.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime

from bot.core import state
from bot.core.board import (
    Chart,
    ChartLine,
    ModelBoard,
    ModelSummary,
    Overview,
    TargetRow,
    TrailPage,
    Waiting,
)
from bot.core.commands import Target
from bot.core.policy.clock_gates import freeze_in_force
from bot.core.policy.rules import TargetRule, join_names, target_label
from bot.core.ports.registry import ModelInfo
from bot.core.results import PendingView
from bot.core.service import archive
from bot.core.service.board_timeline import (
    auto_rollback,
    chart_window,
    newest_watch,
    timeline,
)
from bot.core.service.common import Deps, holder
from bot.core.service.drift_scan import DriftScan
from bot.core.service.queries import Queries
from bot.core.service.target_locks import in_force
from bot.core.state.drift import describe
from bot.core.state.trail import TrailRecord, trail
from bot.core.state.watch import current_watch, watches

PER_PAGE = 25  # trail records a page


class Board:
    def __init__(self, deps: Deps, queries: Queries, drift_scan: DriftScan) -> None:
        self.deps = deps
        self.queries = queries
        self.drift_scan = drift_scan

    def overview(
        self, models: Sequence[ModelInfo] | None = None, read_at: datetime | None = None
    ) -> Overview:
        """Every governed model, by name, with what holds each target: of `models` as
        read at `read_at` (the board's kept read), else as MLflow holds them now."""
        now = self.deps.clock()
        infos = sorted(self.governed() if models is None else models, key=lambda i: i.name)
        summaries = tuple(
            ModelSummary(i.name, self._targets(i, now), _pending_count(i, now)) for i in infos
        )
        return Overview(now, summaries, read_at)

    def governed(self) -> list[ModelInfo]:
        """Every model the policy governs, as MLflow holds it now: one paged search."""
        return [
            info
            for info in self.deps.registry.models(self.deps.policy.patterns())
            if self.governs(info.name)
        ]

    def governed_model(self, name: str) -> ModelInfo | None:
        """`name` as MLflow holds it now, when the board shows it."""
        return self.deps.registry.get_model(name) if self.governs(name) else None

    def governs(self, name: str) -> bool:
        """Whether the board shows `name`: a model the policy names, not one of promobot's
        own (its locks and ledgers)."""
        return not name.startswith(state.OWN_MODEL_PREFIXES) and bool(
            self.deps.policy.rules_for(name)
        )

    def model(self, name: str, page: int = 1) -> ModelBoard | None:
        """One governed model's page; None when MLflow has no such model or no policy
        names it (the board shows only governed models)."""
        if self.deps.policy.rules_for(name) is None:
            return None
        info = self.deps.registry.get_model(name)
        if info is None:
            return None
        now = self.deps.clock()
        return ModelBoard(
            name=name,
            at=now,
            targets=self._targets(info, now),
            waiting=tuple(self._waiting(info)),
            timeline=timeline(name, info.tags, self.drift_scan.target_keys(name), now),
            chart=self._chart(info, now),
            trail=self._trail_page(info, max(1, page)),
        )

    def records(self, name: str) -> Iterator[TrailRecord]:
        """The model's whole trail, oldest first (the page's CSV and JSONL downloads)."""
        info = self.deps.registry.get_model(name)
        if info is None or self.deps.policy.rules_for(name) is None:
            return iter(())
        tags = archive.merged(self.deps.registry, info).tags
        return iter(trail(name, tags, self.deps.policy.display))

    # ---- the targets ---------------------------------------------------------------------

    def _targets(self, info: ModelInfo, now: datetime) -> tuple[TargetRow, ...]:
        keys = self.drift_scan.target_keys(info.name)
        rules = self.deps.policy.rules_for(info.name)
        findings = self.drift_scan.drift(info)
        locks = {lock.target: lock for lock in in_force(info.tags, now)}
        moves = state.events(info.tags)
        rows = []
        for key in keys:
            label = target_label(key)
            version = holder(info, _target(key))
            last = next((e for e in reversed(moves) if e.on(key)), None)
            row = TargetRow(key, label, version, lock=locks.get(label))
            if last is not None and last.version == version:
                row = _with_move(row, last.at, last.by, last.approved_by, last.request)
            elif version is not None and version in info.versions:
                tags = info.versions[version].tags
                at = state.maybe_time(tags.get("promoted_at"))
                row = _with_move(row, at, tags.get("requested_by", ""), tags.get("approved_by", ""))
            watch = current_watch(info.tags, key)
            rolled_back = last is not None and auto_rollback(last)
            failed = next(
                (
                    w
                    for w in reversed(watches(info.tags))
                    if w.state == "failed" and w.event.on(key)
                ),
                None,
            )
            if rolled_back and failed is not None:
                row = _with_watch(row, "failed", failed.detail, rolled_back=True)
            elif watch is not None:
                row = _with_watch(row, watch.state, watch.detail)
            rule = rules.targets.get(key) if rules else None
            frozen = freeze_in_force(rule, now) if rule else None
            rows.append(
                replace(
                    row,
                    drift=tuple(describe(f) for f in findings if f.target_key == key),
                    freeze=frozen[0].label if frozen else "",
                )
            )
        return tuple(rows)

    # ---- what waits -----------------------------------------------------------------------

    def _waiting(self, info: ModelInfo) -> list[Waiting]:
        asked = {r.id: r for r in state.open_requests(info.tags)}
        out = []
        for view in self.queries.pending(info):
            req = asked.get(view.request_id)
            if req is None:
                continue
            rule = self.deps.rule(info.name, req.action, req.target_key)
            missing = self._missing(info, view, req.actor, rule) if rule else ()
            out.append(Waiting(view, req.reason, missing, f"approve {view.request_id}"))
        return out

    def _missing(
        self, info: ModelInfo, view: PendingView, requester: str, rule: TargetRule
    ) -> tuple[str, ...]:
        """Per group still short: how many more, and who may give them (by the policy's
        names; a team or user group is named as written, not looked up)."""
        policy = self.deps.policy
        given = {policy.key_for(a.actor) for a in state.approvals(info.tags, view.request_id)}
        if not rule.self_approval:
            given.add(policy.key_for(requester))
        short: list[tuple[tuple[str, ...], int]]
        if view.quorum:
            short = [((q.group,), q.need - q.have) for q in view.quorum if not q.met]
        else:
            short = [(rule.approvers, view.approvals_required - view.approvals)]
        out = []
        for names, count in short:
            group = join_names(names, "and")
            people = sorted(policy.members(names) - given)
            people += list(policy.sources_for(names))
            who = join_names(people) if people else "nobody left who may"
            out.append(f"{count} more from {group}: {who}")
        return tuple(out)

    # ---- the chart ------------------------------------------------------------------------

    def _chart(self, info: ModelInfo, now: datetime) -> Chart | None:
        found = newest_watch(info.tags)
        if found is None:
            return None
        watch = found.watch
        start, end, step = chart_window(watch, now)
        lines = []
        for check in watch.plan.get("checks") or ():
            series = self.deps.prometheus.query_range(str(check.get("query")), start, end, step)
            lines.append(
                ChartLine(
                    name=str(check.get("name", "")),
                    query=str(check.get("query", "")),
                    op=str(check.get("op", "")),
                    threshold=float(check.get("threshold") or 0),
                    shown=str(check.get("shown", check.get("threshold"))),
                    points=series.points,
                    problem=series.problem,
                )
            )
        return Chart(
            target=watch.event.target_label,
            version=watch.version,
            state=watch.state,
            started=watch.started,
            ended=watch.ended_at,
            rollback_at=found.rollback.at if found.rollback else None,
            start=start,
            end=end,
            lines=tuple(lines),
        )

    # ---- the trail ------------------------------------------------------------------------

    def _trail_page(self, info: ModelInfo, page: int) -> TrailPage:
        """Newest first. The first page comes from the model alone when every record on
        it is newer than the ledger's mark (nothing archived sorts before them); other
        pages read the ledger too."""
        display = self.deps.policy.display
        records = trail(info.name, info.tags, display)
        mark = state.ledger_mark(info.tags)
        wanted = page * PER_PAGE + 1
        if mark is not None and not _all_newer(records[-wanted:], wanted, mark):
            records = trail(info.name, archive.merged(self.deps.registry, info).tags, display)
        newest = records[::-1]
        shown = newest[(page - 1) * PER_PAGE : page * PER_PAGE]
        return TrailPage(tuple(shown), page, len(newest) > page * PER_PAGE)


def _all_newer(records: list[TrailRecord], wanted: int, mark: int) -> bool:
    return len(records) >= wanted and all(
        r.at is not None and r.at.timestamp() * 1000 > mark for r in records
    )


def _target(key: str) -> Target:
    if key.startswith("@"):
        return Target("alias", key[1:])
    return Target("stage", target_label(key))


def _with_move(
    row: TargetRow, at: datetime | None, by: str, approved: str, request: str = ""
) -> TargetRow:
    return replace(row, since=at, asked_by=by, approved_by=approved, request=request)


def _with_watch(row: TargetRow, found: str, detail: str, *, rolled_back: bool = False) -> TargetRow:
    return replace(row, verification=found, verification_detail=detail, rolled_back=rolled_back)


def _pending_count(info: ModelInfo, now: datetime) -> int:
    return sum(1 for r in state.open_requests(info.tags) if r.expires_at >= now)
