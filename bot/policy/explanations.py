"""The rules that apply to a model, as sentences people read (`policy <model>`)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.policy.rules import ROLLBACK, Policy, TargetRule, join_names
from bot.policy.values import duration_text


def _who(policy: Policy, names: Sequence[str]) -> str:
    """`ml-leads (alice, dave)` for groups; people as themselves."""
    parts = []
    for name in names:
        if name in policy.groups:
            parts.append(f"{name} ({', '.join(policy.groups[name]) or 'nobody'})")
        else:
            parts.append(name)
    return join_names(parts)


def _explain_rule(policy: Policy, rule: TargetRule) -> list[str]:
    lines = [f"requested by {_who(policy, rule.requesters)}"]
    if rule.approvals == 0:
        lines.append("no approval needed")
    else:
        plural = "approval" if rule.approvals == 1 else "approvals"
        own = (
            "the requester may approve their own request"
            if rule.self_approval
            else "nobody approves their own request"
        )
        lines.append(f"needs {rule.approvals} {plural} from {_who(policy, rule.approvers)}; {own}")
    if rule.require_stage:
        lines.append(f"must be in {rule.require_stage} first")
    if rule.soak and rule.require_stage:
        lines.append(f"must have held {rule.require_stage} for {duration_text(rule.soak)} (soak)")
    if rule.require_reason:
        lines.append("a reason is required")
    lines.extend(gate.label for gate in rule.metrics)
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
    return lines


def explain(policy: Policy, model: str) -> list[tuple[str, list[str]]] | None:
    """The rules for a model as sentences, per target label, then "rollback"."""
    rules = policy.rules_for(model)
    if rules is None:
        return None
    out = [(rule.label, _explain_rule(policy, rule)) for rule in rules.targets.values()]
    if rules.rollback is not None:
        out.append(
            (
                ROLLBACK,
                [*_explain_rule(policy, rules.rollback), "freeze windows never block a rollback"],
            )
        )
    return out
