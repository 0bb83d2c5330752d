"""The reading use cases: status, history, policy, and a request as it stands now. They
write nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.core import state
from bot.core.commands import History, PolicyExplain, Status
from bot.core.policy import Membership, explain, lookups, model_sources
from bot.core.policy.quorum import QuorumCount
from bot.core.ports.registry import ModelInfo, VersionInfo
from bot.core.results import (
    DONE,
    REFUSED,
    ApprovalView,
    HistoryEntry,
    HistoryResult,
    Holder,
    MoveResult,
    PendingView,
    PolicyResult,
    StatusResult,
)
from bot.core.service import archive
from bot.core.service.common import STAGE_ALIASES, Deps, no_model
from bot.core.service.drift_scan import DriftScan
from bot.core.service.membership import resolve
from bot.core.service.proposal import Reads
from bot.core.service.requests import Requests
from bot.core.service.target_locks import in_force
from bot.core.service.verification import Verifier
from bot.core.state.drift import OUTSIDE_PROMOBOT, Finding, describe
from bot.core.state.watch import current_watch, watches

STAGES_SHOWN = ("Production", "Staging")


class Queries:
    def __init__(self, deps: Deps, requests: Requests, drift_scan: DriftScan) -> None:
        self.deps = deps
        self.requests = requests
        self.drift_scan = drift_scan
        self.verifier: Verifier | None = None  # set by the Service facade

    def status(self, cmd: Status, reads: Reads) -> StatusResult:
        info = self.deps.registry.get_model(cmd.model)
        if info is None:
            return StatusResult(status=REFUSED, model=cmd.model, reasons=(no_model(cmd.model),))
        return StatusResult(
            status=DONE,
            model=cmd.model,
            holders=tuple(self._holders(info, reads)),
            pending=tuple(self._pending(info)),
            drift=tuple(self.drift_scan.drift(info)),
            verifications=tuple(self.verifier.running(info) if self.verifier else ()),
            locks=tuple(in_force(info.tags, self.deps.clock())),
            message=self._stages_left(info),
            extra={
                "latest_version": info.latest_version,
                "aliases": dict(sorted(info.aliases.items())),
            },
        )

    def _holders(self, info: ModelInfo, reads: Reads) -> list[Holder]:
        """What holds each stage and alias: Production and Staging, then the aliases but
        their mirrors; without stages (`registry: {stages: false}`) the aliases only,
        @production and @staging first, whatever stages the registry still shows."""
        if self.deps.policy.stages:
            places = [(s, info.stage_latest[s]) for s in STAGES_SHOWN if s in info.stage_latest]
            shown: tuple[str, ...] = STAGE_ALIASES
        else:
            shown = ("production", "staging")
            places = [(f"@{a}", info.aliases[a]) for a in shown if a in info.aliases]
        places += [(f"@{a}", n) for a, n in sorted(info.aliases.items()) if a not in shown]
        return [_holder_view(label, reads.version(info, number)) for label, number in places]

    def _stages_left(self, info: ModelInfo) -> str:
        """The one line a registry that dropped its stages reads while MLflow still shows
        some: what promobot does now, and what it leaves alone."""
        left = [f"{s} v{info.stage_latest[s]}" for s in STAGES_SHOWN if s in info.stage_latest]
        if self.deps.policy.stages or not left:
            return ""
        return (
            "This registry has no stages now (`registry: {stages: false}`): promobot moves "
            f"aliases only and leaves the stages MLflow still shows ({', '.join(left)}) as "
            f"they are; deployment code loads `models:/{info.name}@production`."
        )

    def pending(self, info: ModelInfo) -> list[PendingView]:
        """The model's open requests as `status` shows them (the release board too)."""
        return self._pending(info)

    def _pending(self, info: ModelInfo) -> list[PendingView]:
        now = self.deps.clock()
        views = []
        looked_up: dict[str, Membership] = {}  # one lookup per rule in this command
        for req in state.open_requests(info.tags):
            if req.expires_at < now:
                continue
            rule = self.deps.rule(req.model, req.action, req.target_key)
            given = {a.actor: a for a in state.approvals(info.tags, req.id)}
            counted: list[str] = []
            quorum: tuple[QuorumCount, ...] = ()
            if rule is not None:
                key = f"{req.action} {req.target_key}"
                if key not in looked_up:
                    looked_up[key] = self.deps.membership(rule)
                counted = self.requests.counted(info, req, rule, looked_up[key])
                quorum = self.requests.quorum(info, req, rule, looked_up[key])
            views.append(
                PendingView(
                    request_id=req.id,
                    action=req.action,
                    version=req.version,
                    target=req.target_label,
                    requested_by=self.deps.policy.display(req.actor),
                    approvals=len(counted),
                    approvals_required=rule.approvals if rule else 0,
                    expires_at=req.expires_at,
                    approved_by=tuple(
                        ApprovalView(self.deps.policy.display(a), given[a].at, given[a].comment)
                        for a in counted
                        if a in given
                    ),
                    quorum=quorum,
                )
            )
        return views

    def history(self, cmd: History) -> HistoryResult:
        info = self.deps.registry.get_model(cmd.model)
        if info is None:
            return HistoryResult(status=REFUSED, model=cmd.model, reasons=(no_model(cmd.model),))
        shown = _drift_entries(self.drift_scan.drift(info))
        wanted = max(0, cmd.limit - len(shown))
        entries = _entries(info)
        mark = state.ledger_mark(info.tags)
        if mark is not None and not _on_model(entries[:wanted], wanted, mark):
            # Older entries may be in the ledger: read it, page by page, all of it (its
            # pages are in the order they were written, not the order things happened).
            entries = _entries(archive.merged(self.deps.registry, info))
        shown += entries[:wanted]
        return HistoryResult(status=DONE, model=cmd.model, history=tuple(shown))

    def explain_policy(self, cmd: PolicyExplain) -> PolicyResult:
        sources = model_sources(self.deps.policy, cmd.model)
        membership = resolve(self.deps.directory, sources)
        lines = explain(self.deps.policy, cmd.model, membership)
        if lines is None:
            return PolicyResult(
                status=REFUSED,
                model=cmd.model,
                reasons=(
                    f"No policy names model `{cmd.model}`, so every command on it is refused. "
                    "Add an entry under `models:` in a file in policies/.",
                ),
            )
        found = {"lookups": lookups(self.deps.policy, membership, sources)} if sources else {}
        return PolicyResult(
            status=DONE,
            model=cmd.model,
            explanation=tuple((label, tuple(said)) for label, said in lines),
            extra=found,
        )

    def versions(self, model: str) -> list[VersionInfo]:
        """Every version of a model, oldest first (the demo's closing table)."""
        info = self.deps.registry.get_model(model)
        latest = info.latest_version if info else None
        found = (self.deps.registry.get_version(model, n) for n in range(1, (latest or 0) + 1))
        return [v for v in found if v is not None]

    def version_for_commit(self, model: str, sha: str) -> int | None:
        """The newest version registered from a commit (a pull request's head)."""
        found = self.deps.registry.versions_for_commit(model, sha)
        return found[0] if found else None

    def request_view(self, request_id: str) -> MoveResult | None:
        """A request as it stands now, for a door or notifier that keeps a message about
        it up to date (bot/core/service/requests.py, `Requests.view`): it writes nothing.
        None when there is no such request."""
        return self.requests.view(request_id)


