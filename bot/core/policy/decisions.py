"""Decisions: allowed now, needs approvals (from whom, how many), or refused.

Pure: no I/O, `now` is passed in. A refusal is a sentence in the returned `Decision`,
never an exception (docs/contract.md, "Style"). Who may approve or deny a request, and
whose approvals count, is decided here too.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.policy.check import Check
from bot.core.policy.clock_gates import freeze_gate, soak_gate
from bot.core.policy.commit_checks import CHECK_NAME, judge
from bot.core.policy.facts import RequestFacts
from bot.core.policy.groups import NO_LOOKUPS, Membership
from bot.core.policy.quorum import QuorumCount, assign_approvers, counts
from bot.core.policy.rules import (
    ROLLBACK,
    MetricGate,
    ModelRules,
    Policy,
    TargetRule,
    join_names,
    target_label,
)
from bot.core.policy.values import SYMBOLS, passes
from bot.core.policy.watching import LiveCheck


@dataclass(frozen=True)
class Decision:
    outcome: str  # "allowed" | "needs_approval" | "refused"
    checks: tuple[Check, ...]
    reasons: tuple[str, ...]  # one sentence per failed check; empty unless refused
    rule: TargetRule | None
    approvals_required: int = 0
    approvers: tuple[str, ...] = ()
    expires_at: datetime.datetime | None = None


def _fmt(value: float) -> str:
    return f"{value:.3f}"


def _fmt_beside(value: float, op: str, threshold: float) -> str:
    """Three decimals, unless rounding would make a failing value look like a pass."""
    shown = _fmt(value)
    if not _compare(value, op, threshold) and _compare(float(shown), op, threshold):
        return f"{value:.6g}"
    return shown


def _compare(value: float, op: str, threshold: float) -> bool:
    # A gate like "production - 0.02" is computed in floating point; a tolerance keeps
    # 0.854 ≥ 0.874 − 0.02 true.
    if math.isnan(value) or math.isnan(threshold):
        return False
    eps = 1e-9 * max(1.0, abs(threshold))
    if op == ">=":
        return value >= threshold - eps
    if op == ">":
        return value > threshold + eps
    if op == "<=":
        return value <= threshold + eps
    if op == "<":
        return value < threshold - eps
    return abs(value - threshold) <= eps


# What `rollback <model>` rolls back: Production, or without stages @production.
_DEFAULT_ROLLBACK = ("production", "@production")


def _verb(facts: RequestFacts) -> str:
    if facts.action == ROLLBACK:
        return f"roll back {facts.model}" + (
            f" {facts.target_label}" if facts.target_key not in _DEFAULT_ROLLBACK else ""
        )
    return f"promote {facts.model} to {facts.target_label}"


def _command(facts: RequestFacts, reason: str = "") -> str:
    if facts.action == ROLLBACK:
        target = f" {facts.target_key}" if facts.target_key not in _DEFAULT_ROLLBACK else ""
        return f"rollback {facts.model}{target}" + (f" {reason}" if reason else "")
    return f"promote {facts.model} v{facts.version} {facts.target_key}" + (
        f" {reason}" if reason else ""
    )


def _refuse(check: Check, reason: str) -> Decision:
    return Decision("refused", (check,), (reason,), None)


def decide(policy: Policy, facts: RequestFacts) -> Decision:
    """Allowed now, needs approvals (from whom, how many), or refused with every reason.

    Fail closed: a model or target no policy names is refused.
    """
    if facts.action not in ("promote", ROLLBACK):
        raise ValueError(f"unknown action {facts.action!r}")
    rules = policy.rules_for(facts.model)
    if rules is None:
        reason = (
            f"No policy names model `{facts.model}`; add it to a file in policies/ "
            "(see `promobot policy check`)."
        )
        fix = "add the model to a file in policies/"
        return _refuse(Check("policy", "fail", f"no policy names {facts.model}", fix), reason)
    rule = _rule_for(rules, facts)
    if isinstance(rule, Decision):
        return rule

    results: list[tuple[Check, str]] = [_requester(policy, rule, facts)]
    if rule.require_stage:
        results.append(_stage_order(rule, facts))
        if rule.soak and facts.holds(rule.require_stage):
            results.append(soak_gate(rule, facts))
    if rule.require_reason:
        results.append(_reason(facts))
    results.extend(_metric(gate, facts) for gate in rule.metrics)
    if rule.require_checks is not None:
        results.append(_required_checks(rule, facts))
    results.extend(_live(check, facts) for check in rule.live)
    if facts.action != ROLLBACK and rule.freeze:
        # A freeze stops releases; a rollback is how people get out of a bad release.
        results.append(freeze_gate(rule, facts))
    results.append(_approvals(policy, rule, facts))

    checks = tuple(check for check, _ in results)
    reasons = tuple(reason for check, reason in results if check.status == "fail")
    if reasons:
        return Decision("refused", checks, reasons, rule, rule.approvals, rule.approvers)
    if rule.approvals > 0:
        expires = facts.now + rule.request_ttl
        return Decision("needs_approval", checks, (), rule, rule.approvals, rule.approvers, expires)
    return Decision("allowed", checks, (), rule, 0, rule.approvers)


def _rule_for(rules: ModelRules, facts: RequestFacts) -> TargetRule | Decision:
    if facts.action == ROLLBACK and rules.rollback is None:
        reason = (
            f"The policy for `{facts.model}` ({rules.source}) has no rollback rule, so "
            f"nobody may roll it back; add `rollback:` with requesters to that entry."
        )
        fix = f"add `rollback:` to the entry at {rules.source}"
        return _refuse(Check("policy", "fail", "no rollback rule", fix), reason)
    refusal = unnamed_target(rules, facts.model, facts.target_key, facts.action)
    if refusal is not None:
        reason, fix = refusal
        detail = f"no rule for {target_label(facts.target_key)}"
        return _refuse(Check("policy", "fail", detail, fix), reason)
    if facts.action == ROLLBACK and rules.rollback is not None:
        return rules.rollback
    return rules.targets[facts.target_key]


def unnamed_target(
    rules: ModelRules, model: str, target_key: str, action: str
) -> tuple[str, str] | None:
    """(the refusal, how to get past it) of a promotion or rollback onto a target the
    model's entry does not list; None when it lists it. Fail closed: a rollback is no way
    onto a target the policy does not govern (it would create it, e.g. a new alias)."""
    if target_key in rules.targets:
        return None
    label = target_label(target_key)
    allowed = join_names([target_label(key) for key in rules.targets], "and") or "no target"
    moves = "rollbacks" if action == ROLLBACK else "promotions"
    reason = (
        f"The policy for `{model}` ({rules.source}) has no rule for "
        f"{label}, so {moves} there are refused; it has rules for "
        f"{allowed}. Add `{target_key}` under its targets to allow it."
    )
    verb = "roll back" if action == ROLLBACK else "promote to"
    fix = f"{verb} {allowed}, or add `{target_key}` to the targets at {rules.source}"
    return reason, fix


def _requester(policy: Policy, rule: TargetRule, facts: RequestFacts) -> tuple[Check, str]:
    person, membership = policy.person_for(facts.actor), facts.membership
    name, key = policy.name_for(facts.actor), policy.key_for(facts.actor)
    for listed in rule.requesters:
        if person is not None and listed == person.key:
            return Check("requester", "pass", f"{name} is a listed requester"), ""
        if listed in policy.groups and key in policy.members((listed,), membership):
            return Check("requester", "pass", f"{name} is in {listed}"), ""
    askers = sorted(policy.members(rule.requesters, membership))
    linked = policy.sources_for(rule.requesters)
    if person is None and not linked:
        detail = f"{facts.actor} is not in the policy's people"
    elif len(rule.requesters) == 1:
        detail = f"{name} is not in {rule.requesters[0]}"
    else:
        detail = f"{name} is not in {join_names(rule.requesters)}"
    fix = f"ask {join_names(askers)}" if askers else "ask the policy owners to add requesters"
    if person is None:
        fix += f", or add {facts.actor} to people in policies/"
    reason = f"Only {join_names(rule.requesters)} may {_verb(facts)}, and {detail}"
    reason += _unread_note(membership, linked)
    return Check("requester", "fail", detail, fix), f"{reason}; {fix}."


def _unread_note(membership: Membership, sources: Iterable[str]) -> str:
    """` (github-team:acme/sre could not be read: GitHub answered 502)`, or nothing."""
    unread = membership.unread(sources)
    return f" ({'; '.join(unread)})" if unread else ""


def _stage_order(rule: TargetRule, facts: RequestFacts) -> tuple[Check, str]:
    need = rule.require_stage or ""
    version = f"v{facts.version}"
    if facts.holds(need):
        return Check("stage order", "pass", f"{version} {_is_on(need)}"), ""
    if facts.holds(facts.target_label):
        # Recording a holder that was put there outside promobot (drift): it has the stage.
        return Check("stage order", "pass", f"{version} holds {facts.target_label} already"), ""
    if need.startswith("@"):
        held = [alias for alias in facts.version_aliases if alias != need]
        where = f"holds {join_names(held, 'and')}" if held else "holds no alias"
    else:
        where = (
            "has no stage yet"
            if facts.version_stage in ("", "None")
            else (f"is in {facts.version_stage}")
        )
    key = need if need.startswith("@") else need.lower()
    command = f"promote {facts.model} {version} {key}"
    fix = f"promote {version} to {key} first: `{command}`"
    reason = (
        f"{version} must {_be_on(need)} before it goes to {facts.target_label}, and it "
        f"{where}; {fix}."
    )
    return Check("stage order", "fail", f"{version} {where}", fix), reason


def _is_on(where: str) -> str:
    """`is in Staging`, `holds @staging`: a stage is a place, an alias a pointer."""
    return f"holds {where}" if where.startswith("@") else f"is in {where}"


def _be_on(where: str) -> str:
    return f"hold {where}" if where.startswith("@") else f"be in {where}"


def _reason(facts: RequestFacts) -> tuple[Check, str]:
    given = facts.reason.strip()
    if given:
        shown = given if len(given) <= 60 else given[:57] + "..."
        return Check("reason", "pass", f'"{shown}"'), ""
    fix = f"add a reason after the target: `{_command(facts, '<why>')}`"
    if facts.action == ROLLBACK:
        fix = f"add a reason: `{_command(facts, '<why>')}`"
        reason = f"A reason is required to roll back {facts.model}; {fix}."
    else:
        reason = f"A reason is required to promote to {facts.target_label}; {fix}."
    return Check("reason", "fail", "no reason given", fix), reason


def _metric(gate: MetricGate, facts: RequestFacts) -> tuple[Check, str]:
    version, expr = f"v{facts.version}", gate.expr
    value = facts.version_metrics.get(gate.metric)
    if value is None:
        fix = f"log `{gate.metric}` in the training run of {version}"
        reason = f"{version} has no metric `{gate.metric}`; log it in the training run."
        return Check(gate.label, "fail", f"{version} has no `{gate.metric}`", fix), reason
    if gate.relative_to is None:
        threshold = expr.threshold if expr.threshold is not None else math.nan
        shown = _fmt_beside(value, expr.op, threshold)
        if _compare(value, expr.op, threshold):
            return Check(gate.label, "pass", shown), ""
        fix = f"promote a version with {gate.label}"
        reason = f"{gate.metric} of {version} is {shown}, which fails the gate {gate.label}; {fix}."
        return Check(gate.label, "fail", shown, fix), reason

    holder = facts.holders.get(gate.relative_to)
    where = gate.relative_to
    on = f"on {where}" if where.startswith("@") else f"in {where}"
    if holder is None:
        nothing = f"nothing holds {where}" if where.startswith("@") else f"no version in {where}"
        return Check(gate.label, "pass", f"{nothing} to compare"), ""
    holder_version, holder_metrics = holder
    base = holder_metrics.get(gate.metric)
    if base is None:
        detail = f"v{holder_version} {on} has no `{gate.metric}` to compare"
        return Check(gate.label, "pass", detail), ""
    threshold = base + expr.offset
    shown = _fmt_beside(value, expr.op, threshold)
    detail = f"{shown} vs {_fmt(base)} (v{holder_version})"
    if _compare(value, expr.op, threshold):
        return Check(gate.label, "pass", detail), ""
    needed = f"{gate.metric} {SYMBOLS[expr.op]} {_fmt(threshold)}"
    fix = f"promote a version with {needed}"
    reason = (
        f"{gate.metric} of {version} is {shown}, but the gate {gate.label} needs {needed} "
        f"(v{holder_version} {on} has {_fmt(base)}); {fix}."
    )
    return Check(gate.label, "fail", detail, fix), reason


def _required_checks(rule: TargetRule, facts: RequestFacts) -> tuple[Check, str]:
    assert rule.require_checks is not None
    verdict = judge(rule.require_checks, facts.checks, facts.version)
    if verdict.passed:
        return Check(CHECK_NAME, "pass", verdict.detail), ""
    return (
        Check(CHECK_NAME, "fail", verdict.detail, verdict.fix),
        f"{verdict.reason}; {verdict.fix}.",
    )


def _live(check: LiveCheck, facts: RequestFacts) -> tuple[Check, str]:
    """A live gate: the figure Prometheus gives for the candidate against its threshold."""
    version = f"v{facts.version}"
    value, why = facts.live.get(check.name, (None, "not read"))
    if value is None:
        fix = "check the query and that the model server exports it, then try again"
        reason = f"The live gate {check.label} has no figure for {version}: {why}; {fix}."
        return Check(check.label, "fail", f"no data: {why}", fix), reason
    threshold = check.expr.threshold if check.expr.threshold is not None else math.nan
    shown = _fmt_beside(value, check.expr.op, threshold)
    if passes(value, check.expr):
        return Check(check.label, "pass", f"{shown} (live)"), ""
    fix = f"wait until {check.label} holds, or promote a version that meets it"
    reason = (
        f"{check.name} of {version} is {shown} live, which fails the gate {check.label}; {fix}."
    )
    return Check(check.label, "fail", f"{shown} (live)", fix), reason


def _approvals(policy: Policy, rule: TargetRule, facts: RequestFacts) -> tuple[Check, str]:
    if rule.approvals == 0:
        return Check("approvals", "pass", "none needed"), ""
    membership = facts.membership
    approvers = policy.members(rule.approvers, membership)
    requester = policy.key_for(facts.actor)
    own = requester in approvers and not rule.self_approval
    able = approvers - {requester} if own else approvers
    if rule.quorum:
        base = " · ".join(f"{group} 0 of {count}" for group, count in rule.quorum)
        assigned = assign_approvers(policy, rule, sorted(able), membership)
        can = sum(len(people) for people in assigned.values())
    else:
        base = f"0 of {rule.approvals} from {join_names(rule.approvers)}"
        can = len(able)
    if own:
        base += f" ({policy.name_for(facts.actor)} cannot approve their own request)"
    unread = _unread_note(membership, policy.sources_for(rule.approvers))
    if can >= rule.approvals:
        return Check("approvals", "pending", base + unread), ""
    fix = f"add people to {join_names(rule.approvers, 'and')} in the policy"
    if rule.quorum:
        needs = join_names([f"{count} from {group}" for group, count in rule.quorum], "and")
        reason = (
            f"{facts.target_label} needs {needs}, one person's approval counting toward one "
            f"group only, but the people who may approve this request can give only {can} "
            f"of those {rule.approvals}{unread}; {fix}."
        )
        return Check("approvals", "fail", base + unread, fix), reason
    plural = "approval" if rule.approvals == 1 else "approvals"
    reason = (
        f"{facts.target_label} needs {rule.approvals} {plural} from {join_names(rule.approvers)}, "
        f"but only {len(able)} of them may approve this request{unread}; {fix}."
    )
    return Check("approvals", "fail", base + unread, fix), reason


def approval_check(
    policy: Policy,
    rule: TargetRule,
    requester: str,
    actor: str,
    *,
    verb: str = "approve",
    membership: Membership | None = None,
) -> str | None:
    """None if `actor` may approve (or, with verb="deny", deny) `requester`'s request
    under `rule`, else why not, worded for that verb. `membership` is what the lookups of
    the approvers' teams and user groups found; without it they grant nothing."""
    name = policy.name_for(actor)
    if not rule.self_approval and policy.same_person(requester, actor):
        return f"{name} cannot {verb} their own request"
    if policy.key_for(actor) not in policy.members(rule.approvers, membership):
        action = "rollbacks" if rule.target_key == ROLLBACK else rule.label
        model = f" for {rule.model}" if rule.model else ""
        if not rule.approvers:
            # "denys": the wording the service's deny sentence has always had.
            return f"nobody {verb}s {action}{model}"
        unread = _unread_note(membership or NO_LOOKUPS, policy.sources_for(rule.approvers))
        return f"{name} is not in {join_names(rule.approvers)}, who {verb} {action}{model}{unread}"
    return None


