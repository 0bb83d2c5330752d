"""What a use case returns: one frozen type per kind of outcome, facts only (bot/render/
turns them into words for a channel, dispatching on the type).

    MoveResult      promote, rollback, approve, deny (and a command a door refused before
                    any use case read it)
    StatusResult    status          HistoryResult   history
    PolicyResult    policy          LockResult      lock, unlock
    HelpResult      help            CardResult      a new version's card (`registered`)
    DriftResult     drift found     VerifyResult    a verification's outcome (`verify`)
    ErrorResult     MLflow or promobot failed: nothing to say about the command itself

A result is built by its use case and never changed once it is returned or published:
the dataclasses are frozen, their sequences are tuples and their mappings read-only. What
a notifier says back while the command runs (a GitHub deployment recorded) comes back
through the event (bot/core/events.py), and the use case returns a new value with it.
`status` and `action` are StrEnums, so `--json` and the contract's strings stay the
words they always were.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from bot.core.policy import Check, QuorumCount
from bot.core.status import Action, Status

DONE, PENDING, REFUSED, ERROR = Status.DONE, Status.PENDING, Status.REFUSED, Status.ERROR
# The actions whose result is a MoveResult with the policy's checks (`--json`'s data).
MOVES = (Action.PROMOTE, Action.ROLLBACK, Action.APPROVE, Action.DENY)


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


def _frozen(value: Any) -> Any:
    """A list as a tuple, a dict as a read-only view of a copy: what a result holds."""
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return MappingProxyType(dict(value))
    return value


@dataclass(frozen=True, kw_only=True)
class Result:
    """What every outcome says: the envelope's facts (docs/contract.md, "The CLI"). Build
    one of the types below, never this one."""

    status: Status
    action: Action
    model: str | None = None
    version: int | None = None
    target: str | None = None  # label
    request_id: str | None = None
    reasons: tuple[str, ...] = ()
    message: str = ""  # one sentence when there is something to say beyond the facts
    next_steps: tuple[NextStep, ...] = ()
    # Read by doors and notifiers that do not ask which kind of outcome they hold: the
    # policy's checks (none but a move's), nothing changed because it already was so, a
    # dry run that wrote nothing.
    checks: tuple[Check, ...] = ()
    already: bool = False
    dry_run: bool = False
    # Sentences the notifiers said back while the command ran (they run synchronously,
    # before the door shows the result): e.g. the GitHub deployment recorded, or why not.
    notes: tuple[str, ...] = ()
    # Command-specific detail for `--json`'s data, after everything else (read-only).
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if type(self) is Result:
            raise TypeError("Result is what every outcome shares: build one of its types")
        object.__setattr__(self, "status", Status(self.status))
        if self.action is not None:
            object.__setattr__(self, "action", Action(self.action))
        for f in fields(self):
            object.__setattr__(self, f.name, _frozen(getattr(self, f.name)))

    def to_json(self) -> dict[str, Any]:
        """The object of the contract's `--json`, plus command-specific detail under `data`."""
        data: dict[str, Any] = {}
        if self.message:
            data["message"] = self.message
        if self.dry_run:
            data["dry_run"] = True
        data.update(self._data())
        if self.notes:
            data["notes"] = list(self.notes)
        data.update(self.extra)
        about = {
            "request_id": self.request_id,
            "model": self.model,
            "version": self.version,
            "target": self.target,
        }
        return envelope(self.status, list(self.reasons), action=self.action, data=data, about=about)

    def _data(self) -> dict[str, Any]:
        """The detail of this kind of outcome under `data`, in the contract's order."""
        return {}


