"""A finding of drift (a target changed outside promobot), and the sentence that says it:
the same words in status, in a refusal, in history and in an announcement
(bot/core/service/drift.py finds them).

    outside  the holder is not the one promobot last put there, or promobot never moved
             that target and something holds it
    mirror   a stage and its mirrored alias name different versions, or one is empty
    orphan   promobot recorded a holder and nothing holds the target now
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.results import NextStep
from bot.core.text import when

OUTSIDE, MIRROR, ORPHAN = "outside", "mirror", "orphan"


@dataclass(frozen=True)
class Finding:
    model: str
    target_key: str  # "production", "@champion"
    target: str  # its label: "Production", "@champion"
    kind: str  # outside | mirror | orphan
    holder: int | None  # what MLflow holds now (for a stage: the stage's holder)
    recorded: int | None  # what promobot last put there
    alias: int | None = None  # for a stage: what its mirrored alias names
    recorded_by: str = ""
    recorded_at: datetime | None = None
    fixes: tuple[NextStep, ...] = field(default=(), compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "kind": self.kind,
            "holder": self.holder,
            "recorded": self.recorded,
        }

    @property
    def signature(self) -> str:
        """What makes two findings the same drift (to report each one once)."""
        return f"{self.kind}:{self.holder}:{self.recorded}:{self.alias}"


def describe(finding: Finding) -> str:
    """The finding as one sentence, for status, refusals and announcements."""
    label, model = finding.target, finding.model
    if finding.kind == MIRROR:
        holder = f"v{finding.holder}" if finding.holder is not None else "nothing"
        alias = f"v{finding.alias}" if finding.alias is not None else "nothing"
        mirror = label.lower()
        return (
            f"{label} holds {holder} but its alias @{mirror} names {alias}: "
            f"`models:/{model}/{label}` and `models:/{model}@{mirror}` load different things."
        )
    if finding.kind == ORPHAN:
        return f"Nothing holds {label}, but {_recorded(finding)}."
    if finding.recorded is None:
        return (
            f"{label} holds v{finding.holder}, but promobot never moved {label}: "
            "it was set outside promobot."
        )
    return (
        f"{label} holds v{finding.holder}, but {_recorded(finding)}: "
        "it was changed outside promobot."
    )


def _recorded(finding: Finding) -> str:
    who = f" ({finding.recorded_by}" if finding.recorded_by else ""
    at = f", {when(finding.recorded_at)}" if finding.recorded_at and who else ""
    return f"promobot last put v{finding.recorded} there{who}{at}{')' if who else ''}"
