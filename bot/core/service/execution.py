"""Execution: the only place that moves versions.

The history event is the execution's intent: written first, it holds everything the
execution writes and removes (state.version_tags_of derives the version tags from it, and it
lists the stale tags the version sheds). The request's outcome is the last write and
closes it. Every step between is idempotent, so the next command on the target finishes
(rolls forward) what a dead process began, without writing anything twice. The new
version goes in before the old one goes out: one MLflow call moves the stage and
archives the previous holder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.core import events, state
from bot.core.events import with_replies
from bot.core.ports.registry import ModelInfo, Registry, VersionInfo
from bot.core.results import DONE, REFUSED, MoveResult
from bot.core.service.common import STAGE_ALIASES, Context, Deps, already, holder, target_of, uri
from bot.core.service.compact_on_write import Compactor
from bot.core.service.deployments import Deployments
from bot.core.service.drift import find_drift
from bot.core.service.drift_scan import keep_finding
from bot.core.service.proposal import Reads
from bot.core.state import HistoryEvent


@dataclass(frozen=True)
class Execution:
    """A request about to be carried out, and the approvals that let it."""

    req: state.Request
    approvers: list[str]
    reads: Reads


class Executor:
    def __init__(
        self, deps: Deps, deployments: Deployments, compactor: Compactor | None = None
    ) -> None:
        self.deps = deps
        self.deployments = deployments
        self.compactor = compactor

    def execute(
        self, run: Execution, base: MoveResult, read_under_lock: ModelInfo | None
    ) -> MoveResult:
        """Carry out a request under the target's lock. `read_under_lock`: the caller
        holds the lock already, and this is the model as it read it under the lock."""
        req = run.req
        if read_under_lock is not None:
            return self._execute_locked(run, base, read_under_lock)
        with self.deps.registry.mutex(state.mutex_bucket(*req.mutex_key), *req.mutex_key):
            info = self.deps.registry.get_model(req.model)
            if info is None:
                return self.fail(base, req, f"model {req.model} no longer exists")
            info = self.recover(info, req.target_key, locked=True)
            return self._execute_locked(run, base, info)

    def _execute_locked(self, run: Execution, base: MoveResult, info: ModelInfo) -> MoveResult:
        req = run.req
        target = target_of(req)
        done = state.outcome(info.tags, req.id)
        if done is not None and done.state == "done":
            return already(
                base,
                uri=uri(req.model, target),
                message=f"{req.id} was already carried out; nothing changed.",
            )
        if done is not None:
            # Closed otherwise (denied, expired, failed) before the lock was ours: one
            # outcome per request, so nothing moves and the outcome stands.
            by = f" by {done.by}" if done.by else ""
            return replace(
                base,
                status=REFUSED,
                reasons=(*base.reasons, f"{req.id} was {done.state}{by}; nothing moved."),
            )
        version = run.reads.version(info, req.version)
        if (
            version is None
            or (version.run_id or None) != req.run_id
            or version.source != req.source
        ):
            why = (
                f"v{req.version} was deleted"
                if version is None
                else f"v{req.version} is no longer the version that was requested "
                "(its run or source changed)"
            )
            return self.fail(base, req, f"{why}; nothing was promoted")
        digest = None
        if self.deps.receipts:
            # The files are what was asked for (and what CI registered), or nothing moves.
            digest = self.deps.registry.artifact_digest(req.model, req.version)
            expected = req.artifact_digest or version.tags.get(state.ARTIFACT_DIGEST_TAG)
            if expected and expected != digest:
                return self.fail(
                    base,
                    req,
                    f"the files of v{req.version} changed since it was "
                    f"{'requested' if req.artifact_digest else 'registered'} ({expected} "
                    f"then, {digest} now); nothing was promoted",
                )
        current = holder(info, target)
        if current == req.version and not req.repair:
            self.mark(req, "done", "promobot", f"v{req.version} already held it")
            return already(
                base,
                uri=uri(req.model, target),
                message=f"v{req.version} already holds {target.label}.",
            )
        # What held the target behind promobot's back goes into the trail before this
        # changes it (unless an audit recorded it already), so it stays there once put
        # right.
        drifted = find_drift(info, [req.target_key])
        keep_finding(self.deps, info, req.target_key, drifted, req.action)
        # A repair records the holder it finds: nothing is moved out.
        replaced = None if req.repair else current
        event = self._event(run, info, version, replaced, self.deps.clock(), digest)
        self.apply(req.model, event, description=version.description)
        if self.compactor is not None:
            # On a thread of its own, holding no mutex: the answer does not wait for it.
            self.compactor.after_write(info)
        done = replace(
            base,
            status=DONE,
            request_id=req.id,
            replaced_version=replaced,
            approved_by=tuple(self.deps.policy.display(a) for a in run.approvers),
            approval_comments=dict(event.comments),
            approvals=len(run.approvers),
            uri=uri(req.model, target),
            asked_in=req.channel,
            link=req.link,
        )
        # GitHub's release record, still under the lock; the event then carries it.
        done = with_replies(done, self.deployments.record(done))
        return self.deps.publish(events.EXECUTED, done, Context(req.actor, req.channel, req.link))

    def _event(
        self,
        run: Execution,
        info: ModelInfo,
        version: VersionInfo,
        current: int | None,
        now: datetime,
        digest: str | None,
    ) -> HistoryEvent:
        """The history event of this execution, holding everything it writes, so that it
        is also the intent a later command finishes if this process dies half way.
        `digest`: the version's files' digest, when receipts are signed."""
        req, policy = run.req, self.deps.policy
        target = target_of(req)
        by = policy.display(req.actor)
        approved = ", ".join(policy.display(a) for a in run.approvers)
        # What each approver said goes with the event (history) and the description line.
        said = {a.actor: a.comment for a in state.approvals(info.tags, req.id)}
        notes = [(policy.display(a), said.get(a, "")) for a in run.approvers]
        reason = req.reason
        if req.action == "rollback":
            reason = (
                f"rollback: {req.reason}"
                if req.reason
                else (f"rollback: from v{current}" if current else "rollback")
            )
        # The gated metrics of the target's promotion rule (the example line in
        # docs/contract.md), else the first two.
        rule = self.deps.rule(req.model, "promote", req.target_key)
        gated = [g.metric for g in rule.metrics] if rule else []
        metrics = run.reads.metrics(version)
        line = state.description_line(now, target.label, (by, notes), reason, metrics, gated)
        replaced = run.reads.version(info, current) if current is not None else None
        key = state.event_key(now, req.id)
        receipt = (
            self._seal(run, info, version, digest)
            # A repair records a holder promobot did not put there: no receipt vouches for it.
            if self.deps.receipts and not req.repair
            else None
        )
        return HistoryEvent(
            kind=req.action,
            target_key=req.target_key,
            target_label=target.label,
            target_kind=target.kind,
            target_name=target.name,
            version=version.version,
            previous=current,
            by=by,
            actor=req.actor,
            approved_by=approved,
            comments=tuple((name, note) for name, note in notes if note),
            at=now,
            reason=reason,
            request=req.id,
            channel=req.channel or "cli",
            link=req.link,
            line=line,
            stale_aliases=tuple(
                a
                for a in STAGE_ALIASES
                if a != target.alias and info.aliases.get(a) == version.version
            ),
            rollback_reason=req.reason if req.action == "rollback" else None,
            # Read under the lock like the aliases above, and kept in the intent: a version
            # moved back in sheds the tags of its move out (docs/contract.md).
            stale_tags=state.stale_tags(req.link, version.tags),
            verify=(
                rule.verify.plan(req.model, version.version, req.target_key)
                if rule is not None and rule.verify is not None
                else None
            ),
            ends_verification=(
                replaced is not None and replaced.tags.get("verification") == "running"
            ),
            key=key,
            receipt=receipt,
        )

    def _seal(
        self, run: Execution, info: ModelInfo, version: VersionInfo, digest: str | None
    ) -> dict[str, Any]:
        """What this execution's receipt needs beyond its event (bot/core/state/signed.py):
        the version's files and their digest, the request's and the policy's digests, and
        the channel of each approval that counted."""
        req, policy = run.req, self.deps.policy
        channels = {a.actor: a.channel for a in state.approvals(info.tags, req.id)}
        decided_by = self.deps.rule(req.model, req.action, req.target_key)
        return state.seal(
            req.raw or req.to_json(),
            model=req.model,
            files=(version.run_id, version.source, digest),
            policy_digest=state.text_digest(repr(decided_by)),
            approvals=[(policy.display(a), channels.get(a, "")) for a in run.approvers],
        )

    def apply(
        self,
        model: str,
        event: HistoryEvent,
        *,
        description: str | None = None,
        resume: bool = False,
    ) -> None:
        """Carry out an execution from its event (`resume`: the event is written already).

        Three rounds: the event (the intent), then every write between it and the
        outcome at once (none reads what another writes, and each is idempotent), then
        the outcome. A crash inside the middle round leaves some of them done: the next
        command finds the event still open and makes them all again."""
        registry = self.deps.registry
        if not resume:
            registry.set_model_tag(model, event.key, event.to_tag())
        stages = self.deps.policy.stages
        registry.at_once(middle_writes(registry, model, event, description, stages=stages))
        registry.set_model_tag(
            model, state.state_key(event.request), state.dumps(state.done_outcome(event))
        )

    def recover(self, info: ModelInfo, target_key: str, *, locked: bool) -> ModelInfo:
        """Finish an execution a dead process left half done, before deciding anything
        about the target it touched. `locked`: the caller holds the target's lock."""
        if state.inflight(info.tags, target_key) is None:
            return info
        registry = self.deps.registry
        if locked:
            self._roll_forward(info, target_key)
        else:
            with registry.mutex(state.mutex_bucket(info.name, target_key), info.name, target_key):
                fresh = registry.get_model(info.name) or info
                self._roll_forward(fresh, target_key)
        return registry.get_model(info.name) or info

    def _roll_forward(self, info: ModelInfo, target_key: str) -> None:
        event = state.inflight(info.tags, target_key)
        if event is None:
            return
        if self.deps.registry.get_version(info.name, event.version) is None:
            # Its version was deleted since: nothing left to finish. Close the request
            # (the event then drops out of the history) and let the target go on, rather
            # than failing every later command.
            self.deps.registry.set_model_tag(
                info.name,
                state.state_key(event.request),
                state.outcome_record(
                    "failed",
                    "promobot",
                    self.deps.clock(),
                    f"v{event.version} was deleted before it was in place",
                ),
            )
            return
        self.apply(info.name, event, resume=True)

    def mark(self, req: state.Request, status: str, by: str, detail: str) -> None:
        """Close a request: its outcome record."""
        self.deps.registry.set_model_tag(
            req.model,
            state.state_key(req.id),
            state.outcome_record(status, by, self.deps.clock(), detail),
        )

    def fail(self, base: MoveResult, req: state.Request, why: str) -> MoveResult:
        self.mark(req, "failed", "promobot", why)
        reason = f"{req.id} cannot be carried out: {why}."
        return replace(base, status=REFUSED, reasons=(*base.reasons, reason))


