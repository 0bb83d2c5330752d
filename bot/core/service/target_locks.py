"""Lock and unlock: the locks people put on a model's targets to stop releases, and the
check a promotion (or a rollback whose rule sets `respect_locks: true`) must pass while
one holds (docs/contract.md, "Locks").

A lock is one `promobot.target-lock.…` tag per target (bot/core/state/target_locks.py): written
once,
so a lock is never half-written, and one placed `--for` a while ends by itself. These are
not the execution locks of bot/adapters/mlflow/mutex.py, which make executions take turns.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.core import state
from bot.core.commands import Lock, Target, Unlock
from bot.core.policy import Check, Decision, ModelRules, lock_refusal, lockers, target_label
from bot.core.policy.rules import join_names
from bot.core.results import DONE, REFUSED, Action, LockResult, LockView, NextStep
from bot.core.service.common import Context, Deps, already, no_model, reason_problem, refused
from bot.core.service.proposal import Proposal
from bot.core.text import one_line, when


class Locks:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def lock(self, cmd: Lock, ctx: Context) -> LockResult:
        """Lock a target, or every target the policy names for the model."""
        base = _base(Action.LOCK, cmd.model, cmd.target, cmd.reason)
        if problem := reason_problem(cmd.reason):
            return refused(base, problem)
        found = self._allowed(cmd.model, cmd.target, ctx.actor)
        if isinstance(found, list):  # why not
            return refused(base, *found)
        rules, keys = found
        info = self.deps.registry.get_model(cmd.model)
        if info is None:
            return refused(base, no_model(cmd.model))
        now = self.deps.clock()
        before = state.locks_in_force(info.tags, now)
        who = self.deps.policy.display(ctx.actor)
        until = now + cmd.duration if cmd.duration else None
        placed_views = []
        for key in keys:
            placed = state.TargetLock(
                key="",  # made when it is written
                kind="lock",
                target_key=key,
                target_label=target_label(key),
                by=who,
                actor=ctx.actor,
                at=now,
                reason=cmd.reason,
                until=until,
                channel=ctx.channel,
            )
            self.deps.registry.set_model_tag(cmd.model, *state.target_lock_record(placed))
            placed_views.append(view(placed))
        message = _locked_sentence(rules, cmd.model, keys, until)
        replaced = [before[key] for key in keys if key in before]
        if replaced:
            message += " It replaces " + "; ".join(_was(lock) for lock in replaced) + "."
        unlock = f"unlock {cmd.model}" + (f" {cmd.target.key}" if cmd.target else "")
        return replace(
            base,
            status=DONE,
            locks=tuple(placed_views),
            requested_by=who,
            message=message,
            next_steps=(NextStep(who=_member_of(rules, keys[0]), command=unlock),),
        )

    def unlock(self, cmd: Unlock, ctx: Context) -> LockResult:
        """Lift the lock on a target, or every lock on the model."""
        base = _base(Action.UNLOCK, cmd.model, cmd.target, "")
        rules = self.deps.policy.rules_for(cmd.model)
        if rules is None:
            return refused(base, _no_policy(cmd.model))
        info = self.deps.registry.get_model(cmd.model)
        if info is None:
            return refused(base, no_model(cmd.model))
        now = self.deps.clock()
        held = state.locks_in_force(info.tags, now)
        keys = [cmd.target.key] if cmd.target else list(held)
        if not all(key in held for key in keys) or not keys:
            where = (
                f"{cmd.target.label} of {cmd.model} is not locked"
                if cmd.target
                else f"{cmd.model} has no lock in force"
            )
            lapsed = _lapsed(info.tags, cmd.target, now)
            return already(base, message=f"{where}{lapsed}; nothing changed.")
        refusals = [
            lock_refusal(self.deps.policy, rules, cmd.model, key, ctx.actor) for key in keys
        ]
        if any(refusals):
            return refused(base, *(f"{refusal}." for refusal in refusals if refusal))
        who = self.deps.policy.display(ctx.actor)
        for key in keys:
            lifted = replace(
                held[key], kind="unlock", by=who, actor=ctx.actor, at=now, reason="", until=None
            )
            lifted = replace(lifted, channel=ctx.channel)
            self.deps.registry.set_model_tag(cmd.model, *state.target_lock_record(lifted))
        labels = join_names([target_label(key) for key in keys], "and")
        return replace(
            base,
            status=DONE,
            locks=tuple(view(held[key]) for key in keys),
            requested_by=who,
            message=f"Promotions of {cmd.model} to {labels} are decided by the policy again; "
            f"lifted: {'; '.join(_was(held[key]) for key in keys)}.",
        )

    def _allowed(
        self, model: str, target: Target | None, actor: str
    ) -> tuple[ModelRules, list[str]] | list[str]:
        """The policy entry and the target keys `actor` locks, or the reasons why not: no
        policy for the model, a target it does not name, not allowed."""
        rules = self.deps.policy.rules_for(model)
        if rules is None:
            return [_no_policy(model)]
        named = join_names([target_label(key) for key in rules.targets], "and") or "none"
        if target is not None and target.key not in rules.targets:
            return [
                f"The policy for `{model}` ({rules.source}) has no rule for {target.label}, so "
                f"there is nothing to lock there; its targets are {named}."
            ]
        keys = [target.key] if target is not None else list(rules.targets)
        refusals = [lock_refusal(self.deps.policy, rules, model, key, actor) for key in keys]
        if any(refusals):
            reasons = [f"{refusal}." for refusal in refusals if refusal]
            if target is None and not all(refusals):
                reasons.append(
                    f"Without a target, `lock` locks every target of {model} ({named}); name "
                    f"the target to lock only that one, e.g. `lock {model} {keys[0]}`."
                )
            return reasons
        return rules, keys


def held(deps: Deps, proposal: Proposal, decision: Decision) -> Decision:
    """The policy's decision on a proposal, with the lock on its target if one holds: a
    promotion is refused (the check names who locked it, when, why and until when); a
    rollback passes it (break-glass) unless its rule sets `respect_locks: true`."""
    lock = state.locks_in_force(proposal.info.tags, proposal.now).get(proposal.target.key)
    if lock is None or decision.rule is None:
        return decision  # not locked, or refused already before any rule applied
    why = one_line(lock.reason)
    detail = f"locked by {lock.by} {_until(lock)}" + (f": {why}" if why else "")
    if proposal.action == "rollback" and not decision.rule.respect_locks:
        check = Check("lock", "pass", f"{detail}; a rollback passes a lock")
        return replace(decision, checks=_before_approvals(decision.checks, check))
    unlock = f"unlock {proposal.model} {proposal.target.key}"
    fix = (f"wait until {when(lock.until)}, or " if lock.until else "") + f"lift it: `{unlock}`"
    what = (
        "rollbacks are refused too (the rollback rule sets `respect_locks: true`)"
        if proposal.action == "rollback"
        else "promotions there are refused"
    )
    said = f' ("{why}")' if why else ""
    reason = (
        f"{proposal.target.label} of {proposal.model} is locked by {lock.by} since "
        f"{when(lock.at)}, {_until(lock)}{said}; {what} while it holds; {fix}."
    )
    check = Check("lock", "fail", detail, fix)
    return replace(
        decision,
        outcome="refused",
        checks=_before_approvals(decision.checks, check),
        reasons=(*decision.reasons, reason),
    )


def view(lock: state.TargetLock) -> LockView:
    return LockView(lock.target_label, lock.by, lock.at, lock.reason, lock.until)


def in_force(tags: dict[str, str], now: datetime) -> list[LockView]:
    """The locks that hold now, as `status` shows them."""
    return [view(lock) for lock in state.locks_in_force(tags, now).values()]


def _before_approvals(checks: tuple[Check, ...], check: Check) -> tuple[Check, ...]:
    # The approvals check comes last (docs/contract.md, "The rules"); the lock just before.
    if checks and checks[-1].name == "approvals":
        return (*checks[:-1], check, checks[-1])
    return (*checks, check)


def _until(lock: state.TargetLock) -> str:
    return f"until {when(lock.until)}" if lock.until else "until someone unlocks it"


def _was(lock: state.TargetLock) -> str:
    said = f' ("{one_line(lock.reason)}")' if lock.reason else ""
    return f"{lock.target_label} locked by {lock.by} at {when(lock.at)}{said}"


def _lapsed(tags: dict[str, str], target: Target | None, now: datetime) -> str:
    """`(its lock … ended at …)` when the target's last lock ended by itself."""
    if target is None:
        return ""
    mine = [lock for lock in state.target_locks(tags) if lock.target_key == target.key]
    last = mine[-1] if mine else None
    if last is None or last.kind != "lock" or last.until is None or last.until > now:
        return ""
    return f" (the lock {last.by} placed ended at {when(last.until)})"


def _locked_sentence(rules: ModelRules, model: str, keys: list[str], until: datetime | None) -> str:
    labels = join_names([target_label(key) for key in keys], "and")
    how_long = f"until {when(until)}" if until else "until someone unlocks it"
    rollbacks = (
        "rollbacks too (`respect_locks: true`)"
        if rules.rollback is not None and rules.rollback.respect_locks
        else "rollbacks still pass"
    )
    return f"Promotions of {model} to {labels} are refused {how_long}; {rollbacks}."


def _member_of(rules: ModelRules, key: str) -> str:
    return f"to lift it, a member of {join_names(lockers(rules, key))}"


def _no_policy(model: str) -> str:
    return (
        f"No policy names model `{model}`, so it has no targets to lock; add it to a file "
        "in policies/."
    )


def _base(action: Action, model: str, target: Target | None, reason: str) -> LockResult:
    label = target.label if target is not None else None
    return LockResult(status=REFUSED, action=action, model=model, target=label, reason=reason)
