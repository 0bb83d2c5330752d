"""The use cases: promote, approve, deny, rollback, status, history, policy, help.

Each takes who acts and a parsed command, and returns a Result. A person's failure
(not allowed, no such version) is a refused Result with sentences; only a broken
MLflow raises (RegistryError). No text is formatted for a channel here.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from bot import state
from bot.commands import (
    Approve,
    Command,
    Deny,
    Help,
    History,
    PolicyExplain,
    Promote,
    Rollback,
    Status,
    Target,
    VersionSpec,
    help_text,
)
from bot.policy import (
    Decision,
    Policy,
    RequestFacts,
    TargetRule,
    approval_check,
    decide,
    explain,
)
from bot.registry import ModelInfo, Registry, VersionInfo, dumps, loads, lock_bucket
from bot.results import (
    DONE,
    PENDING,
    REFUSED,
    HistoryEntry,
    Holder,
    MetricRow,
    PendingView,
    Result,
)

# A reason appears up to three times in an execution's event (its reason, the description
# line, a rollback's own reason) and once in the request and in the outcome, and a
# registered-model tag value holds at most 5,000 characters in MLflow's SQL stores
# (VARCHAR(5000); PostgreSQL enforces it). 500 keeps every one of them well inside; a
# longer story belongs in a linked document.
REASON_MAX = 500
STAGE_ALIASES = ("staging", "production", "archived")


@dataclass(frozen=True)
class Context:
    """Who acts, through which door, and where the conversation is."""

    actor: str
    channel: str = "cli"  # slack | github | cli | ci
    link: str = ""


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_request_id(bucket: str) -> str:
    """`req-`, the 4 hex digits naming the target's lock, and 6 random ones."""
    return f"req-{bucket}{secrets.token_hex(3)}"


