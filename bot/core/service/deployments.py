"""GitHub as the release record: the deployment of each promotion, which ones are missing,
and their repair (docs/contract.md, "Deployment records").

A promotion or rollback that puts a version carrying `git_repository` and `git_commit`
on a target is recorded as a GitHub deployment of that commit to the environment
`<model>/<target>`. The execution (bot/core/service/execution.py) calls `record` once the
version is in place, under the target's lock it holds and before it reports `executed`:
the person sees in the result whether it was recorded (the one place that shows it), and
whoever hears of the execution hears of its deployment too. `repair` sends what is
missing later, each under its target's lock after reading again, so a deployment is sent
once however many repairs run. The HTTP is the DeploymentSender port's
(bot/core/ports/github.py); what was sent, or why not, is written on the version
(`github_deployment.<target>`, bot/state). GitHub failing never undoes the promotion: it
is said in the result and listed by `missing`.
"""

from __future__ import annotations

import logging
import urllib.parse
from dataclasses import dataclass, replace

from bot.core import state
from bot.core.commands import Target
from bot.core.events import Reply
from bot.core.ports.github import DeploymentPlan, DeploymentSender, GitHubError, SentDeployment
from bot.core.ports.registry import ModelInfo, VersionInfo
from bot.core.results import DONE, DeploymentCheck, DeploymentRepair, MissingDeployment, Result
from bot.core.service.common import Deps, holder
from bot.core.service.proposal import Reads
from bot.core.text import clip, one_line

log = logging.getLogger("promobot.deployments")

# How a person records what is missing (the lead folds it into `promobot audit --repair`).
REPAIR_COMMAND = "promobot deployments repair"
NEVER_SENT = "never sent"
DESCRIPTION_MAX = 140  # GitHub's limit on a deployment's description
# Stages a version leaves when it moves to another: its deployment there goes inactive.
_MOVING_STAGES = ("Staging", "Production")


@dataclass(frozen=True)
class _Deployable:
    """An execution whose version comes from a GitHub commit, ready to be sent."""

    info: ModelInfo
    event: state.HistoryEvent
    version: VersionInfo
    source: tuple[str, str]  # (repository, commit)

    @property
    def label(self) -> str:
        return self.event.target_label


