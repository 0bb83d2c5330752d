"""The audit: drift found on every governed model, each new finding reported once, and
each drift recorded in the trail once (kept there after it is put right)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core import events, state
from bot.core.ports.registry import GuardStatus, ModelInfo
from bot.core.results import DriftResult
from bot.core.service.common import Context, Deps
from bot.core.service.drift import Finding, find_drift
from bot.core.service.receipt_audit import receipt_findings
from bot.core.state.drift import signature as drift_signature

AUDIT = Context(actor="promobot", channel="audit")


@dataclass(frozen=True)
class DriftReport:
    models_checked: int
    findings: list[Finding]
    unknown: list[str] = field(default_factory=list)  # names given that MLflow does not have


class DriftScan:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def target_keys(self, model: str) -> list[str]:
        rules = self.deps.policy.rules_for(model)
        return list(rules.targets) if rules else []

    def drift(self, info: ModelInfo) -> list[Finding]:
        return find_drift(info, self.target_keys(info.name))

    def governed(self) -> list[str]:
        """The registered models the policy names (promobot's own lock and ledger models aside)."""
        names = self.deps.registry.model_names(self.deps.policy.patterns())
        return [
            n
            for n in names
            if not n.startswith(state.OWN_MODEL_PREFIXES) and self.deps.policy.rules_for(n)
        ]

    def scan(self, models: Sequence[str] = ()) -> DriftReport:
        """Every finding on the models given, or on every governed model (`promobot
        audit`). Each drift the trail does not hold yet is recorded there; nothing is
        announced (that is the passes' job, `report_new`)."""
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
            found = self.drift(info)
            findings.extend(found)
            for key in dict.fromkeys(f.target_key for f in found):
                if state.unrecorded(info.tags, key, _on(found, key)):
                    self._record(name, key, "audit")
            findings.extend(receipt_findings(self.deps, info, self.target_keys(name)))
        return DriftReport(checked, findings, unknown)

    def guard(self) -> GuardStatus:
        """Whether the registry itself refuses governed changes made outside promobot."""
        return self.deps.registry.guard()

    def report_new(
        self, model: str, ctx: Context = AUDIT, found_by: str = "webhook"
    ) -> list[Finding]:
        """The findings on `model` not reported before, each published once as
        `drift_found` (under its target's lock, so replicas report it once); a target
        found clean again forgets what was reported, so a new drift there is news. Each
        drift is also recorded in the trail, once, `found_by` what found it: an MLflow
        webhook delivery (bot/core/service/webhooks.py) unless `report_all` says it was
        the scheduled pass."""
        info = self.deps.registry.get_model(model)
        if info is None:
            return []
        found = self.drift(info)
        new: list[Finding] = []
        for key in self.target_keys(model):
            mine = _on(found, key)
            reported = info.tags.get(state.drift_key(key), "") == drift_signature(mine)
            if reported and not state.unrecorded(info.tags, key, mine):
                continue
            new.extend(self._report(model, key, ctx, found_by))
        return new

    def _report(self, model: str, key: str, ctx: Context, found_by: str) -> list[Finding]:
        registry = self.deps.registry
        with registry.mutex(state.mutex_bucket(model, key), model, key):
            info = registry.get_model(model)
            if info is None:
                return []
            findings = _on(self.drift(info), key)
            keep_finding(self.deps, info, key, findings, found_by)
            signature = drift_signature(findings)
            if info.tags.get(state.drift_key(key), "") == signature:
                # Another replica reported it a moment ago, or what the read outside the
                # lock saw has settled since.
                return []
            registry.set_model_tag(model, state.drift_key(key), signature)
        if findings:
            shown = DriftResult(model=model, target=findings[0].target, drift=tuple(findings))
            self.deps.publish(events.DRIFT_FOUND, shown, ctx)
        return findings

    def _record(self, model: str, key: str, found_by: str) -> None:
        """Record the drift on one target in the trail, under its lock, from a read made
        under it."""
        registry = self.deps.registry
        with registry.mutex(state.mutex_bucket(model, key), model, key):
            info = registry.get_model(model)
            if info is not None:
                keep_finding(self.deps, info, key, _on(self.drift(info), key), found_by)

    def report_all(self) -> list[Finding]:
        """The scheduled pass: new findings on every governed model."""
        new: list[Finding] = []
        for model in self.governed():
            new.extend(self.report_new(model, found_by="audit-pass"))
        return new


def keep_finding(
    deps: Deps, info: ModelInfo, key: str, findings: list[Finding], found_by: str
) -> bool:
    """Record `findings` (on target `key`) in the trail, unless it holds them already: a
    `mlflow.promobot.finding.…` tag, written once and never removed, so the drift stays
    in `history` and `audit export` once it is put right. The caller holds the target's
    lock and read `info` under it, so finders that meet record a drift once. Whether
    something was written."""
    if not state.unrecorded(info.tags, key, findings):
        return False
    now = deps.clock()
    since = state.last_move(info.tags, key)
    value = state.finding_record(findings, now, found_by, since)
    deps.registry.set_model_tag(info.name, state.finding_key(now, key), value)
    return True


def _on(findings: list[Finding], key: str) -> list[Finding]:
    return [f for f in findings if f.target_key == key]
