"""What a use case returns. Facts only; render.py turns them into words for a channel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.core.policy import Check, QuorumCount

DONE, PENDING, REFUSED, ERROR = "done", "pending", "refused", "error"


@dataclass(frozen=True)
class MetricRow:
    name: str
    candidate: float | None
    current: float | None


@dataclass(frozen=True)
class NextStep:
    """What to do next, as data: each door words it (`types` / `comments /…`)."""

    who: str  # "a member of ml-leads"
    command: str  # "approve req-7f3a2c91bd", as typed in the CLI
    click: str = ""  # the Slack button that does the same, e.g. "Approve"


@dataclass(frozen=True)
class Holder:
    target: str  # label: "Production", "@champion"
    version: int
    promoted_at: str = ""
    promoted_by: str = ""
    approved_by: str = ""


@dataclass(frozen=True)
class ApprovalView:
    """One approval so far, with what its author said."""

    by: str
    at: datetime | None
    comment: str = ""


@dataclass(frozen=True)
class PendingView:
    request_id: str
    action: str
    version: int
    target: str
    requested_by: str
    approvals: int
    approvals_required: int
    expires_at: datetime
    approved_by: tuple[ApprovalView, ...] = ()  # the approvals that count, with comments
    quorum: tuple[QuorumCount, ...] = ()  # each group's count, with one count per group


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime | None
    kind: str  # promote | rollback | deny | lock | unlock
    target: str
    version: int | None  # None for lock and unlock
    previous: int | None
    by: str
    approved_by: str
    reason: str
    request_id: str
    comments: tuple[tuple[str, str], ...] = ()  # (approver, comment) of a promotion
    until: datetime | None = None  # when a lock ends by itself


@dataclass(frozen=True)
class LockView:
    """A lock in force on a target (`lock`)."""

    target: str  # label: "Production", "@champion"
    by: str
    at: datetime
    reason: str
    until: datetime | None  # None: until someone unlocks it

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "by": self.by,
            "at": iso(self.at),
            "reason": self.reason,
            "until": iso(self.until) if self.until else None,
        }


def iso(at: datetime) -> str:
    """ISO 8601 in UTC, as `--json` writes times."""
    return at.astimezone(UTC).isoformat()


@dataclass
class Result:
    status: str  # done | pending | refused | error
    # promote | rollback | approve | deny | status | history | policy | lock | unlock | help
    # | register
    action: str
    model: str | None = None
    version: int | None = None
    target: str | None = None  # label
    request_id: str | None = None
    reasons: list[str] = field(default_factory=list)
    message: str = ""  # one sentence when there is something to say beyond the facts
    checks: list[Check] = field(default_factory=list)
    metrics: list[MetricRow] = field(default_factory=list)
    replaced_version: int | None = None
    requested_by: str = ""
    approved_by: list[str] = field(default_factory=list)
    reason: str = ""
    approvals: int = 0
    approvals_required: int = 0
    approvers: tuple[str, ...] = ()
    expires_at: datetime | None = None
    quorum: tuple[QuorumCount, ...] = ()  # each group's count, with one count per group
    uri: str = ""
    dry_run: bool = False
    already: bool = False  # nothing changed: it was already so
    next_steps: list[NextStep] = field(default_factory=list)
    holders: list[Holder] = field(default_factory=list)
    pending: list[PendingView] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    explanation: list[tuple[str, list[str]]] = field(default_factory=list)
    drift: list[Any] = field(default_factory=list)  # bot/core/service/drift.py Finding
    verifications: list[dict[str, Any]] = field(default_factory=list)  # status: the watches
    text: str = ""  # help text
    extra: dict[str, Any] = field(default_factory=dict)
    locks: list[LockView] = field(default_factory=list)  # status; what lock/unlock changed
    approval_comments: dict[str, str] = field(default_factory=dict)  # approver → comment
    # Sentences the notifiers add while the command runs (they run synchronously, before
    # the door shows the result): e.g. the GitHub deployment recorded, or why it was not.
    notes: list[str] = field(default_factory=list)
    # Where a promotion or rollback was asked for (a Context's channel and link), so that
    # the Slack channel it is announced in can point back at it.
    asked_in: str = ""
    link: str = ""

    def to_json(self) -> dict[str, Any]:
        """The object of the contract's `--json`, plus command-specific detail under `data`."""
        data: dict[str, Any] = {}
        if self.message:
            data["message"] = self.message
        if self.dry_run:
            data["dry_run"] = True
        if self.action in ("promote", "rollback", "approve", "deny"):
            data["checks"] = [
                {"name": c.name, "status": c.status, "detail": c.detail, "fix": c.fix}
                for c in self.checks
            ]
            if self.replaced_version is not None:
                data["replaced_version"] = self.replaced_version
            if self.approvals_required:
                data["approvals"] = self.approvals
                data["approvals_required"] = self.approvals_required
            if self.quorum:
                data["quorum"] = quorum_json(self.quorum)
            if self.expires_at:
                data["expires_at"] = self.expires_at.isoformat()
            if self.uri:
                data["uri"] = self.uri
        if self.action == "status":
            data["holders"] = [h.__dict__ for h in self.holders]
            data["pending"] = [_pending_json(p) for p in self.pending]
            data["drift"] = [finding.to_json() for finding in self.drift]
            data["verifications"] = list(self.verifications)
        if self.action in ("status", "lock", "unlock"):
            data["locks"] = [lock.to_json() for lock in self.locks]
        if self.action == "history":
            data["history"] = [_history_json(h) for h in self.history]
        if self.action == "policy":
            data["targets"] = {label: lines for label, lines in self.explanation}
        if self.action == "help":
            data["help"] = self.text
        if self.notes:
            data["notes"] = list(self.notes)
        data.update(self.extra)
        about = {
            "request_id": self.request_id,
            "model": self.model,
            "version": self.version,
            "target": self.target,
        }
        return envelope(self.status, self.reasons, action=self.action, data=data, about=about)


