"""Loading a policy: the raw, validated files (bot/core/policy/files.py) turned into the
typed rules of bot/core/policy/rules.py, defaults filled (Atlantis' raw → valid)."""

from __future__ import annotations

from pathlib import Path

from bot.core.policy.files import read_policy_files
from bot.core.policy.groups import is_external
from bot.core.policy.problems import PolicyError
from bot.core.policy.registry_checks import stated_stages
from bot.core.policy.rules import (
    ROLLBACK,
    FreezeWindow,
    MetricGate,
    ModelRules,
    Person,
    Policy,
    TargetRule,
)
from bot.core.policy.schema import (
    RawFreeze,
    RawLiveCheck,
    RawModel,
    RawPerson,
    RawRollback,
    RawTarget,
    RawVerify,
)
from bot.core.policy.watching import LiveCheck, VerifyRule


def load_policy(path: str | Path) -> Policy:
    """Load a policy file, or every *.yaml/*.yml in a folder (merged, in name order).

    Raises PolicyError listing every problem found, each with file, line and field.
    """
    files = read_policy_files(path)
    stages = stated_stages(files)
    people: dict[str, Person] = {}
    groups: dict[str, tuple[str, ...]] = {}
    external: dict[str, tuple[str, ...]] = {}
    models: list[ModelRules] = []
    for file in files:
        raw = file.raw
        if raw is None:  # pragma: no cover - read_policy_files raises first
            raise PolicyError([f"{file.name}: could not be read"])
        for key, person in raw.people.items():
            people.setdefault(key, _person(key, person))
        for key, names in raw.groups.items():
            if key not in groups:
                groups[key] = tuple(dict.fromkeys(n for n in names if not is_external(n)))
                if linked := tuple(dict.fromkeys(n for n in names if is_external(n))):
                    external[key] = linked
        for index, entry in enumerate(raw.models):
            where = f"{file.name}:{file.lines.line(('models', index))}"
            models.append(_model(entry, where, stages))
    sources = tuple(file.name for file in files)
    return Policy(people, groups, tuple(models), sources, external=external, stages=stages)


def check(path: str | Path) -> list[str]:
    """The problems `load_policy` would raise, or [] when the files are valid."""
    try:
        load_policy(path)
    except PolicyError as error:
        return error.problems
    return []


def _person(key: str, raw: RawPerson) -> Person:
    return Person(key, raw.email, raw.github, raw.slack, raw.cli, raw.mlflow)


def _model(raw: RawModel, source: str, stages: bool) -> ModelRules:
    targets = {key: _rule(key, rule, raw.name, stages) for key, rule in raw.targets.items()}
    rollback = _rule(ROLLBACK, raw.rollback, raw.name, stages) if raw.rollback else None
    lockers = tuple(raw.locks.requesters) if raw.locks else ()
    return ModelRules(raw.name, targets, rollback, source, lockers, raw.slack_channel)


def _rule(key: str, raw: RawTarget | RawRollback, model: str, stages: bool) -> TargetRule:
    quorum = tuple(raw.approvals.items()) if isinstance(raw.approvals, dict) else ()
    common = {
        "target_key": key,
        "requesters": tuple(raw.requesters),
        "approvers": tuple(raw.approvers) or tuple(group for group, _ in quorum),
        "approvals": raw.approvals if isinstance(raw.approvals, int) else sum(n for _, n in quorum),
        "quorum": quorum,
        "self_approval": raw.self_approval,
        "require_reason": raw.require_reason,
        "request_ttl": raw.request_ttl,
        "model": model,
        "deny_requires_reason": raw.deny_requires_reason,
    }
    if not isinstance(raw, RawTarget):
        return TargetRule(**common, respect_locks=raw.respect_locks)
    return TargetRule(
        **common,
        require_stage=_required(raw.require_stage),
        metrics=tuple(
            MetricGate(metric, expr, aliases_only=not stages)
            for metric, expr in raw.metrics.items()
        ),
        require_checks=raw.require_checks,
        freeze=tuple(_window(window) for window in raw.freeze),
        soak=raw.soak,
        live=tuple(_live(check) for check in raw.live),
        verify=_verify(raw.verify) if raw.verify else None,
    )


def _required(need: str | None) -> str | None:
    """`staging` → `Staging` (the stage's name); an alias stays as written, `@staging`."""
    if need is None or need.startswith("@"):
        return need
    return need.capitalize()


def _live(raw: RawLiveCheck) -> LiveCheck:
    return LiveCheck(raw.name, raw.prometheus, raw.threshold)


def _verify(raw: RawVerify) -> VerifyRule:
    checks = tuple(_live(check) for check in raw.checks)
    return VerifyRule(raw.watch, raw.every, raw.failures, raw.no_data, raw.on_failure, checks)


def _window(raw: RawFreeze) -> FreezeWindow:
    return FreezeWindow(tuple(raw.days), raw.start, raw.end, raw.timezone, raw.reason)