def middle_writes(
    registry: Registry,
    model: str,
    event: HistoryEvent,
    description: str | None,
    *,
    stages: bool = True,
) -> list[Callable[[], None]]:
    """The writes between an execution's intent and its outcome, one call each.

    The stage move archives the previous holder in the same call, so the target is never
    empty; the mirrored alias, the audit tags of both versions and the description line
    touch other rows, and MLflow's SQL stores update only the columns a call names.
    `stages` False: the registry has none (`registry: {stages: false}`), so no stage is
    moved, not even by a stage move begun before the switch and finished now: its
    mirrored alias is what serves."""
    version = event.version
    name = event.target_name
    writes: list[Callable[[], None]] = []
    if event.target_kind == "stage":
        if stages:
            writes.append(lambda: registry.move_stage(model, version, name))
        writes.append(lambda: registry.set_alias(model, name.lower(), version))
        for alias in event.stale_aliases:
            writes.append(lambda a=alias: registry.delete_alias(model, a))
    else:
        writes.append(lambda: registry.set_alias(model, name, version))
    new_tags, old_tags = state.version_tags_of(event)
    for tag, value in new_tags.items():
        writes.append(lambda t=tag, v=value: registry.set_version_tags(model, version, {t: v}))
    # Events written before they carried the list have none to remove.
    for tag in event.stale_tags or ():
        writes.append(lambda t=tag: registry.delete_version_tag(model, version, t))
    if event.previous is not None:
        previous = event.previous
        for tag, value in old_tags.items():
            writes.append(lambda t=tag, v=value: registry.set_version_tags(model, previous, {t: v}))
    line = event.line
    writes.append(lambda: registry.append_description(model, version, line, description))
    return writes