class Service:
    def __init__(
        self,
        registry: Registry,
        policy: Policy,
        *,
        clock: Callable[[], datetime] = utcnow,
        new_id: Callable[[str], str] = new_request_id,
    ) -> None:
        self.registry = registry
        self.policy = policy
        self._memo = threading.local()
        self.clock = clock
        self.new_id = new_id

    # ---- dispatch --------------------------------------------------------------------

    def handle(self, command: Command, ctx: Context) -> Result:
        # Per-command memo of reads; thread-local because the Slack app shares one Service
        # between its worker threads.
        self._memo.__dict__.clear()
        match command:
            case Promote():
                return self.promote(command, ctx)
            case Rollback():
                return self.rollback(command, ctx)
            case Approve():
                return self.approve(command, ctx)
            case Deny():
                return self.deny(command, ctx)
            case Status():
                return self.status(command)
            case History():
                return self.history(command)
            case PolicyExplain():
                return self.explain_policy(command)
            case Help():
                return Result(status=DONE, action="help", text=help_text(command.topic))
        raise TypeError(f"unknown command {command!r}")  # pragma: no cover

    # ---- promote ---------------------------------------------------------------------

    def promote(self, cmd: Promote, ctx: Context) -> Result:
        base = Result(
            status=REFUSED,
            action="promote",
            model=cmd.model,
            target=cmd.target.label,
            reason=cmd.reason,
            dry_run=cmd.dry_run,
        )
        if cmd.version is None:
            base.reasons.append(
                f"Which version? Write it after the model: "
                f"`promote {cmd.model} v3 {cmd.target.key}`."
            )
            return base
        if problem := _reason_problem(cmd.reason):
            base.reasons.append(problem)
            return base
        with self._lock_first(cmd.model, "promote", cmd.target.key, cmd.dry_run) as locked:
            info = self.registry.get_model(cmd.model)
            if info is None:
                base.reasons.append(_no_model(cmd.model))
                return base
            version, problem = self._resolve(info, cmd.version)
            if version is None:
                base.reasons.append(problem)
                return base
            base.version = version.version
            info = self._recover(info, cmd.target.key, locked=locked)
            current = self._holder(info, cmd.target)
            return self._decide_and_act(
                "promote", base, info, version, cmd.target, ctx, current, locked=locked
            )

    # ---- rollback --------------------------------------------------------------------

    def rollback(self, cmd: Rollback, ctx: Context) -> Result:
        base = Result(
            status=REFUSED,
            action="rollback",
            model=cmd.model,
            target=cmd.target.label,
            reason=cmd.reason,
            dry_run=cmd.dry_run,
        )
        if problem := _reason_problem(cmd.reason):
            base.reasons.append(problem)
            return base
        with self._lock_first(cmd.model, "rollback", cmd.target.key, cmd.dry_run) as locked:
            return self._rollback(cmd, ctx, base, locked)

    def _rollback(self, cmd: Rollback, ctx: Context, base: Result, locked: bool) -> Result:
        info = self.registry.get_model(cmd.model)
        if info is None:
            base.reasons.append(_no_model(cmd.model))
            return base
        _, interrupted = state.inflight(info.tags, cmd.target.key) or ("", {})
        info = self._recover(info, cmd.target.key, locked=locked)
        current = self._holder(info, cmd.target)
        if (
            cmd.to_version is None
            and interrupted.get("kind") == "rollback"
            and interrupted.get("version") == current
        ):
            # A rollback cut short (MLflow went away) was just finished by this command:
            # that is what the person retrying it asked for, not one more step back.
            return _already(
                base,
                version=current,
                request_id=str(interrupted.get("request") or "") or None,
                uri=_uri(cmd.model, cmd.target),
                message=f"The interrupted rollback is now complete: v{current} holds "
                f"{cmd.target.label}; nothing further changed.",
            )
        if cmd.to_version is not None:
            version, problem = self._resolve(info, cmd.to_version)
            if version is None:
                base.reasons.append(problem)
                return base
        else:
            number = state.rollback_candidate(info.tags, cmd.target.key, current)
            version = self._version(info, number) if number else None
            if version is None:
                base.reasons.append(
                    f"promobot has no record of a version that held {cmd.target.label} "
                    f"before {'v' + str(current) if current else 'now'}; name the one to "
                    f"restore: `rollback {cmd.model} {cmd.target.key} to v2`."
                )
                return base
        base.version = version.version
        return self._decide_and_act(
            "rollback", base, info, version, cmd.target, ctx, current, locked=locked
        )

    # ---- shared by promote and rollback ----------------------------------------------------

    def _rule(self, model: str, action: str, target_key: str) -> TargetRule | None:
        rules = self.policy.rules_for(model)
        if rules is None:
            return None
        return rules.rollback if action == "rollback" else rules.targets.get(target_key)

    @contextmanager
    def _lock_first(
        self, model: str, action: str, target_key: str, dry_run: bool
    ) -> Iterator[bool]:
        """Hold the target's lock for the whole command when it will execute at once (the
        rule asks for no approval): then the command's one read of the model is also the
        read the execution works from, instead of a read, the lock and a re-read. Yields
        whether the lock is held. A refusal then costs the lock's two calls; a dry run
        and a target that needs approval take no lock (they move nothing)."""
        rule = self._rule(model, action, target_key)
        if dry_run or rule is None or rule.approvals > 0:
            yield False
            return
        with self.registry.lock(model, target_key):
            yield True

    def _decide_and_act(
        self,
        action: str,
        base: Result,
        info: ModelInfo,
        version: VersionInfo,
        target: Target,
        ctx: Context,
        current: int | None,
        *,
        locked: bool = False,
    ) -> Result:
        """What promote and rollback share once the version is known: nothing to do,
        or the policy's decision and what follows from it."""
        if current == version.version:
            return _already(
                base,
                uri=_uri(info.name, target),
                message=f"v{version.version} already holds {target.label}; nothing changed.",
            )
        now = self.clock()
        decision, metrics, holders = self._decide(
            action, info, version, target, base.reason, ctx, now, current
        )
        return self._after_decision(
            base,
            decision,
            metrics,
            holders,
            info,
            version,
            target,
            base.reason,
            ctx,
            now,
            current,
            action,
            locked=locked,
        )

    def _decide(
        self,
        action: str,
        info: ModelInfo,
        version: VersionInfo,
        target: Target,
        reason: str,
        ctx: Context,
        now: datetime,
        current: int | None,
        *,
        table: bool | None = None,
        known: dict[str, Any] | None = None,
    ) -> tuple[Decision, list[MetricRow], dict[str, Any]]:
        """Decide, reading only what the rules need: the candidate's metrics, and the
        holder of a stage a relative gate compares with. The metrics of the version being
        replaced are read for the table people see when the outcome is not immediate
        (pending, refused; `table=True` forces it, False skips it).

        Also returns what the relative gates compared with, {stage: {version, metrics}},
        which a request keeps; `known` is that record: a holder still in place is
        compared with the figures its approvers were shown, not read again."""
        candidate_metrics = self._metrics(version)
        holders: dict[str, tuple[int, dict[str, float]]] = {}
        compared: dict[str, Any] = {}
        rule = self._rule(info.name, action, target.key)
        gates = [g for g in (rule.metrics if rule else ()) if g.relative_to]
        for stage in sorted({g.relative_to for g in gates if g.relative_to}):
            number = info.stage_latest.get(stage)
            if number is None:
                continue
            figures = _recorded_figures((known or {}).get(stage), number)
            if figures is None:
                figures = self._metrics(self._version(info, number))
            holders[stage] = (number, figures)
            names = {g.metric for g in gates if g.relative_to == stage}
            compared[stage] = {
                "version": number,
                "metrics": {m: v for m, v in figures.items() if m in names},
            }
        facts = RequestFacts(
            model=info.name,
            action=action,
            target_key=target.key,
            target_label=target.label,
            actor=ctx.actor,
            reason=reason,
            version=version.version,
            version_stage=version.stage,
            version_metrics=candidate_metrics,
            holders=holders,
            now=now,
        )
        decision = decide(self.policy, facts)
        show = decision.outcome != "allowed" if table is None else table
        rows = self._metric_rows(info, rule, version, current if show else None)
        return decision, rows, compared

    def _metric_rows(
        self, info: ModelInfo, rule: TargetRule | None, version: VersionInfo, current: int | None
    ) -> list[MetricRow]:
        """The table people see: the candidate's metrics, and the version it would replace
        (`current`; None leaves that column empty and reads nothing)."""
        candidate_metrics = self._metrics(version)
        current_metrics: dict[str, float] = {}
        if current is not None and current != version.version:
            current_metrics = self._metrics(self._version(info, current))
        names = _metric_names(rule, candidate_metrics, current_metrics)
        return [MetricRow(n, candidate_metrics.get(n), current_metrics.get(n)) for n in names]

    def _version(self, info: ModelInfo, number: int) -> VersionInfo | None:
        """A version: from what came with the model, else as read earlier in this command
        (the executor, under the lock, reuses the read the decision made a moment
        before: a version's run and source never change while it exists, and a version
        deleted in between makes MLflow refuse the move), else read now."""
        if number in info.versions:
            return info.versions[number]
        memo = self._memo.__dict__.setdefault("versions", {})
        key = (info.name, number)
        if key not in memo:
            memo[key] = self.registry.get_version(info.name, number)
        return memo[key]

    def _metrics(self, version: VersionInfo | None) -> dict[str, float]:
        """Run metrics, read once per command (promote reads a run for the policy and
        again for the description line)."""
        run_id = version.run_id if version else None
        if not run_id:
            return {}
        memo = self._memo.__dict__.setdefault("metrics", {})
        if run_id not in memo:
            memo[run_id] = self.registry.run_metrics(run_id)
        return memo[run_id]

    def _after_decision(
        self,
        base: Result,
        decision: Decision,
        metrics: list[MetricRow],
        compared: dict[str, Any],
        info: ModelInfo,
        version: VersionInfo,
        target: Target,
        reason: str,
        ctx: Context,
        now: datetime,
        current: int | None,
        action: str,
        *,
        locked: bool = False,
    ) -> Result:
        base.checks = list(decision.checks)
        base.metrics = metrics
        base.replaced_version = current
        base.requested_by = self.policy.display(ctx.actor)
        base.approvals_required = decision.approvals_required
        base.approvers = decision.approvers
        if decision.outcome == "refused":
            base.reasons = list(decision.reasons)
            return base
        bucket = lock_bucket(info.name, target.key)
        request_id = self.new_id(bucket)
        for _ in range(8):  # unique on its model (1 in 16.7 million to need a second try)
            if state.request_key(request_id) not in info.tags:
                break
            request_id = self.new_id(bucket)
        request = state.Request(
            id=request_id,
            action=action,
            model=info.name,
            version=version.version,
            target_key=target.key,
            target_label=target.label,
            target_kind=target.kind,
            actor=ctx.actor,
            reason=reason,
            created_at=now,
            expires_at=decision.expires_at or now,
            channel=ctx.channel,
            link=ctx.link,
            run_id=version.run_id,
            source=version.source,
            previous=current,
        )
        if decision.outcome == "needs_approval":
            base.status = PENDING
            base.expires_at = decision.expires_at
            base.next_steps = [
                f"a member of {', '.join(decision.approvers)} types "
                f"`approve {request.id}` (or clicks Approve in Slack)"
            ]
            if base.dry_run:
                base.message = "Dry run: nothing was written."
                base.request_id = None
                return base
            base.request_id = request.id
            record = request.to_json()
            if compared:
                record["compared"] = compared
            self.registry.set_model_tag(info.name, state.request_key(request.id), dumps(record))
            return base
        if base.dry_run:
            base.status = DONE
            base.message = (
                f"Dry run: v{version.version} would move to {target.label}"
                f"{f' (replacing v{current})' if current else ''}; "
                "nothing was written."
            )
            return base
        base.request_id = request.id
        under_lock = info if locked else None
        return self._execute(request, [], base, decision.rule, read_under_lock=under_lock)

    # ---- approve and deny -------------------------------------------------------------------

    def approve(self, cmd: Approve, ctx: Context) -> Result:
        """Record an approval; the one that completes the request carries it out.

        A request id names its target's lock (`req-` + 4 hex digits of the lock + 6
        random), so the approval takes the lock before its first read: the search that
        finds the request is then also the read an execution works from, and approvals
        of one request are counted one after another. Ids made before 2026-11-26 (6 hex
        digits) name no lock: they are approved as before, locking only to execute."""
        bucket = state.request_bucket(cmd.request_id)
        if bucket is None:
            return self._approve(cmd, ctx, locked=False)
        with self.registry.lock(f"the target of {cmd.request_id}", "", bucket=bucket):
            return self._approve(cmd, ctx, locked=True)

    def _approve(self, cmd: Approve, ctx: Context, *, locked: bool) -> Result:
        base = Result(status=REFUSED, action="approve", request_id=cmd.request_id)
        found = self._find_request(cmd.request_id, base)
        if found is None:
            return base
        info, req, rule = found
        self._fill_from_request(base, req)
        if locked:
            info = self._recover(info, req.target_key, locked=True)
        if (closed := self._closed(info, req, base)) is not None:
            return closed
        if rule is None:
            base.reasons.append(
                f"No policy covers {req.target_label} of {req.model} any more; "
                "nothing was approved."
            )
            return base
        if refusal := approval_check(self.policy, rule, req.actor, ctx.actor):
            base.reasons.append(refusal)
            return base
        now = self.clock()
        person = self.policy.person_for(ctx.actor)
        person_key = person.key if person else ctx.actor
        key = state.approval_key(req.id, person_key)
        value = dumps(
            {
                "actor": ctx.actor,
                "person": person_key,
                "at": state.format_time(now),
                "comment": cmd.comment[:REASON_MAX],
                "channel": ctx.channel,
            }
        )
        self.registry.set_model_tag(req.model, key, value)
        # Count what the search returned plus this approval. Under the lock that is every
        # approval there is. Without it, read again when the count falls short: others may
        # have landed at the same moment, each in its own tag, and can only add to it (of
        # two approvers completing the count together the later reader sees both, and the
        # lock makes one of them execute).
        info = replace(info, tags={**info.tags, key: value})
        approvers = self._valid_approvers(info, req, rule)
        if len(approvers) < rule.approvals and not locked:
            info = self.registry.get_model(req.model) or info
            approvers = self._valid_approvers(info, req, rule)
        base.approvals = len(approvers)
        base.approved_by = [self.policy.display(a) for a in approvers]
        if len(approvers) < rule.approvals:
            base.status = PENDING
            base.approvals_required = rule.approvals
            base.approvers = rule.approvers
            base.expires_at = req.expires_at
            base.message = (
                f"Approval recorded: {len(approvers)} of {rule.approvals} "
                f"from {', '.join(rule.approvers)}."
            )
            base.next_steps = [
                f"another member of {', '.join(rule.approvers)} types `approve {req.id}`"
            ]
            return base
        if (stale := self._recheck(info, req, base)) is not None:
            return stale
        return self._execute(req, approvers, base, rule, read_under_lock=info if locked else None)

    def _recheck(self, info: ModelInfo, req: state.Request, base: Result) -> Result | None:
        """Decide again, as of now, every rule but approvals: a freeze may have begun or
        another version taken the target since the request was made. A request that no
        longer passes stays open (its approvals kept) until it passes or expires."""
        version = self._version(info, req.version)
        if version is None:
            return None  # _execute refuses it and says why
        target = _target_of(req)
        current = self._holder(info, target)
        if current == req.version:
            return None
        asker = Context(actor=req.actor, channel=req.channel, link=req.link)
        known = req.raw.get("compared")
        decision, _, _ = self._decide(
            req.action,
            info,
            version,
            target,
            req.reason,
            asker,
            self.clock(),
            current,
            table=False,  # read the replaced version's metrics only to explain a refusal
            known=known if isinstance(known, dict) else None,
        )
        if decision.outcome != "refused":
            return None
        base.status = REFUSED
        base.checks = list(decision.checks)
        base.metrics = self._metric_rows(info, decision.rule, version, current)
        base.reasons = list(decision.reasons)
        base.message = (
            f"Approval recorded, but {req.id} no longer passes the policy; nothing moved. "
            f"It stays open until {_when(req.expires_at)}: approve it again once it passes."
        )
        return base

    def deny(self, cmd: Deny, ctx: Context) -> Result:
        base = Result(status=REFUSED, action="deny", request_id=cmd.request_id)
        found = self._find_request(cmd.request_id, base)
        if found is None:
            return base
        info, req, rule = found
        self._fill_from_request(base, req)
        if (closed := self._closed(info, req, base)) is not None:
            return closed
        withdrawing = self.policy.same_person(ctx.actor, req.actor)
        if not withdrawing:
            refusal = (
                approval_check(self.policy, rule, req.actor, ctx.actor)
                if rule
                else "No policy covers this request any more."
            )
            if refusal:
                base.reasons.append(refusal.replace("approve", "deny"))
                return base
        now = self.clock()
        who = self.policy.display(ctx.actor)
        detail = cmd.reason or ("withdrawn by the requester" if withdrawing else "")
        self.registry.set_model_tag(
            req.model,
            state.state_key(req.id),
            dumps(
                {
                    "state": "denied",
                    "by": who,
                    "at": state.format_time(now),
                    "detail": detail[:REASON_MAX],
                }
            ),
        )
        base.status = DONE
        base.message = (
            f"{req.id} {'withdrawn' if withdrawing else 'denied'} by {who}"
            f"{': ' + detail if detail else ''}. Nothing was promoted."
        )
        return base

    def _find_request(
        self, request_id: str, base: Result
    ) -> tuple[ModelInfo, state.Request, TargetRule | None] | None:
        info = self.registry.find_request(request_id)  # the search returns the whole model
        req = state.request(info.tags, request_id) if info else None
        if (
            info is not None
            and req is not None
            and (
                req.model != info.name
                or req.id != request_id
                or state.request_bucket(req.id) not in (None, lock_bucket(*req.lock_key))
            )
        ):
            # Only promobot writes requests, onto the model they are for and under an id
            # naming their target's lock: a request that claims another model, id or lock
            # was planted by someone with tag access.
            req = None
        if info is None or req is None:
            base.reasons.append(
                f"There is no request `{request_id}`. `status <model>` lists the pending ones."
            )
            return None
        return info, req, self._rule(req.model, req.action, req.target_key)

    def _fill_from_request(self, base: Result, req: state.Request) -> None:
        base.model, base.version, base.target = req.model, req.version, req.target_label
        base.reason = req.reason
        base.requested_by = self.policy.display(req.actor)
        base.replaced_version = req.previous

    def _closed(self, info: ModelInfo, req: state.Request, base: Result) -> Result | None:
        """The result for a request that is no longer open, else None."""
        done = state.outcome(info.tags, req.id)
        if done is None and self.clock() > req.expires_at:
            self.registry.set_model_tag(
                req.model,
                state.state_key(req.id),
                dumps(
                    {
                        "state": "expired",
                        "by": "promobot",
                        "at": state.format_time(self.clock()),
                        "detail": f"no decision before {_when(req.expires_at)}",
                    }
                ),
            )
            done = state.Outcome("expired", "promobot", self.clock(), "")
        if done is None:
            return None
        if done.state == "done":
            return _already(
                base,
                uri=_uri_from_request(req),
                message=f"{req.id} was already carried out"
                f"{' by ' + done.by if done.by else ''}; nothing changed.",
            )
        if done.state == "expired":
            base.reasons.append(
                f"{req.id} expired at {_when(req.expires_at)} without enough approvals; ask "
                f"again: `{req.action} {req.model} v{req.version} {req.target_key}`."
                if req.action == "promote"
                else f"{req.id} expired at {_when(req.expires_at)}; ask again: "
                f"`rollback {req.model} {req.target_key} to v{req.version}`."
            )
        else:
            base.reasons.append(
                f"{req.id} was {done.state}"
                f"{' by ' + done.by if done.by else ''}"
                f"{': ' + done.detail if done.detail else ''}."
            )
        return base

    def _valid_approvers(self, info: ModelInfo, req: state.Request, rule: TargetRule) -> list[str]:
        """The actors whose approvals count, one per person, in the order they came."""
        actors = [a.actor for a in state.approvals(info.tags, req.id)]
        allowed = [a for a in actors if approval_check(self.policy, rule, req.actor, a) is None]
        counted: list[str] = []
        for actor in allowed:
            if not any(self.policy.same_person(actor, seen) for seen in counted):
                counted.append(actor)
        return counted

    # ---- execution: the only place that moves versions -------------------------------------

    def _execute(
        self,
        req: state.Request,
        approvers: list[str],
        base: Result,
        rule: TargetRule | None,
        *,
        read_under_lock: ModelInfo | None = None,
    ) -> Result:
        """Carry out a request under the target's lock. `read_under_lock`: the caller
        holds the lock already, and this is the model as it read it under the lock."""
        if read_under_lock is not None:
            return self._execute_locked(req, approvers, base, read_under_lock)
        with self.registry.lock(req.model, req.target_key):
            info = self.registry.get_model(req.model)
            if info is None:
                return self._fail(base, req, f"model {req.model} no longer exists")
            info = self._recover(info, req.target_key, locked=True)
            return self._execute_locked(req, approvers, base, info)

    def _execute_locked(
        self, req: state.Request, approvers: list[str], base: Result, info: ModelInfo
    ) -> Result:
        target = _target_of(req)
        done = state.outcome(info.tags, req.id)
        if done is not None and done.state == "done":
            return _already(
                base,
                uri=_uri(req.model, target),
                message=f"{req.id} was already carried out; nothing changed.",
            )
        version = self._version(info, req.version)
        if (
            version is None
            or (version.run_id or None) != req.run_id
            or (version.source != req.source)
        ):
            why = (
                f"v{req.version} was deleted"
                if version is None
                else f"v{req.version} is no longer the version that was requested "
                "(its run or source changed)"
            )
            return self._fail(base, req, f"{why}; nothing was promoted")
        current = self._holder(info, target)
        if current == req.version:
            self._mark(req, "done", "promobot", f"v{req.version} already held it")
            return _already(
                base,
                uri=_uri(req.model, target),
                message=f"v{req.version} already holds {target.label}.",
            )
        key, event = self._event(req, approvers, info, version, target, current, self.clock())
        self._apply(req.model, key, event, description=version.description)
        base.status = DONE
        base.request_id = req.id
        base.replaced_version = current
        base.approved_by = [self.policy.display(a) for a in approvers]
        base.approvals = len(approvers)
        base.uri = _uri(req.model, target)
        return base

    def _event(
        self,
        req: state.Request,
        approvers: list[str],
        info: ModelInfo,
        version: VersionInfo,
        target: Target,
        current: int | None,
        now: datetime,
    ) -> tuple[str, dict[str, Any]]:
        """The history event of this execution, holding everything the execution writes
        (state.audit_tags derives the version tags from it), so that it is also the intent
        a later command finishes if this process dies half way."""
        by = self.policy.display(req.actor)
        approved = ", ".join(self.policy.display(a) for a in approvers)
        reason = req.reason
        if req.action == "rollback":
            reason = (
                f"rollback: {req.reason}"
                if req.reason
                else (f"rollback: from v{current}" if current else "rollback")
            )
        metrics = self._metrics(version)
        rule = self._rule(req.model, "promote", req.target_key)
        # The gated metrics, as design.md's example line shows; else the first two.
        gated = [g.metric for g in rule.metrics] if rule else []
        shown = [m for m in gated if m in metrics] or _metric_names(None, metrics, {})[:2]
        numbers = ", ".join(f"{m} {metrics[m]:.2f}" for m in shown if m in metrics)
        stamp = now.strftime("%Y-%m-%d %H:%M UTC")
        line = f"{stamp} → {target.label} by {by}"
        if approved:
            line += f", approved by {approved}"
        if reason:
            line += f": {_one_line(reason)}"
        if numbers:
            line += f" ({numbers})"
        event: dict[str, Any] = {
            "kind": req.action,
            "target_key": req.target_key,
            "target_label": target.label,
            "target_kind": target.kind,
            "target_name": target.name,
            "version": version.version,
            "previous": current,
            "by": by,
            "actor": req.actor,
            "approved_by": approved,
            "at": state.format_time(now),
            "reason": reason,
            "request": req.id,
            "channel": req.channel or "cli",
            "link": req.link,
            "line": line,
            "stale_aliases": [
                a
                for a in STAGE_ALIASES
                if a != target.alias and info.aliases.get(a) == version.version
            ],
        }
        if req.action == "rollback":
            event["rollback_reason"] = req.reason
        return state.event_key(now, req.id), event

    def _apply(
        self,
        model: str,
        key: str,
        event: dict[str, Any],
        *,
        description: str | None = None,
        resume: bool = False,
    ) -> None:
        """Carry out an execution. The event goes first (it is the intent) and the
        request's outcome last (it closes the intent); every step between is idempotent,
        so the next command finishes (`resume`) what a dead process began without writing
        anything twice. The new version goes in before the old one goes out: one MLflow
        call moves the stage and archives the previous holder."""
        if not resume:
            self.registry.set_model_tag(model, key, dumps(event))
        version = int(event["version"])
        if event["target_kind"] == "stage":
            self.registry.move_stage(model, version, event["target_name"])
            self.registry.set_alias(model, event["target_name"].lower(), version)
            for alias in event["stale_aliases"]:
                self.registry.delete_alias(model, alias)
        else:
            self.registry.set_alias(model, event["target_name"], version)
        new_tags, old_tags = state.audit_tags(event)
        self.registry.set_version_tags(model, version, new_tags)
        if event["previous"] is not None and old_tags:
            self.registry.set_version_tags(model, int(event["previous"]), old_tags)
        self.registry.append_description(model, version, event["line"], description)
        self.registry.set_model_tag(
            model, state.state_key(event["request"]), dumps(state.done_outcome(event))
        )

    def _recover(self, info: ModelInfo, target_key: str, *, locked: bool) -> ModelInfo:
        """Finish an execution a dead process left half done, before deciding anything
        about the target it touched. `locked`: the caller holds the target's lock."""
        if state.inflight(info.tags, target_key) is None:
            return info
        if locked:
            self._roll_forward(info, target_key)
        else:
            with self.registry.lock(info.name, target_key):
                fresh = self.registry.get_model(info.name) or info
                self._roll_forward(fresh, target_key)
        return self.registry.get_model(info.name) or info

    def _roll_forward(self, info: ModelInfo, target_key: str) -> None:
        found = state.inflight(info.tags, target_key)
        if found is None:
            return
        key, event = found
        if self.registry.get_version(info.name, int(event["version"])) is None:
            # Its version was deleted since: nothing left to finish. Close the request
            # (the event then drops out of the history) and let the target go on, rather
            # than failing every later command.
            self.registry.set_model_tag(
                info.name,
                state.state_key(str(event["request"])),
                dumps(
                    {
                        "state": "failed",
                        "by": "promobot",
                        "at": state.format_time(self.clock()),
                        "detail": f"v{event['version']} was deleted before it was in place",
                    }
                ),
            )
            return
        self._apply(info.name, key, event, resume=True)

    def _mark(self, req: state.Request, status: str, by: str, detail: str) -> None:
        self.registry.set_model_tag(
            req.model,
            state.state_key(req.id),
            dumps(
                {
                    "state": status,
                    "by": by,
                    "at": state.format_time(self.clock()),
                    "detail": detail[:REASON_MAX],
                }
            ),
        )

    def _fail(self, base: Result, req: state.Request, why: str) -> Result:
        self._mark(req, "failed", "promobot", why)
        base.status = REFUSED
        base.reasons.append(f"{req.id} cannot be carried out: {why}.")
        return base

    # ---- reading -------------------------------------------------------------------------

    def status(self, cmd: Status) -> Result:
        base = Result(status=DONE, action="status", model=cmd.model)
        info = self.registry.get_model(cmd.model)
        if info is None:
            return replace(base, status=REFUSED, reasons=[_no_model(cmd.model)])
        seen: dict[int, VersionInfo | None] = {}

        def version(number: int) -> VersionInfo | None:
            if number not in seen:
                seen[number] = self._version(info, number)
            return seen[number]

        for stage in ("Production", "Staging"):
            if stage in info.stage_latest:
                base.holders.append(self._holder_view(stage, version(info.stage_latest[stage])))
        for alias, number in sorted(info.aliases.items()):
            if alias in STAGE_ALIASES:
                continue
            base.holders.append(self._holder_view(f"@{alias}", version(number)))
        base.extra["latest_version"] = info.latest_version
        base.extra["aliases"] = dict(sorted(info.aliases.items()))
        now = self.clock()
        rules = self.policy.rules_for(cmd.model)
        for req in state.open_requests(info.tags):
            if req.expires_at < now:
                continue
            rule = None
            if rules is not None:
                rule = (
                    rules.rollback
                    if req.action == "rollback"
                    else rules.targets.get(req.target_key)
                )
            got = len(self._valid_approvers(info, req, rule)) if rule else 0
            base.pending.append(
                PendingView(
                    request_id=req.id,
                    action=req.action,
                    version=req.version,
                    target=req.target_label,
                    requested_by=self.policy.display(req.actor),
                    approvals=got,
                    approvals_required=rule.approvals if rule else 0,
                    expires_at=req.expires_at,
                )
            )
        return base

    def _holder_view(self, label: str, version: VersionInfo | None) -> Holder:
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

    def history(self, cmd: History) -> Result:
        base = Result(status=DONE, action="history", model=cmd.model)
        info = self.registry.get_model(cmd.model)
        if info is None:
            return replace(base, status=REFUSED, reasons=[_no_model(cmd.model)])
        for ev in reversed(state.events(info.tags)):
            base.history.append(
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
            if len(base.history) >= cmd.limit:
                break
        return base

    def explain_policy(self, cmd: PolicyExplain) -> Result:
        lines = explain(self.policy, cmd.model)
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

    def version_for_commit(self, model: str, sha: str) -> int | None:
        """The newest version registered from a commit (a pull request's head)."""
        found = self.registry.versions_for_commit(model, sha)
        return found[0] if found else None

    # ---- where a door showed a request (e.g. the Slack message to update later) -------------

    def remember_message(self, model: str, request_id: str, door: str, ref: dict[str, str]) -> None:
        self.registry.set_model_tag(model, state.message_key(request_id, door), dumps(ref))

    def message_ref(self, model: str, request_id: str, door: str) -> dict[str, Any] | None:
        info = self.registry.get_model(model)
        if info is None:
            return None
        value = info.tags.get(state.message_key(request_id, door))
        return loads(value) if value else None

    # ---- helpers ------------------------------------------------------------------------------

    def _resolve(self, info: ModelInfo, spec: VersionSpec) -> tuple[VersionInfo | None, str]:
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
        version = self._version(info, number)
        if version is None:
            latest = info.latest_version
            return None, (
                f"{name} has no version {number}{f'; the latest is v{latest}' if latest else ''}."
            )
        return version, ""

    def _holder(self, info: ModelInfo, target: Target) -> int | None:
        if target.kind == "stage":
            if target.name == "Archived":
                return info.aliases.get("archived")
            return info.stage_latest.get(target.name)
        return info.aliases.get(target.name)

    # ---- used by the Slack door ----------------------------------------------------------
    # Additive: the Slack door keeps its request messages up to date without state of its
    # own, so it needs to find the models it posted about and to see a request as it stands.

    def models_tagged(self, key: str) -> list[str]:
        """The registered models that carry tag `key` (the Slack door's marker on a model
        whose requests it posted)."""
        return self.registry.models_tagged(key)

    def request_view(self, request_id: str) -> Result | None:
        """A request as it stands now, for a door that keeps a message about it up to date:
        pending with the approvals so far, or how it ended (done, denied, expired, failed).
        A request whose time is up without a decision is closed as expired here, as approve
        and deny would. None when there is no such request."""
        base = Result(status=REFUSED, action="promote", request_id=request_id)
        found = self._find_request(request_id, base)
        if found is None:
            return None
        info, req, rule = found
        self._fill_from_request(base, req)
        base.action = req.action
        approvers = self._valid_approvers(info, req, rule) if rule else []
        base.approvals = len(approvers)
        base.approved_by = [self.policy.display(a) for a in approvers]
        done = state.outcome(info.tags, req.id)
        if done is not None and done.state == "done":
            return replace(base, status=DONE, uri=_uri_from_request(req))
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
        closed = self._closed(info, req, base)
        if closed is not None:
            return closed
        base.status = PENDING
        base.approvals_required = rule.approvals if rule else 0
        base.approvers = rule.approvers if rule else ()
        base.expires_at = req.expires_at
        if rule is not None:
            base.next_steps = [
                f"a member of {', '.join(rule.approvers)} types "
                f"`approve {req.id}` (or clicks Approve in Slack)"
            ]
        return base


def _recorded_figures(seen: Any, number: int) -> dict[str, float] | None:
    """The metrics a request recorded for the holder it compared with, if that holder is
    still version `number` and the record is sound; else None (read them again)."""
    if not isinstance(seen, dict) or seen.get("version") != number:
        return None
    metrics = seen.get("metrics")
    if not isinstance(metrics, dict):
        return None
    try:
        return {str(k): float(v) for k, v in metrics.items()}
    except (TypeError, ValueError):
        return None


def _already(base: Result, **facts: Any) -> Result:
    """Done before this command: nothing changed (the uri and message say what holds)."""
    return replace(base, status=DONE, already=True, **facts)


def _target_of(req: state.Request) -> Target:
    if req.target_kind == "alias":
        return Target("alias", req.target_label.lstrip("@"))
    return Target("stage", req.target_label)


def _metric_names(
    rule: TargetRule | None, candidate: dict[str, float], current: dict[str, float]
) -> list[str]:
    gated = [g.metric for g in rule.metrics] if rule else []
    rest = sorted((set(candidate) | set(current)) - set(gated))
    preferred = [m for m in ("accuracy", "f1", "precision", "recall") if m in rest]
    others = [m for m in rest if m not in preferred]
    return list(dict.fromkeys(gated + preferred + others))[:8]


def _reason_problem(reason: str) -> str | None:
    if len(reason) > REASON_MAX:
        return (
            f"The reason is {len(reason):,} characters long; keep it under "
            f"{REASON_MAX:,} (link to a document for the details)."
        )
    return None


def _no_model(name: str) -> str:
    shown = name if len(name) <= 80 else name[:77] + "…"
    return (
        f"There is no registered model `{shown}` in MLflow; check the name "
        "(`promobot status <model>`) or register it first."
    )


def _uri(model: str, target: Target) -> str:
    return (
        f"models:/{model}/{target.name}"
        if target.kind == "stage"
        else (f"models:/{model}@{target.name}")
    )


def _uri_from_request(req: state.Request) -> str:
    return (
        f"models:/{req.model}/{req.target_label}"
        if req.target_kind == "stage"
        else f"models:/{req.model}{req.target_label}"
    )


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def register_version(
    registry: Registry,
    model: str,
    run_id: str,
    *,
    artifact: str = "model",
    tags: dict[str, str] | None = None,
    source: str | None = None,
) -> VersionInfo:
    """Register the model a run logged (CI's `promobot register`), tagged with `tags`.
    `source` is the logged model's URI when the caller has already looked it up."""
    source = source or registry.logged_model_uri(run_id, artifact)
    clean = {k: v for k, v in (tags or {}).items() if v}
    return registry.register(model, source, run_id, clean)


@dataclass(frozen=True)
class Comparison:
    """A newly registered run's metrics next to the Production holder's (CI's job summary)."""

    metrics: dict[str, float]
    production: int | None
    production_metrics: dict[str, float]


def compare_with_production(registry: Registry, model: str, run_id: str) -> Comparison:
    """The run's metrics, and the version now in Production with its metrics."""
    metrics = registry.run_metrics(run_id)
    info = registry.get_model(model)
    number = info.stage_latest.get("Production") if info else None
    held = None
    if info is not None and number is not None:  # the latest of each stage came with it
        held = info.versions.get(number) or registry.get_version(model, number)
    return Comparison(
        metrics, number, registry.run_metrics(held.run_id) if held is not None else {}
    )