class Deployments:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    # ---- right after an execution -------------------------------------------------------

    def record(self, result: Result) -> Reply | None:
        """Send and record the GitHub deployment of the execution `result` reports; what
        to tell the person (recorded, or not and why; the deployment for `--json`), or
        None when there is nothing to record (no token, no git metadata, nothing moved,
        `archived`). Never raises: the execution is in place."""
        try:
            return self._record(result)
        except Exception:
            # MLflow failing to take the record (GitHub failing is a note already): the
            # promotion stands, and the deployment is listed as missing until repaired.
            log.warning("recording the GitHub deployment failed", exc_info=True)
            return None

    def _record(self, result: Result) -> Reply | None:
        sender = self.deps.github.deployer
        if sender is None or result.status != DONE or result.already or result.dry_run:
            return None
        if not result.model or not result.request_id:
            return None
        info = self.deps.registry.get_model(result.model)
        event = state.execution_of(info.tags, result.request_id) if info else None
        found = self._deployable(info, event, Reads(self.deps.registry)) if info else None
        if found is None:
            return None
        deployment_id, why, left = self._send(found, sender, None)
        deployment = {
            "environment": state.environment_name(found.info.name, found.label),
            "repository": found.source[0],
            "id": deployment_id,
            "recorded": not why,
            "problem": why,
        }
        note = self._note(found, deployment_id, why)
        if left:
            note += f" The deployment it replaced is still shown as active: {left[0]}."
        return Reply(note, {"deployment": deployment})

    # ---- what is missing, and its repair ---------------------------------------------------

    def check(self, models: list[str]) -> DeploymentCheck:
        """The current holders of each model's targets whose promotion has no GitHub
        deployment recorded (every model when `models` is empty)."""
        names = list(dict.fromkeys(models)) or [
            name
            for name in self.deps.registry.model_names(self.deps.policy.patterns())
            if not name.startswith(state.OWN_MODEL_PREFIXES)
        ]
        missing: list[MissingDeployment] = []
        unknown: list[str] = []
        for name in names:
            info = self.deps.registry.get_model(name)
            if info is None:
                unknown.append(name)
                continue
            reads = Reads(self.deps.registry)
            for event in state.latest_executions(info.tags).values():
                found = self._deployable(info, event, reads)
                if found is not None and (gap := _missing(found)) is not None:
                    missing.append(gap)
        return DeploymentCheck(missing, unknown)

    def repair(self, models: list[str]) -> list[DeploymentRepair]:
        """Send each missing deployment once: under its target's lock, after reading
        again (a repair or promotion meanwhile may have recorded it)."""
        sender = self.deps.github.deployer
        repairs = []
        for gap in self.check(models).missing:
            if sender is None:
                why = "GITHUB_TOKEN is not set, so nothing can be sent to GitHub"
                repairs.append(DeploymentRepair(gap, why=why))
                continue
            bucket = state.mutex_bucket(gap.model, gap.target_key)
            with self.deps.registry.mutex(bucket, gap.model, gap.target_key):
                repairs.append(self._repair_one(gap, sender))
        return repairs

    def _repair_one(self, gap: MissingDeployment, sender: DeploymentSender) -> DeploymentRepair:
        info = self.deps.registry.get_model(gap.model)
        event = state.latest_executions(info.tags).get(gap.target_key) if info else None
        found = self._deployable(info, event, Reads(self.deps.registry)) if info else None
        if found is None or event is None or event.request != gap.request_id:
            return DeploymentRepair(gap, skipped=True)  # another promotion came since
        if _missing(found) is None:
            return DeploymentRepair(gap, skipped=True)
        record = state.deployment_record(found.version.tags, found.label)
        resume = record.id if record and record.request == gap.request_id else None
        deployment_id, why, _ = self._send(found, sender, resume)
        return DeploymentRepair(gap, deployment_id=deployment_id, why=why)

    # ---- building, sending, recording --------------------------------------------------------

    def _deployable(
        self, info: ModelInfo | None, event: state.HistoryEvent | None, reads: Reads
    ) -> _Deployable | None:
        """The execution `event` as a deployment to make, if its version still holds the
        target and comes from a GitHub commit. `archived` is retiring, not deploying."""
        # Without stages, @archived is that resting place.
        if info is None or event is None or event.target_label in ("Archived", "@archived"):
            return None
        target = Target(event.target_kind, event.target_name)
        number = event.version
        if holder(info, target) != number:
            return None  # replaced since: deploying it now would misstate what serves
        version = reads.version(info, number)
        source = state.git_source(version.tags) if version else None
        if version is None or source is None:
            return None
        return _Deployable(info, event, version, source)

    def _send(
        self, found: _Deployable, sender: DeploymentSender, existing_id: int | None
    ) -> tuple[int | None, str, tuple[str, ...]]:
        """Send the deployment and write its record: (id, "", replaced deployments that
        could not be marked inactive), or (id or None, why it failed, ())."""
        plan, replaced = self._plan(found, existing_id)
        try:
            sent = sender.send(plan)
        except GitHubError as exc:
            why = one_line(str(exc))
            self._write(found, exc.deployment_id, why)
            return exc.deployment_id, why, ()
        self._write(found, sent.id, "")
        self._mark_inactive(found, sent, replaced)
        return sent.id, "", sent.problems

    def _plan(
        self, found: _Deployable, existing_id: int | None
    ) -> tuple[DeploymentPlan, dict[int, tuple[VersionInfo, str, state.DeploymentRecord]]]:
        event, version, model = found.event, found.version, found.info.name
        by, reason, approved = event.by, event.reason, event.approved_by
        line = f"v{version.version} → {found.label} by {by}"
        line += (f", approved by {approved}" if approved else "") + (
            f": {reason}" if reason else ""
        )
        ui = self.deps.github.mlflow_ui_url.rstrip("/")
        url = (
            f"{ui}/#/models/{urllib.parse.quote(model, safe='')}/versions/{version.version}"
            if ui
            else event.link
        )
        replaced = self._replaced(found)
        plan = DeploymentPlan(
            repository=found.source[0],
            sha=found.source[1],
            environment=state.environment_name(model, found.label),
            # Without stages (`registry: {stages: false}`) @production is what serves.
            production=found.label in ("Production", "@production"),
            description=clip(one_line(line), DESCRIPTION_MAX),
            payload={
                "model": model,
                "version": version.version,
                "request": event.request,
                "requested_by": by,
                "approved_by": approved,
                "reason": reason,
            },
            environment_url=url,
            existing_id=existing_id,
            replaced=tuple((rec.repository, dep_id) for dep_id, (_, _, rec) in replaced.items()),
        )
        return plan, replaced

    def _replaced(
        self, found: _Deployable
    ) -> dict[int, tuple[VersionInfo, str, state.DeploymentRecord]]:
        """The live deployments this one supersedes, by id: the previous holder's on this
        target, and (a stage move) this version's own on the stage it left."""
        candidates: list[tuple[VersionInfo | None, str]] = []
        previous = found.event.previous
        if previous is not None and previous != found.version.version:
            reads = Reads(self.deps.registry)
            candidates.append((reads.version(found.info, previous), found.label))
        if found.event.target_kind == "stage":
            candidates += [(found.version, s) for s in _MOVING_STAGES if s != found.label]
        out: dict[int, tuple[VersionInfo, str, state.DeploymentRecord]] = {}
        for version, label in candidates:
            record = state.deployment_record(version.tags, label) if version else None
            if (
                version
                and record
                and record.state == state.RECORD_SUCCESS
                and record.id is not None
            ):
                out[record.id] = (version, label, record)
        return out

    def _write(self, found: _Deployable, deployment_id: int | None, why: str) -> None:
        record = state.new_record(
            found.info.name,
            found.event,
            found.source,
            self.deps.clock(),
            deployment_id=deployment_id,
            why=why,
        )
        tag = state.deployment_tag(found.label)
        self.deps.registry.set_version_tags(
            found.info.name, found.version.version, {tag: record.to_tag()}
        )

    def _mark_inactive(
        self,
        found: _Deployable,
        sent: SentDeployment,
        replaced: dict[int, tuple[VersionInfo, str, state.DeploymentRecord]],
    ) -> None:
        for deployment_id in sent.inactive:
            if deployment_id not in replaced:
                continue
            version, label, record = replaced[deployment_id]
            marked = replace(record, state=state.RECORD_INACTIVE)
            self.deps.registry.set_version_tags(
                found.info.name, version.version, {state.deployment_tag(label): marked.to_tag()}
            )

    def _note(self, found: _Deployable, deployment_id: int | None, why: str) -> str:
        environment = state.environment_name(found.info.name, found.label)
        if not why:
            return (
                f"Recorded on GitHub: deployment {deployment_id} of `{found.source[1][:12]}` "
                f"to `{environment}` in {found.source[0]}."
            )
        return (
            f"⚠️ The GitHub deployment to `{environment}` was not recorded: {why}. The "
            f"{'rollback' if found.event.kind == 'rollback' else 'promotion'} stands; "
            f"`{REPAIR_COMMAND} {found.info.name}` records it later."
        )


def _missing(found: _Deployable) -> MissingDeployment | None:
    """The gap, if the execution's deployment is not recorded as sent."""
    event = found.event
    record = state.deployment_record(found.version.tags, found.label)
    if record is not None and record.request == event.request:
        if record.state in (state.RECORD_SUCCESS, state.RECORD_INACTIVE):
            return None
        why = f"failed: {record.why or 'no reason recorded'}"
    else:
        why = NEVER_SENT
    return MissingDeployment(
        model=found.info.name,
        version=found.version.version,
        target=found.label,
        target_key=event.target_key,
        request_id=event.request,
        at=event.at,
        why=why,
        repository=found.source[0],
        commit=found.source[1],
        environment=state.environment_name(found.info.name, found.label),
    )
