"""The policy's decision on a Proposal, reading only what the rules need."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.core import state
from bot.core.policy import ChecksSnapshot, Decision, Membership, RequestFacts, TargetRule, decide
from bot.core.ports.github import GitHubError
from bot.core.ports.registry import ModelInfo, VersionInfo
from bot.core.results import MetricRow
from bot.core.service.common import Deps
from bot.core.service.proposal import Proposal, Reads
from bot.core.state.watch import entered_stage
from bot.core.text import metric_order


@dataclass(frozen=True)
class Assessment:
    decision: Decision
    metrics: list[MetricRow]  # the table people see
    # What the relative gates compared with, {stage or @alias: {version, metrics}}: a request
    # keeps it, so that its approval compares with the figures its approvers were shown.
    compared: dict[str, Any] = field(default_factory=dict)


def assess(
    deps: Deps,
    reads: Reads,
    proposal: Proposal,
    *,
    table: bool | None = None,
    known: dict[str, Any] | None = None,
    membership: Membership | None = None,
) -> Assessment:
    """Decide, reading the candidate's metrics and the holder of a stage a relative gate
    compares with. The metrics of the version being replaced are read for the table
    people see when the outcome is not immediate (pending, refused; `table=True` forces
    it, False skips it). `known` is a request's record of what it compared with: a
    holder still in place is compared with those figures, not read again. `membership`
    is the rule's teams and user groups as already looked up in this command, if they
    were."""
    info, version = proposal.info, proposal.version
    rule = deps.rule(info.name, proposal.action, proposal.target.key)
    holders, compared = _relative_holders(reads, info, rule, known or {})
    facts = RequestFacts(
        model=info.name,
        action=proposal.action,
        target_key=proposal.target.key,
        target_label=proposal.target.label,
        actor=proposal.ctx.actor,
        reason=proposal.reason,
        version=version.version,
        version_stage=version.stage,
        version_metrics=reads.metrics(version),
        holders=holders,
        now=proposal.now,
        membership=membership if membership is not None else deps.membership(rule),
        checks=read_checks(deps, version) if rule and rule.require_checks else None,
        stage_since=_stage_since(info, rule, version),
        live=live_figures(deps, rule, proposal),
        version_aliases=tuple(
            f"@{alias}" for alias, number in info.aliases.items() if number == version.version
        ),
    )
    decision = decide(deps.policy, facts)
    show = decision.outcome != "allowed" if table is None else table
    rows = metric_rows(reads, info, rule, version, proposal.current if show else None)
    return Assessment(decision, rows, compared)


def read_checks(deps: Deps, version: VersionInfo) -> ChecksSnapshot:
    """The GitHub checks on the version's commit, for a rule with `require_checks`; or
    why they cannot be read, which the gate refuses with (fail closed)."""
    source = state.git_source(version.tags)
    if source is None:
        return ChecksSnapshot(
            problem=f"v{version.version} has no git metadata (model-version tags "
            "`git_repository` and `git_commit`), so there is no commit to read checks of",
            fix="promote a version registered by CI (`promobot register`), which records "
            "its repository and commit",
        )
    repository, sha = source
    reader = deps.github.checks
    if reader is None:
        return ChecksSnapshot(
            repository,
            sha,
            problem="GITHUB_TOKEN is not set, so promobot cannot read the checks on GitHub",
            fix="set GITHUB_TOKEN to a token that may read checks and statuses "
            "(`checks: read`, `statuses: read`)",
        )
    try:
        return reader.commit_checks(repository, sha)
    except GitHubError as exc:
        return ChecksSnapshot(repository, sha, problem=str(exc))


def _relative_holders(
    reads: Reads, info: ModelInfo, rule: TargetRule | None, known: dict[str, Any]
) -> tuple[dict[str, tuple[int, dict[str, float]]], dict[str, Any]]:
    holders: dict[str, tuple[int, dict[str, float]]] = {}
    compared: dict[str, Any] = {}
    gates = [g for g in (rule.metrics if rule else ()) if g.relative_to]
    for stage in sorted({g.relative_to for g in gates if g.relative_to}):
        # Without stages, "production" in a gate is the version @production names.
        number = (
            info.aliases.get(stage[1:]) if stage.startswith("@") else info.stage_latest.get(stage)
        )
        if number is None:
            continue
        figures = _recorded_figures(known.get(stage), number)
        if figures is None:
            figures = reads.metrics(reads.version(info, number))
        holders[stage] = (number, figures)
        names = {g.metric for g in gates if g.relative_to == stage}
        compared[stage] = {
            "version": number,
            "metrics": {m: v for m, v in figures.items() if m in names},
        }
    return holders, compared


def _stage_since(info: ModelInfo, rule: TargetRule | None, version: VersionInfo) -> Any:
    """When the candidate entered the stage a soak counts from (None: not asked)."""
    if rule is None or rule.soak is None or rule.require_stage is None:
        return None
    stage_key = rule.require_stage.lower()  # `staging`, or the alias `@staging`
    return entered_stage(info.tags, version.tags, version.version, stage_key)


def live_figures(
    deps: Deps, rule: TargetRule | None, proposal: Proposal
) -> dict[str, tuple[float | None, str]]:
    """The live gates' figures for the candidate, one instant query each."""
    figures: dict[str, tuple[float | None, str]] = {}
    for check in rule.live if rule else ():
        query = check.filled(proposal.model, proposal.version.version, proposal.target.key)
        reading = deps.prometheus.query(query)
        figures[check.name] = (reading.value, reading.problem)
    return figures


def metric_rows(
    reads: Reads,
    info: ModelInfo,
    rule: TargetRule | None,
    version: VersionInfo,
    current: int | None,
) -> list[MetricRow]:
    """The table people see: the candidate's metrics, and the version it would replace
    (`current`; None leaves that column empty and reads nothing)."""
    candidate = reads.metrics(version)
    replaced: dict[str, float] = {}
    if current is not None and current != version.version:
        replaced = reads.metrics(reads.version(info, current))
    gated = [g.metric for g in rule.metrics] if rule else []
    names = metric_order(gated, candidate, replaced, limit=8)
    return [MetricRow(n, candidate.get(n), replaced.get(n)) for n in names]


def _recorded_figures(seen: Any, number: int) -> dict[str, float] | None:
    """The metrics a request recorded for the holder it compared with, if that holder is
    still version `number` and the record is sound; else None (read them again)."""
    if not isinstance(seen, dict) or seen.get("version") != number:
        return None
    metrics = seen.get("metrics")
    if not isinstance(metrics, dict):
        return None
    try:
        return {str(k): float(v) for k, v in metrics.items()}
    except (TypeError, ValueError):
        return None
