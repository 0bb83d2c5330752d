"""Promote and rollback: resolve the version, decide, then ask for approvals, carry the
move out at once, or refuse."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

from bot.core import events, state
from bot.core.commands import Promote, Rollback, VersionSpec
from bot.core.policy import QuorumCount, unnamed_target
from bot.core.ports.registry import ModelInfo, VersionInfo
from bot.core.results import DONE, PENDING, REFUSED, Action, MoveResult, NextStep
from bot.core.service import archive
from bot.core.service.common import (
    Context,
    Deps,
    already,
    holder,
    no_model,
    reason_problem,
    refused,
    uri,
)
from bot.core.service.deciding import Assessment, assess
from bot.core.service.drift_scan import DriftScan
from bot.core.service.execution import Execution, Executor
from bot.core.service.proposal import Proposal, Reads
from bot.core.service.target_locks import held
from bot.core.state.drift import Finding, describe


class Moves:
    def __init__(self, deps: Deps, executor: Executor, drift_scan: DriftScan) -> None:
        self.deps = deps
        self.executor = executor
        self.drift_scan = drift_scan

    def promote(self, cmd: Promote, ctx: Context, reads: Reads) -> MoveResult:
        base = _base(Action.PROMOTE, cmd.model, cmd.target.label, cmd.reason, cmd.dry_run)
        if cmd.version is None:
            return refused(
                base,
                f"Which version? Write it after the model: "
                f"`promote {cmd.model} v3 {cmd.target.key}`.",
            )
        if problem := reason_problem(cmd.reason):
            return refused(base, problem)
        with self._mutex_first(cmd.model, "promote", cmd.target.key, cmd.dry_run) as locked:
            info = self.deps.registry.get_model(cmd.model)
            if info is None:
                return refused(base, no_model(cmd.model))
            version, problem = resolve(reads, info, cmd.version)
            if version is None:
                return refused(base, problem)
            base = replace(base, version=version.version)
            info = self.executor.recover(info, cmd.target.key, locked=locked)
            current = holder(info, cmd.target)
            drifted = self._drift(info, cmd.target.key)
            # A target promobot never moved is adopted by its first promotion; one whose
            # recorded holder was changed behind its back must be put right first.
            blocking = [f for f in drifted if f.recorded is not None]
            if blocking and version.version != current:
                return refused(base, *(_drift_refusal(f) for f in blocking))
            repair = bool(drifted) and version.version == current
            now = self.deps.clock()
            proposal = Proposal(
                "promote", info, version, cmd.target, ctx, cmd.reason, now, current, repair
            )
            return self._decide_and_act(proposal, base, reads, locked)

    def rollback(self, cmd: Rollback, ctx: Context, reads: Reads) -> MoveResult:
        base = _base(Action.ROLLBACK, cmd.model, cmd.target.label, cmd.reason, cmd.dry_run)
        if problem := reason_problem(cmd.reason):
            return refused(base, problem)
        rules = self.deps.policy.rules_for(cmd.model)
        if rules is not None and rules.rollback is not None:
            # Fail closed before any history is read: a rollback onto a target the policy
            # does not govern would make it (a new alias), as no promotion may.
            unnamed = unnamed_target(rules, cmd.model, cmd.target.key, "rollback")
            if unnamed is not None:
                return refused(base, unnamed[0])
        with self._mutex_first(cmd.model, "rollback", cmd.target.key, cmd.dry_run) as locked:
            info = self.deps.registry.get_model(cmd.model)
            if info is None:
                return refused(base, no_model(cmd.model))
            interrupted = state.inflight(info.tags, cmd.target.key)
            info = self.executor.recover(info, cmd.target.key, locked=locked)
            current = holder(info, cmd.target)
            if (
                cmd.to_version is None
                and interrupted is not None
                and interrupted.kind == "rollback"
                and interrupted.version == current
            ):
                # A rollback cut short (MLflow went away) was just finished by this
                # command: that is what the person retrying it asked for, not one more
                # step back.
                return already(
                    base,
                    version=current,
                    request_id=interrupted.request or None,
                    uri=uri(cmd.model, cmd.target),
                    message=f"The interrupted rollback is now complete: v{current} holds "
                    f"{cmd.target.label}; nothing further changed.",
                )
            drifted = self._drift(info, cmd.target.key)
            version, problem = self._rollback_version(cmd, reads, info, (current, drifted))
            if version is None:
                return refused(base, problem)
            base = replace(base, version=version.version)
            repair = bool(drifted) and version.version == current
            now = self.deps.clock()
            proposal = Proposal(
                "rollback", info, version, cmd.target, ctx, cmd.reason, now, current, repair
            )
            return self._decide_and_act(proposal, base, reads, locked)

    def _drift(self, info: ModelInfo, target_key: str) -> list[Finding]:
        return [f for f in self.drift_scan.drift(info) if f.target_key == target_key]

    def _rollback_version(
        self,
        cmd: Rollback,
        reads: Reads,
        info: ModelInfo,
        now: tuple[int | None, list[Finding]],
    ) -> tuple[VersionInfo | None, str]:
        """The version a rollback restores: the one named after `to`, if promobot ever
        put it on the target; on a drifted target, what promobot last recorded there;
        else the one before the holder."""
        current, drifted = now
        if cmd.to_version is not None:
            version, problem = resolve(reads, info, cmd.to_version)
            if version is None or (version.version == current and not drifted):
                return version, problem  # nothing to restore: "already holds" says so
            if self.deps.rule(info.name, "rollback", cmd.target.key) is None:
                return version, problem  # no rollback rule: the decision refuses it
            held = state.held_versions(info.tags, cmd.target.key)
            if version.version not in held and state.ledger_mark(info.tags) is not None:
                full = archive.merged(self.deps.registry, info)  # older moves, archived
                held = state.held_versions(full.tags, cmd.target.key)
            if version.version not in held:
                return None, _never_held(cmd, version.version, held)
            return version, ""
        recorded = drifted[0].recorded if drifted else None
        if recorded is not None:
            version = reads.version(info, recorded)
            return (version, "") if version else (None, f"v{recorded} no longer exists.")
        number = state.rollback_candidate(info.tags, cmd.target.key, current)
        if number is None and state.ledger_mark(info.tags) is not None:
            # The target's newest events found nothing to restore: its older ones may.
            full = archive.merged(self.deps.registry, info)
            number = state.rollback_candidate(full.tags, cmd.target.key, current)
        version = reads.version(info, number) if number else None
        if version is None:
            return None, (
                f"promobot has no record of a version that held {cmd.target.label} "
                f"before {'v' + str(current) if current else 'now'}; name the one to "
                f"restore: `rollback {cmd.model} {cmd.target.key} to v2`."
            )
        return version, ""

    @contextmanager
    def _mutex_first(
        self, model: str, action: str, target_key: str, dry_run: bool
    ) -> Iterator[bool]:
        """Hold the target's lock for the whole command when it will execute at once (the
        rule asks for no approval): then the command's one read of the model is also the
        read the execution works from, instead of a read, the lock and a re-read. Yields
        whether the lock is held. A refusal then costs the lock's two calls; a dry run
        and a target that needs approval take no lock (they move nothing)."""
        rule = self.deps.rule(model, action, target_key)
        if dry_run or rule is None or rule.approvals > 0:
            yield False
            return
        with self.deps.registry.mutex(state.mutex_bucket(model, target_key), model, target_key):
            yield True

    def _decide_and_act(
        self, proposal: Proposal, base: MoveResult, reads: Reads, locked: bool
    ) -> MoveResult:
        """Nothing to do, or the policy's decision and what follows from it."""
        if proposal.current == proposal.version.version and not proposal.repair:
            return already(
                base,
                uri=uri(proposal.model, proposal.target),
                message=f"v{proposal.version.version} already holds {proposal.target.label}; "
                "nothing changed.",
            )
        assessment = assess(self.deps, reads, proposal)
        # A lock people put on the target refuses it (a rollback, only if its rule says so).
        assessment = replace(assessment, decision=held(self.deps, proposal, assessment.decision))
        decision = assessment.decision
        base = replace(
            base,
            checks=decision.checks,
            metrics=tuple(assessment.metrics),
            replaced_version=proposal.current,
            requested_by=self.deps.policy.display(proposal.ctx.actor),
            approvals_required=decision.approvals_required,
            approvers=decision.approvers,
        )
        if decision.outcome == "refused":
            return replace(base, reasons=tuple(decision.reasons))
        request = self._request(proposal, decision.expires_at or proposal.now)
        if decision.outcome == "needs_approval":
            rule = decision.rule
            quorum = tuple(QuorumCount(g, 0, n) for g, n in (rule.quorum if rule else ()))
            return self._ask(proposal, replace(base, quorum=quorum), request, assessment)
        if base.dry_run:
            return replace(
                base,
                status=DONE,
                message=(
                    f"Dry run: v{proposal.version.version} would move to "
                    f"{proposal.target.label}"
                    f"{f' (replacing v{proposal.current})' if proposal.current else ''}; "
                    "nothing was written."
                ),
            )
        run = Execution(request, [], reads)
        base = replace(base, request_id=request.id)
        return self.executor.execute(run, base, proposal.info if locked else None)

    def _request(self, proposal: Proposal, expires_at: datetime) -> state.Request:
        info, target, ctx = proposal.info, proposal.target, proposal.ctx
        bucket = state.mutex_bucket(info.name, target.key)
        request_id = self.deps.new_id(bucket)
        for _ in range(8):  # unique on its model (1 in 16.7 million to need a second try)
            if not state.has_request(info.tags, request_id):
                break
            request_id = self.deps.new_id(bucket)
        return state.Request(
            id=request_id,
            action=proposal.action,
            model=info.name,
            version=proposal.version.version,
            target_key=target.key,
            target_label=target.label,
            target_kind=target.kind,
            actor=ctx.actor,
            reason=proposal.reason,
            created_at=proposal.now,
            expires_at=expires_at,
            channel=ctx.channel,
            link=ctx.link,
            run_id=proposal.version.run_id,
            source=proposal.version.source,
            previous=None if proposal.repair else proposal.current,
            repair=proposal.repair,
        )

    def _ask(
        self,
        proposal: Proposal,
        base: MoveResult,
        request: state.Request,
        assessment: Assessment,
    ) -> MoveResult:
        """Record a request that waits for approvals (unless this is a dry run)."""
        decision = assessment.decision
        base = replace(
            base,
            status=PENDING,
            expires_at=decision.expires_at,
            next_steps=(approve_step(decision.approvers, request.id),),
        )
        if base.dry_run:
            return replace(base, message="Dry run: nothing was written.", request_id=None)
        if self.deps.receipts:
            # What the approvers see is what will be carried out: the files as they are now,
            # which must still be those CI registered.
            digest = self.deps.registry.artifact_digest(proposal.model, request.version)
            registered = proposal.version.tags.get(state.ARTIFACT_DIGEST_TAG)
            if registered and registered != digest:
                return replace(
                    base,
                    status=REFUSED,
                    request_id=None,
                    next_steps=(),
                    reasons=(
                        f"the files of v{request.version} changed since it was registered "
                        f"({registered} then, {digest} now): register it again",
                    ),
                )
            request = replace(request, artifact_digest=digest)
        base = replace(base, request_id=request.id, asked_in=request.channel, link=request.link)
        record = request.to_json()
        if assessment.compared:
            record["compared"] = assessment.compared
        self.deps.registry.set_model_tag(
            proposal.model, state.request_key(request.id), state.dumps(record)
        )
        return self.deps.publish(events.REQUEST_MADE, base, proposal.ctx)