def _pending_json(p: PendingView) -> dict[str, Any]:
    approvals = [
        {"by": a.by, "at": iso(a.at) if a.at else None, "comment": a.comment} for a in p.approved_by
    ]
    out: dict[str, Any] = {
        **p.__dict__,
        "expires_at": p.expires_at.isoformat(),
        "approved_by": approvals,
    }
    out.pop("quorum")
    if p.quorum:  # only a rule with one count per group has one
        out["quorum"] = quorum_json(p.quorum)
    return out


def _history_json(h: HistoryEntry) -> dict[str, Any]:
    return {
        **h.__dict__,
        "at": h.at.isoformat() if h.at else None,
        "comments": [{"by": by, "comment": comment} for by, comment in h.comments],
        "until": iso(h.until) if h.until else None,
    }


def quorum_json(counts: tuple[QuorumCount, ...]) -> dict[str, dict[str, int]]:
    """`{"ml-leads": {"have": 1, "need": 1}, ...}`."""
    return {c.group: {"have": c.have, "need": c.need} for c in counts}


def envelope(
    status: str,
    reasons: list[str],
    *,
    action: str | None = None,
    data: dict[str, Any] | None = None,
    about: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The one `--json` object (docs/contract.md, "The CLI"): `status`, `request_id`,
    `model`, `version`, `target` (from `about`, else null), `reasons`; then `action` when
    a use case answered, and `data` when there is detail. An answer that comes before any
    use case (a usage error, an invalid policy, MLflow down) has no `action`."""
    about = about or {}
    out: dict[str, Any] = {"status": status}
    out.update({key: about.get(key) for key in ("request_id", "model", "version", "target")})
    out["reasons"] = list(reasons)
    if action is not None:
        out["action"] = action
    if data:
        out["data"] = data
    return out


@dataclass(frozen=True)
class Registered:
    """A version CI registered from a run (`promobot register`)."""

    model: str
    version: int
    run_id: str
    model_uri: str  # models:/<model>/<version>
    source: str  # the logged model it was registered from
    tags: dict[str, str]  # the git_* and ci_* tags (and --tag extras) it carries


@dataclass(frozen=True)
class Comparison:
    """A newly registered run's metrics next to the Production holder's (CI's job summary)."""

    metrics: dict[str, float]
    production: int | None
    production_metrics: dict[str, float]


@dataclass(frozen=True)
class MissingDeployment:
    """A version that holds a target through promobot, comes from a GitHub commit, and has
    no GitHub deployment recorded for that promotion (docs/contract.md, "Deployment
    records")."""

    model: str
    version: int
    target: str  # label: "Production", "@champion"
    target_key: str  # "production", "@champion"
    request_id: str  # the promotion or rollback that put it there
    at: datetime | None  # when it was carried out
    why: str  # "never sent" | "failed: <what GitHub or the network said>"
    repository: str
    commit: str
    environment: str  # `<model>/<target>`

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "target": self.target,
            "request_id": self.request_id,
            "at": self.at.isoformat() if self.at else None,
            "why": self.why,
            "repository": self.repository,
            "commit": self.commit,
            "environment": self.environment,
        }


@dataclass(frozen=True)
class DeploymentRepair:
    """What a repair did about one missing deployment."""

    missing: MissingDeployment
    deployment_id: int | None = None  # recorded now
    why: str = ""  # not recorded: why (it stays missing)
    skipped: bool = False  # recorded meanwhile by someone else: nothing sent

    @property
    def recorded(self) -> bool:
        return self.deployment_id is not None and not self.why

    def to_json(self) -> dict[str, Any]:
        return {
            **self.missing.to_json(),
            "recorded": self.recorded,
            "deployment_id": self.deployment_id,
            "problem": self.why,
            "skipped": self.skipped,
        }


@dataclass(frozen=True)
class DeploymentCheck:
    """Which of the models asked about miss deployment records; names that are no model."""

    missing: list[MissingDeployment]
    unknown: list[str] = field(default_factory=list)


def carried_out(result: Result) -> bool:
    """Whether `result` changed something just now: done, not a dry run, and not found
    done already (a promotion, rollback, approval, denial, lock or unlock that others
    must see)."""
    return result.status == DONE and not result.already and not result.dry_run
