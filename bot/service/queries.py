"""The reading use cases: status, history, policy, and a request as it stands now."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot import state
from bot.commands import History, PolicyExplain, Status
from bot.policy import explain
from bot.ports import ModelInfo, VersionInfo
from bot.results import DONE, PENDING, REFUSED, HistoryEntry, Holder, PendingView, Result
from bot.service.audit import Audit
from bot.service.common import STAGE_ALIASES, Context, Deps, no_model, target_of, uri
from bot.service.drift import describe
from bot.service.moves import approve_step
from bot.service.proposal import Reads
from bot.service.requests import Requests
from bot.service.verification import Verifier
from bot.state.watch import current_watch, watches


class Queries:
    def __init__(self, deps: Deps, requests: Requests, audit: Audit) -> None:
        self.deps = deps
        self.requests = requests
        self.audit = audit
        self.verifier: Verifier | None = None  # set by the Service facade

    def status(self, cmd: Status, reads: Reads) -> Result:
        base = Result(status=DONE, action="status", model=cmd.model)
        info = self.deps.registry.get_model(cmd.model)
        if info is None:
            return replace(base, status=REFUSED, reasons=[no_model(cmd.model)])
        for stage in ("Production", "Staging"):
            if stage in info.stage_latest:
                base.holders.append(
                    _holder_view(stage, reads.version(info, info.stage_latest[stage]))
                )
        for alias, number in sorted(info.aliases.items()):
            if alias not in STAGE_ALIASES:
                base.holders.append(_holder_view(f"@{alias}", reads.version(info, number)))
        base.extra["latest_version"] = info.latest_version
        base.extra["aliases"] = dict(sorted(info.aliases.items()))
        base.pending = self._pending(info)
        base.drift = self.audit.drift(info)
        if self.verifier is not None:
            base.verifications = self.verifier.running(info)
        return base

    def _pending(self, info: ModelInfo) -> list[PendingView]:
        now = self.deps.clock()
        views = []
        for req in state.open_requests(info.tags):
            if req.expires_at < now:
                continue
            rule = self.deps.rule(req.model, req.action, req.target_key)
            got = len(self.requests.counted(info, req, rule)) if rule else 0
            views.append(
                PendingView(
                    request_id=req.id,
                    action=req.action,
                    version=req.version,
                    target=req.target_label,
                    requested_by=self.deps.policy.display(req.actor),
                    approvals=got,
                    approvals_required=rule.approvals if rule else 0,
                    expires_at=req.expires_at,
                )
            )
        return views

    def history(self, cmd: History) -> Result:
        base = Result(status=DONE, action="history", model=cmd.model)
        info = self.deps.registry.get_model(cmd.model)
        if info is None:
            return replace(base, status=REFUSED, reasons=[no_model(cmd.model)])
        for finding in self.audit.drift(info):
            if finding.kind != "mirror":
                # The change promobot did not make, newest of all: it holds now.
                base.history.append(
                    HistoryEntry(
                        at=None,
                        kind=f"drift:{finding.kind}",
                        target=finding.target,
                        version=finding.holder or 0,
                        previous=finding.recorded,
                        by="outside promobot",
                        approved_by="",
                        reason=describe(finding),
                        request_id="",
                    )
                )
        entries = [*_verification_entries(info), *self._event_entries(info)]
        entries.sort(key=lambda h: h.at or datetime.min.replace(tzinfo=UTC), reverse=True)
        base.history.extend(entries[: max(0, cmd.limit - len(base.history))])
        return base

    def _event_entries(self, info: ModelInfo) -> list[HistoryEntry]:
        entries = []
        for ev in reversed(state.events(info.tags)):
            entries.append(
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
                )
            )
        return entries

    def explain_policy(self, cmd: PolicyExplain) -> Result:
        lines = explain(self.deps.policy, cmd.model)
        if lines is None:
            return Result(
                status=REFUSED,
                action="policy",
                model=cmd.model,
                reasons=[
                    f"No policy names model `{cmd.model}`, so every command on it is refused. "
                    "Add an entry under `models:` in a file in policies/."
                ],
            )
        return Result(status=DONE, action="policy", model=cmd.model, explanation=lines)

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

    def request_view(self, request_id: str, ctx: Context) -> Result | None:
        """A request as it stands now, for a door or notifier that keeps a message about
        it up to date: pending with the approvals so far, or how it ended (done, denied,
        expired, failed). A request whose time is up without a decision is closed as
        expired here, as approve and deny would. None when there is no such request."""
        base = Result(status=REFUSED, action="promote", request_id=request_id)
        found = self.requests.find(request_id, base)
        if found is None:
            return None
        info, req, rule = found
        self.requests.fill_from_request(base, req)
        base.action = req.action
        approvers = self.requests.counted(info, req, rule) if rule else []
        base.approvals = len(approvers)
        base.approved_by = [self.deps.policy.display(a) for a in approvers]
        done = state.outcome(info.tags, req.id)
        if done is not None and done.state == "done":
            return replace(base, status=DONE, uri=uri(req.model, target_of(req)))
        if done is not None and done.state == "denied":
            return replace(
                base,
                status=DONE,
                action="deny",
                approvals=0,
                approved_by=[],
                message=f"{req.id} denied by {done.by}"
                f"{': ' + done.detail if done.detail else ''}. "
                "Nothing was promoted.",
            )
        closed = self.requests.closed(info, req, base, ctx)
        if closed is not None:
            return closed
        base.status = PENDING
        base.approvals_required = rule.approvals if rule else 0
        base.approvers = rule.approvers if rule else ()
        base.expires_at = req.expires_at
        if rule is not None:
            base.next_steps = [approve_step(rule.approvers, req.id)]
        return base


def _verification_entries(info: ModelInfo) -> list[HistoryEntry]:
    """Each verification's outcome. One that never ended on its own was ended by the
    next execution on its target."""
    entries = []
    current = {
        w.request
        for key in {w.event.get("target_key") for w in watches(info.tags)}
        if (w := current_watch(info.tags, str(key))) is not None
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
                target=str(watch.event.get("target_label", "")),
                version=watch.version,
                previous=None,
                by="promobot",
                approved_by="",
                reason=watch.detail or f"verification {outcome}",
                request_id=watch.request,
            )
        )
    return entries


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