def counted_approvers(
    policy: Policy,
    rule: TargetRule,
    requester: str,
    actors: Iterable[str],
    membership: Membership | None = None,
) -> list[str]:
    """The actors whose approvals count, one per person, in the order they came.

    One person approving from Slack and again from GitHub counts once (their first).
    With one count per group, only the approvals the groups' places take count (see
    `quorum_counts`).
    """
    counted = _distinct_approvers(policy, rule, requester, actors, membership)
    if not rule.quorum:
        return counted
    assigned = assign_approvers(policy, rule, counted, membership)
    taken = {actor for people in assigned.values() for actor in people}
    return [actor for actor in counted if actor in taken]


def quorum_counts(
    policy: Policy,
    rule: TargetRule,
    requester: str,
    actors: Iterable[str],
    membership: Membership | None = None,
) -> tuple[QuorumCount, ...]:
    """Each group's count (`ml-leads 1 of 1`), for a rule with one count per group; ()
    for a rule with one count. One person's approval counts toward one group only
    (bot/core/policy/quorum.py says how approvals are assigned to groups)."""
    if not rule.quorum:
        return ()
    counted = _distinct_approvers(policy, rule, requester, actors, membership)
    return counts(rule.quorum, assign_approvers(policy, rule, counted, membership))


def _distinct_approvers(
    policy: Policy,
    rule: TargetRule,
    requester: str,
    actors: Iterable[str],
    membership: Membership | None,
) -> list[str]:
    counted: list[str] = []
    for actor in actors:
        if approval_check(policy, rule, requester, actor, membership=membership) is not None:
            continue
        if not any(policy.same_person(actor, seen) for seen in counted):
            counted.append(actor)
    return counted
