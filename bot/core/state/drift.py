"""A finding of drift (a target changed outside promobot), the sentence that says it (the
same words in status, in a refusal, in history and in an announcement), and the trail's
record of it, kept after the drift is put right (bot/core/service/drift.py finds them,
bot/core/service/drift_scan.py records them).

    outside  the holder is not the one promobot last put there, or promobot never moved
             that target and something holds it
    mirror   a stage and its mirrored alias name different versions, or one is empty
    orphan   promobot recorded a holder and nothing holds the target now
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.results import NextStep
from bot.core.state.codec import dumps, format_time, loads, maybe_time
from bot.core.state.keys import FINDING_PREFIX
from bot.core.state.records import events
from bot.core.text import when

OUTSIDE, MIRROR, ORPHAN = "outside", "mirror", "orphan"
# What the receipts show (docs/contract.md, "Receipts and keys"): a record or a holder's
# receipt whose signature is missing or does not check; a holder whose files changed
# after promobot carried it out.
UNSIGNED, ARTIFACTS = "unsigned", "artifacts"
# Who made a change promobot did not make, as history and the trail name them.
OUTSIDE_PROMOBOT = "outside promobot"


@dataclass(frozen=True)
class Finding:
    model: str
    target_key: str  # "production", "@champion"
    target: str  # its label: "Production", "@champion"
    kind: str  # outside | mirror | orphan | unsigned | artifacts
    holder: int | None  # what MLflow holds now (for a stage: the stage's holder)
    recorded: int | None  # what promobot last put there
    alias: int | None = None  # for a stage: what its mirrored alias names
    recorded_by: str = ""
    recorded_at: datetime | None = None
    fixes: tuple[NextStep, ...] = field(default=(), compare=False)
    # unsigned: the tag whose signature does not check, and why; artifacts: the digests
    tag: str = ""
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "target": self.target,
            "kind": self.kind,
            "holder": self.holder,
            "recorded": self.recorded,
        }
        if self.tag:
            out["tag"] = self.tag
        if self.detail:
            out["detail"] = self.detail
        return out

    @property
    def signature(self) -> str:
        """What makes two findings the same drift (to report each one once)."""
        return f"{self.kind}:{self.holder}:{self.recorded}:{self.alias}"


def describe(finding: Finding, *, past: bool = False) -> str:
    """The finding as one sentence, for status, refusals and announcements; `past`: as
    the trail keeps it, once it may have been put right (history, `audit export`)."""
    label, model = finding.target, finding.model
    holds, names, load = ("held", "named", "loaded") if past else ("holds", "names", "load")
    if finding.kind == UNSIGNED and finding.holder is None:
        return f"The record {finding.tag} does not check ({finding.detail}): it is not counted."
    if finding.kind == UNSIGNED:
        return (
            f"{label} {holds} v{finding.holder}, but its receipt {finding.tag} does not check "
            f"({finding.detail}): deployment code that verifies receipts refuses it."
        )
    if finding.kind == ARTIFACTS:
        return (
            f"The files of v{finding.holder} in {label} changed after promobot carried it "
            f"out ({finding.detail}): deployment code that verifies receipts refuses it."
        )
    if finding.kind == MIRROR:
        holder = f"v{finding.holder}" if finding.holder is not None else "nothing"
        alias = f"v{finding.alias}" if finding.alias is not None else "nothing"
        mirror = label.lower()
        return (
            f"{label} {holds} {holder} but its alias @{mirror} {names} {alias}: "
            f"`models:/{model}/{label}` and `models:/{model}@{mirror}` {load} different things."
        )
    if finding.kind == ORPHAN:
        return f"Nothing {holds} {label}, but {_recorded(finding, past)}."
    if finding.recorded is None:
        never = "had never moved" if past else "never moved"
        return (
            f"{label} {holds} v{finding.holder}, but promobot {never} {label}: "
            "it was set outside promobot."
        )
    return (
        f"{label} {holds} v{finding.holder}, but {_recorded(finding, past)}: "
        "it was changed outside promobot."
    )


def _recorded(finding: Finding, past: bool = False) -> str:
    who = f" ({finding.recorded_by}" if finding.recorded_by else ""
    at = f", {when(finding.recorded_at)}" if finding.recorded_at and who else ""
    put = "had last put" if past else "last put"
    return f"promobot {put} v{finding.recorded} there{who}{at}{')' if who else ''}"


# ---- the trail's record of a finding -------------------------------------------------------

# Who found it (the record's `found_by`), as the record's sentence says it.
FOUND_BY = {
    "audit": "`promobot audit`",
    "audit-pass": "the scheduled audit of `promobot serve`",
    "webhook": "the audit after an MLflow webhook delivery",
    "promote": "the promotion onto it",
    "rollback": "the rollback of it",
}


@dataclass(frozen=True)
class DriftRecord:
    """A drift promobot found, kept in the trail for good (`mlflow.promobot.finding.…`):
    when it was found and by what, and each finding on the target then (what held it,
    what promobot had recorded). Written once per drift: `since` is the key of the
    target's last history event when it was found, so the same drift after promobot
    moved the target again is a new one."""

    key: str
    at: datetime | None
    target_key: str
    target: str  # its label
    found_by: str  # audit | audit-pass | webhook | promote | rollback
    since: str
    findings: tuple[Finding, ...]

    @property
    def primary(self) -> Finding:
        """The finding that says what happened: a changed or emptied holder before a
        disagreeing mirror."""
        return next((f for f in self.findings if f.kind != MIRROR), self.findings[0])

    @property
    def reason(self) -> str:
        """What was found, in the past tense, and what found it."""
        said = " ".join(describe(f, past=True) for f in self.findings)
        return f"{said} Found by {FOUND_BY.get(self.found_by, self.found_by)}."


def signature(findings: Iterable[Finding]) -> str:
    """What makes two sets of findings on a target the same drift."""
    return "|".join(f.signature for f in findings)


def finding_record(findings: list[Finding], at: datetime, found_by: str, since: str) -> str:
    """The tag value of a record of `findings` (all on one target)."""
    first = findings[0]
    return dumps(
        {
            "at": format_time(at),
            "target_key": first.target_key,
            "target_label": first.target,
            "found_by": found_by,
            "since": since,
            "findings": [
                {
                    "kind": f.kind,
                    "holder": f.holder,
                    "recorded": f.recorded,
                    "alias": f.alias,
                    "recorded_by": f.recorded_by,
                    "recorded_at": format_time(f.recorded_at) if f.recorded_at else None,
                }
                for f in findings
            ],
        }
    )


def drift_records(model: str, tags: dict[str, str]) -> list[DriftRecord]:
    """Every drift recorded on a model, oldest first (keys sort by time); a tag that is not
    one is skipped."""
    found = []
    for key in sorted(k for k in tags if k.startswith(FINDING_PREFIX)):
        record = _record(model, key, loads(tags[key]))
        if record is not None:
            found.append(record)
    return found


def last_move(tags: dict[str, str], target_key: str) -> str:
    """The key of the last history event on a target ("" when promobot never moved it)."""
    keys = [ev.key for ev in events(tags) if ev.on(target_key)]
    return keys[-1] if keys else ""


def unrecorded(tags: dict[str, str], target_key: str, findings: list[Finding]) -> bool:
    """Whether `findings` on a target are a drift the trail does not hold yet: there are
    some, and the target's latest record is of other findings or from before promobot
    last moved the target."""
    if not findings:
        return False
    records = [r for r in drift_records(findings[0].model, tags) if r.target_key == target_key]
    if not records:
        return True
    latest = records[-1]
    return (signature(latest.findings), latest.since) != (
        signature(findings),
        last_move(tags, target_key),
    )


def _record(model: str, key: str, data: Any) -> DriftRecord | None:
    try:
        target_key, label = str(data["target_key"]), str(data["target_label"])
        findings = tuple(
            Finding(
                model=model,
                target_key=target_key,
                target=label,
                kind=str(item["kind"]),
                holder=_number(item.get("holder")),
                recorded=_number(item.get("recorded")),
                alias=_number(item.get("alias")),
                recorded_by=str(item.get("recorded_by") or ""),
                recorded_at=maybe_time(item.get("recorded_at")),
            )
            for item in data["findings"]
        )
        if not findings:
            return None
        return DriftRecord(
            key=key,
            at=maybe_time(data.get("at")),
            target_key=target_key,
            target=label,
            found_by=str(data.get("found_by") or ""),
            since=str(data.get("since") or ""),
            findings=findings,
        )
    except (KeyError, TypeError, ValueError):
        return None


def _number(value: Any) -> int | None:
    return None if value is None else int(value)
