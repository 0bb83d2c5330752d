"""Stages, or aliases only: what a command may name in this registry.

The parser reads `production` as a stage and `@production` as an alias whatever the
registry holds; the policy says which the registry has (`registry: {stages: …}`,
docs/contract.md, "Stages and aliases"). With stages, `@staging`, `@production` and
`@archived` mirror the stages and only a stage move changes them; without, the stage
names are refused with the alias to write, so promobot never moves nor reads a stage a
person named, and `rollback <model>` rolls back @production.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.commands import (
    STAGES,
    Command,
    Lock,
    Promote,
    Rollback,
    Target,
    Unlock,
    VersionSpec,
)
from bot.core.policy import Policy
from bot.core.results import REFUSED, Action, LockResult, MoveResult, Result
from bot.core.state import Request

SWITCH = "`registry: {stages: false}` in the policy"


def serving(policy: Policy) -> Target:
    """The target deployment code loads in production: the stage Production, or without
    stages the alias @production."""
    return Target("stage", "Production") if policy.stages else Target("alias", "production")


def fit(policy: Policy, command: Command) -> tuple[Command, Result | None]:
    """The command as this registry reads it, or its refusal (one sentence and the words
    to write instead)."""
    if isinstance(command, Rollback) and command.default_target and not policy.stages:
        command = replace(command, target=serving(policy))
    if not isinstance(command, Promote | Rollback | Lock | Unlock):
        return command, None
    problems = [
        problem
        for problem in (
            target_problem(policy, command.target),
            _version_problem(policy, _version_of(command)),
        )
        if problem
    ]
    if not problems:
        return command, None
    return command, _refusal(command, tuple(problems))


def target_problem(policy: Policy, target: Target | None) -> str | None:
    """Why this registry has no such target, or None."""
    if target is None:
        return None
    if policy.stages and target.kind == "alias" and target.name in STAGES:
        # Stage aliases mirror their stage; setting one alone would break that.
        return (
            f"`@{target.name}` mirrors the {STAGES[target.name]} stage and moves with it; "
            f"name the stage `{target.name}` instead."
        )
    if not policy.stages and target.kind == "stage":
        key = target.name.lower()
        return f"`{key}` is a stage, and this registry has no stages ({SWITCH}): write `@{key}`."
    return None


def stage_gone(policy: Policy, req: Request) -> str | None:
    """Why a request for a stage, made before the registry dropped its stages, cannot be
    approved; None for any other request."""
    if policy.stages or req.target_kind != "stage":
        return None
    return (
        f"{req.id} asks for the stage {req.target_label}, and this registry has no stages "
        f"now ({SWITCH}); nothing was approved. Ask again for the alias: "
        f"`promote {req.model} v{req.version} @{req.target_key} <reason>`."
    )


def _version_problem(policy: Policy, spec: VersionSpec | None) -> str | None:
    if policy.stages or spec is None or spec.kind != "stage":
        return None
    key = spec.value.lower()
    return (
        f"`{key}` names a stage, and this registry has no stages ({SWITCH}): name the "
        f"version by its alias, `@{key}`, or by its number."
    )


def _version_of(command: Command) -> VersionSpec | None:
    if isinstance(command, Promote):
        return command.version
    if isinstance(command, Rollback):
        return command.to_version
    return None


def _refusal(command: Promote | Rollback | Lock | Unlock, reasons: tuple[str, ...]) -> Result:
    label = command.target.label if command.target is not None else None
    if isinstance(command, Lock | Unlock):
        action = Action.LOCK if isinstance(command, Lock) else Action.UNLOCK
        return LockResult(
            status=REFUSED, action=action, model=command.model, target=label, reasons=reasons
        )
    action = Action.PROMOTE if isinstance(command, Promote) else Action.ROLLBACK
    return MoveResult(
        status=REFUSED,
        action=action,
        model=command.model,
        target=label,
        reason=command.reason,
        reasons=reasons,
        dry_run=command.dry_run,
    )