def _entries(info: ModelInfo) -> list[HistoryEntry]:
    """A model's history entries, newest first."""
    history = sorted(_history(info.name, info.tags), key=lambda e: e[0], reverse=True)
    entries = [entry for _, entry in history] + _verification_entries(info)
    # Stable: entries of the same moment keep the order they were written in.
    entries.sort(key=lambda h: h.at or datetime.min.replace(tzinfo=UTC), reverse=True)
    return entries


def _on_model(first: list[HistoryEntry], wanted: int, mark: int) -> bool:
    """Whether the newest `wanted` entries are all newer than the ledger's mark: then no
    archived entry (none is newer than the mark) comes before them."""
    return len(first) >= wanted and all(
        e.at is not None and e.at.timestamp() * 1000 > mark for e in first
    )


def _drift_entries(findings: list[Finding]) -> list[HistoryEntry]:
    """The changes promobot did not make, newest of all: they hold now."""
    return [
        HistoryEntry(
            at=None,
            kind=f"drift:{f.kind}",
            target=f.target,
            version=f.holder or 0,
            previous=f.recorded,
            by=OUTSIDE_PROMOBOT,
            approved_by="",
            reason=describe(f),
            request_id="",
        )
        for f in findings
        if f.kind != "mirror"
    ]


def _history(model: str, tags: dict[str, str]) -> list[tuple[tuple[int, int], HistoryEntry]]:
    """Every entry of a model's history with the order it happened in: promotions and
    rollbacks (with their approvers' comments), denials (with their reasons), the locks
    and unlocks of its targets, and the drift promobot found (kept once put right)."""
    found = [
        (
            state.sequence(ev.key),
            HistoryEntry(
                at=ev.at,
                kind=ev.kind,
                target=ev.target_label,
                version=ev.version,
                previous=ev.previous,
                by=ev.by,
                approved_by=ev.approved_by,
                reason=ev.reason,
                request_id=ev.request,
                comments=ev.comments,
            ),
        )
        for ev in state.events(tags)
    ]
    for lock in state.target_locks(tags):
        entry = HistoryEntry(
            lock.at, lock.kind, lock.target_label, None, None, lock.by, "", lock.reason, ""
        )
        found.append((state.sequence(lock.key), replace(entry, until=lock.until)))
    for drift in state.drift_records(model, tags):
        first = drift.primary
        entry = HistoryEntry(
            at=drift.at,
            kind=f"drift-found:{first.kind}",
            target=drift.target,
            version=first.holder,
            previous=first.recorded,
            by=OUTSIDE_PROMOBOT,
            approved_by="",
            reason=drift.reason,
            request_id="",
        )
        found.append((state.sequence(drift.key), entry))
    for req in state.requests(tags):
        ended = state.outcome(tags, req.id)
        if ended is None or ended.state != "denied":
            continue
        entry = HistoryEntry(
            at=ended.at,
            kind="deny",
            target=req.target_label,
            version=req.version,
            previous=None,
            by=ended.by,
            approved_by="",
            reason=ended.detail,
            request_id=req.id,
        )
        # An outcome keeps whole seconds: it sorts before what else happened in its second.
        at_ms = int(ended.at.timestamp() * 1000) if ended.at else 0
        found.append(((at_ms, 0), entry))
    return found


def _holder_view(label: str, version: VersionInfo | None) -> Holder:
    if version is None:
        return Holder(target=label, version=0)
    tags = version.tags
    return Holder(
        target=label,
        version=version.version,
        promoted_at=tags.get("promoted_at", ""),
        promoted_by=tags.get("requested_by", ""),
        approved_by=tags.get("approved_by", ""),
    )


def _verification_entries(info: ModelInfo) -> list[HistoryEntry]:
    """Each verification's outcome. One that never ended on its own was ended by the
    next execution on its target."""
    entries = []
    current = {
        w.request
        for key in {w.event.target_key for w in watches(info.tags)}
        if (w := current_watch(info.tags, key)) is not None
    }
    for watch in watches(info.tags):
        outcome = watch.state
        if outcome == "running" and watch.request in current:
            continue
        if outcome == "running":
            outcome = "ended"
        entries.append(
            HistoryEntry(
                at=watch.ended_at or watch.last_run or watch.started,
                kind=f"verification:{outcome}",
                target=watch.event.target_label,
                version=watch.version,
                previous=None,
                by="promobot",
                approved_by="",
                reason=watch.detail or f"verification {outcome}",
                request_id=watch.request,
            )
        )
    return entries
