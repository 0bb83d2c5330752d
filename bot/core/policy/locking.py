"""Who may lock and unlock a model's targets (`lock`, `unlock`). Pure.

These are the locks people put on a target to stop releases (docs/contract.md, "Locks").
They have nothing to do with the execution lock of bot/adapters/mlflow/mutex.py (the
`promobot-lock.<bucket>` models), which only makes executions on a target take turns.
"""

from __future__ import annotations

from bot.core.policy.rules import ModelRules, Policy, join_names, target_label


def lockers(rules: ModelRules, target_key: str) -> tuple[str, ...]:
    """The groups and people who may lock (and unlock) a target: the model's `locks:`
    requesters where the policy names them, else the target's requesters and approvers."""
    if rules.lock_requesters:
        return rules.lock_requesters
    rule = rules.targets.get(target_key)
    if rule is None:
        return ()
    return tuple(dict.fromkeys((*rule.requesters, *rule.approvers)))


def lock_refusal(
    policy: Policy, rules: ModelRules, model: str, target_key: str, actor: str
) -> str | None:
    """None if `actor` may lock and unlock `target_key` of `model`, else why not (one
    sentence, without the final stop)."""
    names = lockers(rules, target_key)
    person = policy.person_for(actor)
    if person is not None and person.key in policy.members(names):
        return None
    label = target_label(target_key)
    if not names:
        return f"Nobody may lock or unlock {label} of {model}: the policy has no rule for it"
    whose = (
        f"the policy's `locks:` ({rules.source})"
        if rules.lock_requesters
        else f"the requesters and approvers of {label}"
    )
    if person is None:
        why = f"{actor} is not in the policy's people"
    else:
        why = f"{person.key} is not among them"
    able = sorted(policy.members(names))
    ask = f"; ask {join_names(able)}" if able else ""
    return (
        f"Only {join_names(names)} ({whose}) may lock or unlock {label} of {model}, and {why}{ask}"
    )
