"""What one promote or rollback works with: the Proposal (a frozen value: what is asked,
of which version, onto which target, by whom, when, and what holds it now), and the
Reads of one command (each version and run read at most once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.commands import Target
from bot.core.ports.registry import ModelInfo, Registry, VersionInfo
from bot.core.service.common import Context


@dataclass(frozen=True)
class Proposal:
    action: str  # "promote" | "rollback"
    info: ModelInfo  # the model as read for this command
    version: VersionInfo  # the candidate
    target: Target
    ctx: Context
    reason: str
    now: datetime
    current: int | None  # the version that holds the target now
    # The target has drifted (bot/core/service/drift.py) and the candidate holds it already:
    # the promotion records it and puts its mirrored alias right.
    repair: bool = False

    @property
    def model(self) -> str:
        return self.info.name


class Reads:
    """The reads of one command. A version's run and source never change while it
    exists (and a version deleted in between makes MLflow refuse the move), so the
    executor, under the lock, reuses what the decision read a moment before."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._versions: dict[tuple[str, int], VersionInfo | None] = {}
        self._metrics: dict[str, dict[str, float]] = {}

    def version(self, info: ModelInfo, number: int) -> VersionInfo | None:
        """From what came with the model, else as read earlier in this command, else now."""
        if number in info.versions:
            return info.versions[number]
        key = (info.name, number)
        if key not in self._versions:
            self._versions[key] = self.registry.get_version(info.name, number)
        return self._versions[key]

    def metrics(self, version: VersionInfo | None) -> dict[str, float]:
        """Run metrics, read once per command (promote reads a run for the policy and
        again for the description line)."""
        run_id = version.run_id if version else None
        if not run_id:
            return {}
        if run_id not in self._metrics:
            self._metrics[run_id] = self.registry.run_metrics(run_id)
        return self._metrics[run_id]