@dataclass(frozen=True, kw_only=True)
class MoveResult(Result):
    """promote, rollback, approve, deny: asked, waiting, carried out, denied or refused."""

    metrics: tuple[MetricRow, ...] = ()
    replaced_version: int | None = None
    requested_by: str = ""
    approved_by: tuple[str, ...] = ()
    reason: str = ""
    approvals: int = 0
    approvals_required: int = 0
    approvers: tuple[str, ...] = ()
    expires_at: datetime | None = None
    quorum: tuple[QuorumCount, ...] = ()  # each group's count, with one count per group
    uri: str = ""
    approval_comments: Mapping[str, str] = field(default_factory=dict)  # approver → comment
    # Where a promotion or rollback was asked for (a Context's channel and link), so that
    # the Slack channel it is announced in can point back at it.
    asked_in: str = ""
    link: str = ""

    def _data(self) -> dict[str, Any]:
        if self.action not in MOVES:
            return {}
        data: dict[str, Any] = {
            "checks": [
                {"name": c.name, "status": c.status, "detail": c.detail, "fix": c.fix}
                for c in self.checks
            ]
        }
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
        return data


@dataclass(frozen=True, kw_only=True)
class StatusResult(Result):
    """`status`: who holds each target, what waits, drift, verifications, locks."""

    action: Action = Action.STATUS
    holders: tuple[Holder, ...] = ()
    pending: tuple[PendingView, ...] = ()
    drift: tuple[Any, ...] = ()  # bot/core/state/drift.py Finding
    verifications: tuple[Mapping[str, Any], ...] = ()  # the watches, as status shows them
    locks: tuple[LockView, ...] = ()

    def _data(self) -> dict[str, Any]:
        return {
            "holders": [h.__dict__ for h in self.holders],
            "pending": [_pending_json(p) for p in self.pending],
            "drift": [finding.to_json() for finding in self.drift],
            "verifications": [dict(view) for view in self.verifications],
            "locks": [lock.to_json() for lock in self.locks],
        }


@dataclass(frozen=True, kw_only=True)
class HistoryResult(Result):
    action: Action = Action.HISTORY
    history: tuple[HistoryEntry, ...] = ()

    def _data(self) -> dict[str, Any]:
        return {"history": [_history_json(h) for h in self.history]}


@dataclass(frozen=True, kw_only=True)
class PolicyResult(Result):
    action: Action = Action.POLICY
    explanation: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (target label, sentences)

    def __post_init__(self) -> None:
        super().__post_init__()
        lines = tuple((label, tuple(said)) for label, said in self.explanation)
        object.__setattr__(self, "explanation", lines)

    def _data(self) -> dict[str, Any]:
        return {"targets": {label: list(lines) for label, lines in self.explanation}}


@dataclass(frozen=True, kw_only=True)
class LockResult(Result):
    """lock, unlock: what was locked or lifted (`locks`), by whom, why."""

    locks: tuple[LockView, ...] = ()
    requested_by: str = ""
    reason: str = ""

    def _data(self) -> dict[str, Any]:
        return {"locks": [lock.to_json() for lock in self.locks]}


@dataclass(frozen=True, kw_only=True)
class HelpResult(Result):
    status: Status = Status.DONE
    action: Action = Action.HELP
    text: str = ""

    def _data(self) -> dict[str, Any]:
        return {"help": self.text}


@dataclass(frozen=True, kw_only=True)
class CardResult(Result):
    """A new version's card: where it came from (`extra`), its metrics against
    Production, and the promote command of each target it may take next."""

    status: Status = Status.DONE
    action: Action = Action.REGISTERED
    metrics: tuple[MetricRow, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DriftResult(Result):
    """Drift the audit found on one target of a model, reported once."""

    status: Status = Status.DONE
    action: Action = Action.DRIFT
    drift: tuple[Any, ...] = ()  # bot/core/state/drift.py Finding


@dataclass(frozen=True, kw_only=True)
class VerifyResult(Result):
    """A verification's outcome (`extra`: the verification as status shows it, and the
    version rolled back to); who promoted the version, and where it was asked."""

    action: Action = Action.VERIFY
    requested_by: str = ""
    replaced_version: int | None = None  # what promobot rolled back to
    uri: str = ""
    asked_in: str = ""
    link: str = ""


@dataclass(frozen=True, kw_only=True)
class ErrorResult(Result):
    """MLflow (or promobot itself) failed: the command may not have been carried out.
    `action` says which command, when a use case was reached (None otherwise)."""

    status: Status = Status.ERROR
    action: Action | None = None  # type: ignore[assignment]


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
    label: str = "Production"  # or "@production" in a registry without stages


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
