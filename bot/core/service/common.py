"""What every use case shares: its dependencies, who acts, and small facts about
targets, holders and URIs."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot.core.commands import Target
from bot.core.context import Context
from bot.core.events import EventBus
from bot.core.policy import Membership, Policy, TargetRule
from bot.core.ports.directory import Directory
from bot.core.ports.github import GitHubPorts
from bot.core.ports.prometheus import NoPrometheus, Prometheus
from bot.core.ports.registry import ModelInfo, Registry
from bot.core.ports.signing import Signatures
from bot.core.results import DONE, REFUSED, Result
from bot.core.service.membership import resolve
from bot.core.state import REASON_MAX, Request

STAGE_ALIASES = ("staging", "production", "archived")
R = TypeVar("R", bound=Result)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_request_id(bucket: str) -> str:
    """`req-`, the 4 hex digits naming the target's lock, and 6 random ones."""
    return f"req-{bucket}{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Outside:
    """The systems besides MLflow the rules read through ports."""

    directory: Directory | None = None  # GitHub teams and Slack user groups
    github: GitHubPorts | None = None  # GitHub's checks and deployments
    prometheus: Prometheus | None = None  # live gates and verification
    signatures: Signatures | None = None  # signed records and receipts (keys set)


@dataclass
class Deps:
    """The parts a use case works with; bot/app.py builds them once."""

    registry: Registry
    policy: Policy
    clock: Callable[[], datetime] = utcnow
    new_id: Callable[[str], str] = new_request_id
    events: EventBus | None = None
    # GitHub's checks and deployments (bot/core/ports/github.py); without a token both are
    # None: the checks gate refuses and no deployment is sent.
    github: GitHubPorts = field(default_factory=GitHubPorts)
    directory: Directory | None = None  # GitHub teams and Slack user groups
    prometheus: Prometheus = field(default_factory=NoPrometheus)
    # Signed records and receipts; None: nothing is signed or checked (no key set).
    signatures: Signatures | None = None

    @property
    def receipts(self) -> bool:
        """Whether executions write signed receipts and check the artifacts' digest."""
        return self.signatures is not None and self.signatures.signing

    def membership(self, rule: TargetRule | None) -> Membership:
        """The members of the teams and user groups `rule`'s groups name, looked up now."""
        names = (*rule.requesters, *rule.approvers) if rule else ()
        return resolve(self.directory, self.policy.sources_for(names))

    def rule(self, model: str, action: str, target_key: str) -> TargetRule | None:
        rules = self.policy.rules_for(model)
        if rules is None:
            return None
        return rules.rollback if action == "rollback" else rules.targets.get(target_key)

    def publish(self, kind: str, result: Result, ctx: Context) -> Result:
        """Publish `result`; returns it with what the notifiers said back (a new value)."""
        if self.events is None:
            return result
        return self.events.publish(kind, result, ctx)


def holder(info: ModelInfo, target: Target) -> int | None:
    """The version that holds a target now."""
    if target.kind == "stage":
        if target.name == "Archived":
            return info.aliases.get("archived")
        return info.stage_latest.get(target.name)
    return info.aliases.get(target.name)


def target_of(req: Request) -> Target:
    if req.target_kind == "alias":
        return Target("alias", req.target_label.lstrip("@"))
    return Target("stage", req.target_label)


def uri(model: str, target: Target) -> str:
    """The `models:/` URI deployment code loads the target with."""
    if target.kind == "stage":
        return f"models:/{model}/{target.name}"
    return f"models:/{model}@{target.name}"


def already(base: R, **facts: Any) -> R:
    """Done before this command: nothing changed (the uri and message say what holds)."""
    return replace(base, status=DONE, already=True, **facts)


def refused(base: R, *reasons: str) -> R:
    """`base`, refused, with `reasons` after the ones it has."""
    return replace(base, status=REFUSED, reasons=(*base.reasons, *reasons))


def no_model(name: str) -> str:
    shown = name if len(name) <= 80 else name[:77] + "…"
    return (
        f"There is no registered model `{shown}` in MLflow; check the name "
        "(`promobot status <model>`) or register it first."
    )


def reason_problem(reason: str) -> str | None:
    if len(reason) > REASON_MAX:
        return (
            f"The reason is {len(reason):,} characters long; keep it under "
            f"{REASON_MAX:,} (link to a document for the details)."
        )
    return None
