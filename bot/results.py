"""What a use case returns. Facts only; render.py turns them into words for a channel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.policy import Check

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
class PendingView:
    request_id: str
    action: str
    version: int
    target: str
    requested_by: str
    approvals: int
    approvals_required: int
    expires_at: datetime


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime | None
    kind: str
    target: str
    version: int
    previous: int | None
    by: str
    approved_by: str
    reason: str
    request_id: str


@dataclass
class Result:
    status: str  # done | pending | refused | error
    action: str  # promote | rollback | approve | deny | status | history | policy | help | register
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
    uri: str = ""
    dry_run: bool = False
    already: bool = False  # nothing changed: it was already so
    next_steps: list[NextStep] = field(default_factory=list)
    holders: list[Holder] = field(default_factory=list)
    pending: list[PendingView] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    explanation: list[tuple[str, list[str]]] = field(default_factory=list)
    drift: list[Any] = field(default_factory=list)  # bot/service/drift.py Finding
    verifications: list[dict[str, Any]] = field(default_factory=list)  # status: the watches
    text: str = ""  # help text
    extra: dict[str, Any] = field(default_factory=dict)

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
            if self.expires_at:
                data["expires_at"] = self.expires_at.isoformat()
            if self.uri:
                data["uri"] = self.uri
        if self.action == "status":
            data["holders"] = [h.__dict__ for h in self.holders]
            data["pending"] = [
                {**p.__dict__, "expires_at": p.expires_at.isoformat()} for p in self.pending
            ]
            data["drift"] = [finding.to_json() for finding in self.drift]
            data["verifications"] = list(self.verifications)
        if self.action == "history":
            data["history"] = [
                {**h.__dict__, "at": h.at.isoformat() if h.at else None} for h in self.history
            ]
        if self.action == "policy":
            data["targets"] = {label: lines for label, lines in self.explanation}
        if self.action == "help":
            data["help"] = self.text
        data.update(self.extra)
        about = {
            "request_id": self.request_id,
            "model": self.model,
            "version": self.version,
            "target": self.target,
        }
        return envelope(self.status, self.reasons, action=self.action, data=data, about=about)


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
