"""The audit: drift found on every governed model, each new finding reported once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core import events, state
from bot.core.ports.registry import ModelInfo
from bot.core.results import DriftResult
from bot.core.service.common import Context, Deps
from bot.core.service.drift import Finding, find_drift

AUDIT = Context(actor="promobot", channel="audit")


@dataclass(frozen=True)
class AuditReport:
    models_checked: int
    findings: list[Finding]
    unknown: list[str] = field(default_factory=list)  # names given that MLflow does not have


class Audit:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def target_keys(self, model: str) -> list[str]:
        rules = self.deps.policy.rules_for(model)
        return list(rules.targets) if rules else []

    def drift(self, info: ModelInfo) -> list[Finding]:
        return find_drift(info, self.target_keys(info.name))

    def governed(self) -> list[str]:
        """The registered models the policy names (promobot's own lock models aside)."""
        names = self.deps.registry.model_names()
        return [
            n
            for n in names
            if not n.startswith(state.LOCK_MODEL_PREFIX) and self.deps.policy.rules_for(n)
        ]

    def audit(self, models: Sequence[str] = ()) -> AuditReport:
        """Every finding on the models given, or on every governed model."""
        names = list(models) or self.governed()
        findings: list[Finding] = []
        unknown: list[str] = []
        checked = 0
        for name in names:
            info = self.deps.registry.get_model(name)
            if info is None:
                unknown.append(name)
                continue
            checked += 1
            findings.extend(self.drift(info))
        return AuditReport(checked, findings, unknown)

    def report_new(self, model: str, ctx: Context = AUDIT) -> list[Finding]:
        """The findings on `model` not reported before, each published once as
        `drift_found` (under its target's lock, so replicas report it once); a target
        found clean again forgets what was reported, so a new drift there is news."""
        info = self.deps.registry.get_model(model)
        if info is None:
            return []
        found = self.drift(info)
        by_target: dict[str, list[Finding]] = {}
        for finding in found:
            by_target.setdefault(finding.target_key, []).append(finding)
        new: list[Finding] = []
        for key in self.target_keys(model):
            signature = "|".join(f.signature for f in by_target.get(key, []))
            if info.tags.get(state.drift_key(key), "") == signature:
                continue
            new.extend(self._report(model, key, signature, ctx))
        return new

    def _report(self, model: str, key: str, signature: str, ctx: Context) -> list[Finding]:
        registry = self.deps.registry
        with registry.lock(state.lock_bucket(model, key), model, key):
            info = registry.get_model(model)
            if info is None or info.tags.get(state.drift_key(key), "") == signature:
                return []  # another replica reported it a moment ago
            findings = [f for f in self.drift(info) if f.target_key == key]
            signature = "|".join(f.signature for f in findings)
            if info.tags.get(state.drift_key(key), "") == signature:
                return []  # what the read outside the lock saw has settled since
            registry.set_model_tag(model, state.drift_key(key), signature)
        if findings:
            shown = DriftResult(model=model, target=findings[0].target, drift=tuple(findings))
            self.deps.publish(events.DRIFT_FOUND, shown, ctx)
        return findings

    def report_all(self) -> list[Finding]:
        """The scheduled pass: new findings on every governed model."""
        new: list[Finding] = []
        for model in self.governed():
            new.extend(self.report_new(model))
        return new