def approve_step(approvers: tuple[str, ...], request_id: str, *, another: bool = False) -> NextStep:
    who = f"{'another member' if another else 'a member'} of {', '.join(approvers)}"
    return NextStep(who=who, command=f"approve {request_id}", click="" if another else "Approve")


def resolve(reads: Reads, info: ModelInfo, spec: VersionSpec) -> tuple[VersionInfo | None, str]:
    """The version a person named, or why there is none."""
    name = info.name
    number: int | None
    if spec.kind == "number":
        number = int(spec.value)
    elif spec.kind == "latest":
        number = info.latest_version
        if number is None:
            return None, f"{name} has no versions yet; register one first."
    elif spec.kind == "stage":
        number = info.stage_latest.get(spec.value)
        if number is None:
            return None, (
                f"No version of {name} is in {spec.value}; name a version "
                f"instead, e.g. `v{info.latest_version or 1}`."
            )
    else:
        number = info.aliases.get(spec.value)
        if number is None:
            known = ", ".join(f"@{a}" for a in sorted(info.aliases)) or "none"
            return None, (f"{name} has no alias @{spec.value} (aliases: {known}).")
    version = reads.version(info, number)
    if version is None:
        latest = info.latest_version
        return None, (
            f"{name} has no version {number}{f'; the latest is v{latest}' if latest else ''}."
        )
    return version, ""


def _never_held(cmd: Rollback, number: int, held: list[int]) -> str:
    """A rollback `to` a version promobot never put on the target: break-glass restores
    what was approved there before, it is no way to promote a version (it passes
    freezes and locks, and its rule may ask for no approval)."""
    label = cmd.target.label
    known = (
        f"promobot put {', '.join(f'v{n}' for n in held)} there"
        if held
        else "promobot has put no version there yet"
    )
    return (
        f"v{number} never held {label} through promobot, and a rollback restores only a "
        f"version that did ({known}). To put v{number} there, promote it: "
        f"`promote {cmd.model} v{number} {cmd.target.key} <reason>`."
    )


def _drift_refusal(finding: Finding) -> str:
    """A promotion onto a drifted target: the finding, and the two ways out."""
    ways = " or ".join(f"`{step.command}`" for step in finding.fixes)
    return f"{describe(finding)} Put {finding.target} right first: {ways}."


def _base(action: Action, model: str, target: str, reason: str, dry_run: bool) -> MoveResult:
    """A move as asked; refused until a step finds otherwise."""
    return MoveResult(
        status=REFUSED, action=action, model=model, target=target, reason=reason, dry_run=dry_run
    )
