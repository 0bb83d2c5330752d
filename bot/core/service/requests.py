"""Approve and deny: find the request, check who decides, record the decision, and carry
the request out when its last approval arrives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial

from bot.core import events, state
from bot.core.commands import Approve, Deny
from bot.core.policy import (
    Membership,
    Policy,
    QuorumCount,
    TargetRule,
    approval_check,
    counted_approvers,
    quorum_counts,
)
from bot.core.ports.registry import ModelInfo, Registry
from bot.core.results import DONE, PENDING, REFUSED, Action, MoveResult, NextStep
from bot.core.service import archive
from bot.core.service.common import Context, Deps, already, holder, refused, target_of, uri
from bot.core.service.deciding import assess, metric_rows
from bot.core.service.execution import Execution, Executor
from bot.core.service.moves import approve_step
from bot.core.service.proposal import Proposal, Reads
from bot.core.service.registry_kind import stage_gone
from bot.core.service.target_locks import held
from bot.core.text import quorum_text, when

Found = tuple[ModelInfo, state.Request, TargetRule | None]
Opened = Callable[[Found, MoveResult], MoveResult]  # what is done with an open request


class Requests:
    def __init__(self, deps: Deps, executor: Executor) -> None:
        self.deps = deps
        self.executor = executor

    # ---- approve ---------------------------------------------------------------------

    def approve(self, cmd: Approve, ctx: Context, reads: Reads) -> MoveResult:
        """Record an approval; the one that completes the request carries it out. Under
        the target's lock (`_open`): approvals of one request count one after another,
        and the search that finds it is the read an execution works from."""
        base = MoveResult(status=REFUSED, action=Action.APPROVE, request_id=cmd.request_id)
        return self._open(cmd.request_id, base, ctx, partial(self._approve, cmd, ctx, reads))

    def _open(self, request_id: str, base: MoveResult, ctx: Context, then: Opened) -> MoveResult:
        """`then` on the request if it is still open, else how it ended; under its target's
        lock (its id names it: `req-` + the lock's 4 hex digits + 6 random) and from a read
        made under it. So a denial, an expiry and the approval that carries it out take
        turns: one of them decides it, the others are told how it ended. An execution of
        it cut short is finished first: it was carried out."""
        bucket = state.request_bucket(request_id)
        if bucket is None:  # promobot made no such id: nothing to look up
            return refused(base, unknown_request(request_id))
        with self.deps.registry.mutex(bucket, f"the target of {request_id}", ""):
            found = self.find(request_id)
            if found is None:
                return refused(base, unknown_request(request_id))
            info, req, rule = found
            base = self.about(base, req)
            info = self.executor.recover(info, req.target_key, locked=True)
            if (closed := self.close_if_ended(info, req, base, ctx)) is not None:
                return closed
            return then((info, req, rule), base)

    def _approve(
        self, cmd: Approve, ctx: Context, reads: Reads, found: Found, base: MoveResult
    ) -> MoveResult:
        """The approval of an open request, under the target's lock."""
        info, req, rule = found
        if rule is None:
            return refused(
                base,
                stage_gone(self.deps.policy, req)
                or f"No policy covers {req.target_label} of {req.model} any more; "
                "nothing was approved.",
            )
        membership = self.deps.membership(rule)
        policy = self.deps.policy
        if refusal := approval_check(policy, rule, req.actor, ctx.actor, membership=membership):
            return refused(base, refusal)
        key, value = approval_tag(self.deps, req, cmd.comment, ctx)
        info = replace(info, tags={**info.tags, key: value})
        approvers = self.counted(info, req, rule, membership)
        completes = len(approvers) >= rule.approvals
        record_approval(self.deps.registry, info, req, (key, value), reads, completes)
        base = replace(
            base,
            approvals=len(approvers),
            approved_by=tuple(policy.display(a) for a in approvers),
            approval_comments=self.comments(info, req, approvers),
            quorum=self.quorum(info, req, rule, membership),
        )
        if len(approvers) < rule.approvals:
            counts = any(policy.same_person(a, ctx.actor) for a in approvers)
            return self._still_pending(base, req, rule, ctx, counts)
        if (stale := self._recheck(info, req, base, reads, membership)) is not None:
            return stale
        run = Execution(req, approvers, reads)
        result = self.executor.execute(run, base, info)
        if result.status == DONE and not result.already:
            result = self.deps.publish(events.REQUEST_DECIDED, result, ctx)
        return result

    def _still_pending(
        self, base: MoveResult, req: state.Request, rule: TargetRule, ctx: Context, counts: bool
    ) -> MoveResult:
        """`counts`: whether this approval counts (with one count per group, one that
        fills no group's open place is recorded but does not)."""
        base = replace(
            base,
            status=PENDING,
            approvals_required=rule.approvals,
            approvers=rule.approvers,
            expires_at=req.expires_at,
        )
        if base.quorum:
            note = "" if counts else ", but it counts toward no group that still needs one"
            base = replace(
                base,
                message=f"Approval recorded{note}: {quorum_text(base.quorum)}.",
                next_steps=(quorum_step(base, req.id),),
            )
        else:
            base = replace(
                base,
                message=f"Approval recorded: {base.approvals} of {rule.approvals} "
                f"from {', '.join(rule.approvers)}.",
                next_steps=(approve_step(rule.approvers, req.id, another=True),),
            )
        return self.deps.publish(events.APPROVAL_RECORDED, base, ctx)

    def _recheck(
        self,
        info: ModelInfo,
        req: state.Request,
        base: MoveResult,
        reads: Reads,
        membership: Membership,
    ) -> MoveResult | None:
        """Decide again, as of now, every rule but approvals: a freeze may have begun or
        another version taken the target since the request was made. A request that no
        longer passes stays open (its approvals kept) until it passes or expires."""
        version = reads.version(info, req.version)
        if version is None:
            return None  # the executor refuses it and says why
        target = target_of(req)
        current = holder(info, target)
        if current == req.version:
            return None
        asker = Context(actor=req.actor, channel=req.channel, link=req.link)
        known = req.raw.get("compared")
        proposal = Proposal(
            req.action, info, version, target, asker, req.reason, self.deps.clock(), current
        )
        # The replaced version's metrics are read only to explain a refusal.
        assessment = assess(
            self.deps,
            reads,
            proposal,
            table=False,
            known=known if isinstance(known, dict) else None,
            membership=membership,
        )
        decision = held(self.deps, proposal, assessment.decision)  # a lock placed since
        if decision.outcome != "refused":
            return None
        return replace(
            base,
            status=REFUSED,
            checks=decision.checks,
            metrics=tuple(metric_rows(reads, info, decision.rule, version, current)),
            reasons=tuple(decision.reasons),
            message=f"Approval recorded, but {req.id} no longer passes the policy; nothing "
            f"moved. It stays open until {when(req.expires_at)}: approve it again once it "
            "passes.",
        )

    # ---- deny ------------------------------------------------------------------------

    def deny(self, cmd: Deny, ctx: Context) -> MoveResult:
        """Close a request as denied, under its target's lock as an approval is (`_open`):
        never a denial answered while the version is being promoted."""
        base = MoveResult(status=REFUSED, action=Action.DENY, request_id=cmd.request_id)
        result = self._open(cmd.request_id, base, ctx, partial(self._deny, cmd, ctx))
        if result.status == DONE and not result.already:
            # Told after the lock is let go: a notifier's post holds up no one.
            result = self.deps.publish(events.REQUEST_DECIDED, result, ctx)
        return result

    def _deny(self, cmd: Deny, ctx: Context, found: Found, base: MoveResult) -> MoveResult:
        """The denial of an open request, under the target's lock."""
        _, req, rule = found
        withdrawing = self.deps.policy.same_person(ctx.actor, req.actor)
        if not withdrawing and (refusal := _denial_refusal(self.deps, req, rule, ctx, cmd)):
            return refused(base, refusal)
        who = self.deps.policy.display(ctx.actor)
        detail = cmd.reason or ("withdrawn by the requester" if withdrawing else "")
        self.deps.registry.set_model_tag(
            req.model,
            state.state_key(req.id),
            state.outcome_record("denied", who, self.deps.clock(), detail),
        )
        return replace(
            base,
            status=DONE,
            message=f"{req.id} {'withdrawn' if withdrawing else 'denied'} by {who}"
            f"{': ' + detail if detail else ''}. Nothing was promoted.",
        )

    # ---- a request as it stands, and its expiry ----------------------------------------

    def view(self, request_id: str) -> MoveResult | None:
        """A request as it stands now: pending with the approvals so far, or how it ended
        (done, denied, expired, failed). Reads only: a request whose time is up without
        a decision reads as expired before anything records it. None when there is no
        such request."""
        found = self.find(request_id)
        if found is None:
            return None
        return standing(self, *found)

    def expire_due(self, request_id: str, ctx: Context) -> MoveResult | None:
        """Close `request_id` as expired when its time is up without a decision (its
        outcome written, `request_expired` published), for the pass that sweeps requests;
        the caller holds its target's lock. Returns the request as it stands (None: no
        such request)."""
        found = self.find(request_id)
        if found is None:
            return None
        info, req, rule = found
        # An execution of it cut short is finished first: it was carried out, not expired.
        info = self.executor.recover(info, req.target_key, locked=True)
        shown = standing(self, info, req, rule)
        if state.outcome(info.tags, req.id) is None and self.deps.clock() > req.expires_at:
            self.expire(req, ctx, shown)
        return shown

    # ---- finding a request and how it stands ------------------------------------------

    def find(self, request_id: str) -> Found | None:
        """The request with its model (as the search read it) and rule, or None."""
        info = None
        if state.REQUEST_ID.fullmatch(request_id):
            # The search returns the whole model. A request made before the change of tag
            # layout is under its legacy key: looked for only when the current one is not
            # there, so a request made since costs one search, as before.
            # One that ended may have moved to its model's ledger: looked for there last.
            keys = state.request_keys(request_id)
            found = (self.deps.registry.find_model_with_tag(key) for key in keys)
            info = next(filter(None, found), None) or archive.holding(self.deps.registry, keys)
        req = state.request(info.tags, request_id) if info else None
        if (
            info is not None
            and req is not None
            and (
                req.model != info.name
                or req.id != request_id
                or state.request_bucket(req.id) != state.mutex_bucket(*req.mutex_key)
            )
        ):
            # Only promobot writes requests, onto the model they are for and under an id
            # naming their target's lock: a request that claims another model, id or lock
            # was planted by someone with tag access.
            req = None
        if info is None or req is None:
            return None
        return info, req, self.deps.rule(req.model, req.action, req.target_key)

    def about(self, base: MoveResult, req: state.Request) -> MoveResult:
        """`base` with what the request asked for, and who asked, where."""
        return replace(
            base,
            model=req.model,
            version=req.version,
            target=req.target_label,
            reason=req.reason,
            requested_by=self.deps.policy.display(req.actor),
            replaced_version=req.previous,
            asked_in=req.channel,
            link=req.link,
        )

    def close_if_ended(
        self, info: ModelInfo, req: state.Request, base: MoveResult, ctx: Context
    ) -> MoveResult | None:
        """For approve and deny: the result for a request that is no longer open, else
        None. A request whose time is up without a decision is closed as expired here
        (written and published), as the expiry pass would."""
        done = state.outcome(info.tags, req.id)
        if done is None and self.deps.clock() > req.expires_at:
            done = self.expire(req, ctx, replace(base, status=REFUSED))
        return None if done is None else ended(req, base, done)

    def expire(self, req: state.Request, ctx: Context, shown: MoveResult) -> state.Outcome:
        """Close a request whose time ran out (its outcome tag), and publish `shown`."""
        now = self.deps.clock()
        self.deps.registry.set_model_tag(
            req.model,
            state.state_key(req.id),
            state.outcome_record(
                "expired", "promobot", now, f"no decision before {when(req.expires_at)}"
            ),
        )
        self.deps.publish(events.REQUEST_EXPIRED, shown, ctx)
        return state.Outcome("expired", "promobot", now, "")

    def counted(
        self,
        info: ModelInfo,
        req: state.Request,
        rule: TargetRule,
        membership: Membership | None = None,
    ) -> list[str]:
        """The actors whose approvals count, one per person, in the order they came.
        `membership`: the rule's teams and user groups, if already looked up."""
        actors = [a.actor for a in state.approvals(info.tags, req.id)]
        if membership is None:
            membership = self.deps.membership(rule)
        return counted_approvers(self.deps.policy, rule, req.actor, actors, membership)

    def quorum(
        self, info: ModelInfo, req: state.Request, rule: TargetRule, membership: Membership
    ) -> tuple[QuorumCount, ...]:
        """Each group's count, for a rule with one count per group; () otherwise."""
        actors = [a.actor for a in state.approvals(info.tags, req.id)]
        return quorum_counts(self.deps.policy, rule, req.actor, actors, membership)

    def comments(self, info: ModelInfo, req: state.Request, approvers: list[str]) -> dict[str, str]:
        """What each of `approvers` said with their approval, by how people are named."""
        return approval_comments(self.deps.policy, info.tags, req.id, approvers)


def approval_tag(deps: Deps, req: state.Request, comment: str, ctx: Context) -> tuple[str, str]:
    """The tag of this person's approval (under the lock, with what the search returned,
    the model then holds every approval there is)."""
    person = deps.policy.person_for(ctx.actor)
    person_key = person.key if person else ctx.actor
    value = {
        "actor": ctx.actor,
        "person": person_key,
        "at": state.format_time(deps.clock()),
        "comment": comment[: state.REASON_MAX],
        "channel": ctx.channel,
    }
    return state.approval_key(req.id, person_key), state.dumps(value)


def record_approval(
    registry: Registry,
    info: ModelInfo,
    req: state.Request,
    tag: tuple[str, str],
    reads: Reads,
    completes: bool,
) -> None:
    """Write the approval. The one that completes the request needs the candidate's run
    metrics next (the re-check, the description line): they are read while the approval
    is written, one round trip instead of two."""

    def write() -> None:
        registry.set_model_tag(req.model, *tag)

    if not completes:
        write()
        return
    registry.at_once([write, lambda: reads.metrics(reads.version(info, req.version))])


def standing(
    requests: Requests, info: ModelInfo, req: state.Request, rule: TargetRule | None
) -> MoveResult:
    """A request as it stands in `info`'s tags (Requests.view): pending, or how it ended;
    one whose time is up without a decision reads as expired. Writes nothing."""
    base = MoveResult(status=REFUSED, action=req.action, request_id=req.id)
    base = requests.about(base, req)
    membership = requests.deps.membership(rule)
    approvers = requests.counted(info, req, rule, membership) if rule else []
    base = replace(
        base,
        quorum=requests.quorum(info, req, rule, membership) if rule else (),
        approvals=len(approvers),
        approved_by=tuple(requests.deps.policy.display(a) for a in approvers),
    )
    done = state.outcome(info.tags, req.id)
    if done is not None and done.state == "done":
        return replace(
            base,
            status=DONE,
            uri=uri(req.model, target_of(req)),
            approval_comments=requests.comments(info, req, approvers),
        )
    if done is not None and done.state == "denied":
        return replace(
            base,
            status=DONE,
            action=Action.DENY,
            approvals=0,
            approved_by=(),
            message=f"{req.id} denied by {done.by}"
            f"{': ' + done.detail if done.detail else ''}. "
            "Nothing was promoted.",
        )
    if done is None and requests.deps.clock() > req.expires_at:
        done = state.Outcome("expired", "promobot", req.expires_at, "")
    if done is not None:
        return ended(req, base, done)
    base = replace(
        base,
        status=PENDING,
        approval_comments=requests.comments(info, req, approvers),
        approvals_required=rule.approvals if rule else 0,
        approvers=rule.approvers if rule else (),
        expires_at=req.expires_at,
    )
    if rule is not None and base.quorum and base.approvals:
        return replace(base, next_steps=(quorum_step(base, req.id, click="Approve"),))
    if rule is not None:
        return replace(base, next_steps=(approve_step(rule.approvers, req.id),))
    return base


def ended(req: state.Request, base: MoveResult, done: state.Outcome) -> MoveResult:
    """A request that is no longer open, as it ended (`done`)."""
    if done.state == "done":
        return already(
            base,
            uri=uri(req.model, target_of(req)),
            message=f"{req.id} was already carried out"
            f"{' by ' + done.by if done.by else ''}; nothing changed.",
        )
    if done.state == "expired":
        return refused(
            base,
            f"{req.id} expired at {when(req.expires_at)} without enough approvals; ask "
            f"again: `{req.action} {req.model} v{req.version} {req.target_key}`."
            if req.action == "promote"
            else f"{req.id} expired at {when(req.expires_at)}; ask again: "
            f"`rollback {req.model} {req.target_key} to v{req.version}`.",
        )
    return refused(
        base,
        f"{req.id} was {done.state}"
        f"{' by ' + done.by if done.by else ''}"
        f"{': ' + done.detail if done.detail else ''}.",
    )


def quorum_step(result: MoveResult, request_id: str, click: str = "") -> NextStep:
    """Who approves next with one count per group: a member of a group still short."""
    short = [c.group for c in result.quorum if not c.met]
    who = f"a member of {', '.join(short)}"
    return NextStep(who=who, command=f"approve {request_id}", click=click)


def _denial_refusal(
    deps: Deps, req: state.Request, rule: TargetRule | None, ctx: Context, cmd: Deny
) -> str:
    """Why `ctx.actor` may not deny `req` (someone other than its requester), or ""."""
    if rule is None:
        return "No policy covers this request any more."
    members = deps.membership(rule)
    refusal = approval_check(deps.policy, rule, req.actor, ctx.actor, membership=members)
    if refusal:
        return refusal.replace("approve", "deny")
    if rule.deny_requires_reason and not cmd.reason.strip():
        return _reason_required(req, rule)
    return ""


def _reason_required(req: state.Request, rule: TargetRule) -> str:
    what = "rollbacks" if req.action == "rollback" else f"promotions to {req.target_label}"
    return (
        f"A denial of {what} of {req.model} needs a reason (the policy sets "
        f"`deny_requires_reason: true`); write it after the request id: "
        f"`deny {req.id} <why>`."
    )


def unknown_request(request_id: str) -> str:
    return f"There is no request `{request_id}`. `status <model>` lists the pending ones."


def approval_comments(
    policy: Policy, tags: dict[str, str], request_id: str, approvers: list[str]
) -> dict[str, str]:
    """What each of `approvers` said with their approval, by how people are named (those
    who said nothing left out)."""
    said = {a.actor: a.comment for a in state.approvals(tags, request_id) if a.comment}
    return {policy.display(a): said[a] for a in approvers if a in said}
