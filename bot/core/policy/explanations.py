"""The rules that apply to a model, as sentences people read (`policy <model>`)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.policy.groups import Membership
from bot.core.policy.rules import ROLLBACK, Policy, TargetRule, join_names
from bot.core.policy.values import duration_text


def _who(policy: Policy, names: Sequence[str], membership: Membership | None) -> str:
    """`ml-leads (alice, dave)` for groups; people as themselves. A group's teams and
    user groups follow its people, with their members as found (`github-team:acme/sre:
    carol, github:zed`), or why they could not be read; without `membership`, as written."""
    parts = []
    for name in names:
        if name not in policy.groups:
            parts.append(name)
            continue
        listed = [", ".join(policy.groups[name])] if policy.groups[name] else []
        listed.extend(
            _linked(policy, source, membership) for source in policy.external.get(name, ())
        )
        parts.append(f"{name} ({'; '.join(listed) or 'nobody'})")
    return join_names(parts)


def _linked(policy: Policy, source: str, membership: Membership | None) -> str:
    if membership is None:
        return source
    if source not in membership.found:
        return membership.unread([source])[0]
    names = sorted({policy.name_for(handle) for handle in membership.handles(source)})
    return f"{source}: {', '.join(names) or 'nobody'}"


def _explain_rule(policy: Policy, rule: TargetRule, membership: Membership | None) -> list[str]:
    lines = [f"requested by {_who(policy, rule.requesters, membership)}"]
    own = (
        "the requester may approve their own request"
        if rule.self_approval
        else "nobody approves their own request"
    )
    if rule.approvals == 0:
        lines.append("no approval needed")
    elif rule.quorum:
        parts = [f"{n} from {_who(policy, (group,), membership)}" for group, n in rule.quorum]
        noun = "approval" if rule.quorum[0][1] == 1 else "approvals"
        parts[0] = parts[0].replace(" from ", f" {noun} from ", 1)
        alone = "; one person's approval counts toward one group only" if len(parts) > 1 else ""
        lines.append(f"needs {join_names(parts, 'and')}{alone}; {own}")
    else:
        plural = "approval" if rule.approvals == 1 else "approvals"
        approvers = _who(policy, rule.approvers, membership)
        lines.append(f"needs {rule.approvals} {plural} from {approvers}; {own}")
    if rule.require_stage:
        where = rule.require_stage
        lines.append(f"must {'hold' if where.startswith('@') else 'be in'} {where} first")
    if rule.soak and rule.require_stage:
        lines.append(f"must have held {rule.require_stage} for {duration_text(rule.soak)} (soak)")
    if rule.require_reason:
        lines.append("a reason is required")
    lines.extend(gate.label for gate in rule.metrics)
    if rule.require_checks is not None:
        need = rule.require_checks
        lines.append(
            "every GitHub check on the version's commit must have passed"
            if need.every
            else f"GitHub checks that must have passed on the version's commit: {need.label}"
        )
    lines.extend(
        f"live gate: {c.label}, from Prometheus `{c.query}` (at request and at execution; "
        "no data fails the gate)"
        for c in rule.live
    )
    lines.extend(f"frozen {window.label}" for window in rule.freeze)
    if rule.verify is not None:
        lines.extend(rule.verify.sentences())
    if rule.approvals > 0:
        lines.append(f"requests expire after {duration_text(rule.request_ttl)}")
    if rule.deny_requires_reason:
        lines.append("a denial needs a reason")
    if rule.respect_locks:
        lines.append("a lock on the target stops rollbacks too")
    return lines


def explain(
    policy: Policy, model: str, membership: Membership | None = None
) -> list[tuple[str, list[str]]] | None:
    """The rules for a model as sentences, per target label, then "rollback". With
    `membership`, groups show their teams' and user groups' members as found."""
    rules = policy.rules_for(model)
    if rules is None:
        return None
    out = [(rule.label, _explain_rule(policy, rule, membership)) for rule in rules.targets.values()]
    if rules.rollback is not None:
        lines = _explain_rule(policy, rules.rollback, membership)
        out.append((ROLLBACK, [*lines, "freeze windows never block a rollback"]))
    if rules.lock_requesters:
        who = _who(policy, rules.lock_requesters, membership)
        out.append(("locks", [f"locked and unlocked by {who}"]))
    if rules.slack_channel:
        out.append((ANNOUNCEMENTS, [_announced_in(rules.slack_channel)]))
    return out


def lookups(
    policy: Policy, membership: Membership, sources: Sequence[str]
) -> dict[str, dict[str, object]]:
    """Each source's members as found, by policy key or handle (`{"members": [...]}`), or
    why it could not be read (`{"error": why}`), for `--json`."""
    out: dict[str, dict[str, object]] = {}
    for source in sources:
        if source in membership.found:
            names = sorted({policy.name_for(h) for h in membership.handles(source)})
            out[source] = {"members": names}
        else:
            out[source] = {"error": membership.why(source)}
    return out


def model_sources(policy: Policy, model: str) -> tuple[str, ...]:
    """The teams and user groups the rules of a model name, through their groups."""
    rules = policy.rules_for(model)
    if rules is None:
        return ()
    every = [*rules.targets.values(), *([rules.rollback] if rules.rollback else [])]
    return policy.sources_for(
        name for rule in every for name in (*rule.requesters, *rule.approvers)
    )


ANNOUNCEMENTS = "announcements"


def _announced_in(channel: str) -> str:
    return (
        f"in Slack channel {channel}: requests waiting for approval (with Approve / Deny), "
        "promotions and rollbacks done, drift found, new versions"
    )
