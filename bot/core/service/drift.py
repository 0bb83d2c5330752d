"""Drift: what MLflow holds against what promobot last put there.

For every target the policy names for a model (its stages and aliases; `archived`, and
`@archived` in a registry without stages, is a resting place, not a target anyone serves
from, and is left out) the holder MLflow
reports is compared with the version promobot's history last recorded there, and each
mirrored alias with its stage:

    outside  the holder is not the one promobot last put there, or promobot never moved
             that target and something holds it
    mirror   a stage and its mirrored alias name different versions, or one is empty
    orphan   promobot recorded a holder and nothing holds the target now

All of it from one read of the model (its aliases, the latest version of each stage and
its tags): no scan over the versions.
"""

from __future__ import annotations

from typing import Any

from bot.core import state
from bot.core.commands import STAGES, Target
from bot.core.ports.registry import ModelInfo
from bot.core.results import NextStep
from bot.core.state.drift import MIRROR, ORPHAN, OUTSIDE, Finding, describe

# `describe` and `Finding` live with the state they describe (render reads them too).

__all__ = ["RESTING", "Finding", "describe", "find_drift", "fixes_for", "target_of_key"]

# Where versions rest, not serve: `archived`, and without stages its alias `@archived`.
RESTING = ("archived", "@archived")


def target_of_key(key: str) -> Target:
    if key.startswith("@"):
        return Target("alias", key[1:])
    return Target("stage", STAGES[key])


def find_drift(info: ModelInfo, target_keys: list[str]) -> list[Finding]:
    """The drift of each target in `target_keys`, in that order. Pure."""
    last = _last_recorded(info.tags)
    found: list[Finding] = []
    # An execution under way writes its moves at once (bot/core/service/execution.py): until
    # its outcome, what MLflow shows of it is half landed, not drift, and the next
    # command on the target finishes it. A stage move touches every stage target (the
    # version it moves leaves its old stage, the stale mirrored aliases go).
    busy = {key for key in target_keys if state.inflight(info.tags, key) is not None}
    stages_busy = any(not key.startswith("@") for key in busy)
    for key in target_keys:
        if key in RESTING or key in busy:
            continue
        target = target_of_key(key)
        if stages_busy and target.kind == "stage":
            continue
        holder, alias = _holders(info, target)
        event = last.get(key)
        recorded = event.version if event else None
        if key in last and event is None and holder is None:
            recorded = None  # promobot moved its version on; empty is what it left
        facts = {
            "model": info.name,
            "target_key": key,
            "target": target.label,
            "holder": holder,
            "recorded": recorded,
            "alias": alias,
            "recorded_by": event.by if event else "",
            "recorded_at": event.at if event else None,
        }
        if holder is not None and holder != recorded:
            found.append(_finding(OUTSIDE, facts))
        elif holder is None and recorded is not None:
            found.append(_finding(ORPHAN, facts))
        if target.kind == "stage" and alias != holder:
            found.append(_finding(MIRROR, facts))
    return found


def _holders(info: ModelInfo, target: Target) -> tuple[int | None, int | None]:
    """(the holder, the mirrored alias's version) of a target; for an alias target the
    alias is the holder."""
    if target.kind == "alias":
        number = info.aliases.get(target.name)
        return number, number
    return info.stage_latest.get(target.name), info.aliases.get(target.alias)


def _last_recorded(tags: dict[str, str]) -> dict[str, state.HistoryEvent | None]:
    """What promobot's history says holds each target: the last promotion or rollback
    onto it, unless promobot moved that version on to another stage since (a version
    promoted from Staging to Production leaves Staging empty). None: promobot emptied it.

    A stage move also pointed the stage's mirrored alias at its version and took the
    version's other mirrored aliases off it, so it is recorded under both keys
    (`production` and `@production`): a registry that dropped its stages
    (`registry: {stages: false}`) finds its aliases where promobot left them."""
    last: dict[str, state.HistoryEvent | None] = {}
    for event in state.events(tags):
        keys = [event.target_key]
        if not event.target_key.startswith("@"):
            keys.append(f"@{event.target_key}")
            for key, held in last.items():
                moved_on = held is not None and held.version == event.version
                if moved_on and key.lstrip("@") in STAGES and key not in keys:
                    last[key] = None
        for key in keys:
            last[key] = event
    return last


def _finding(kind: str, facts: dict[str, Any]) -> Finding:
    finding = Finding(kind=kind, **facts)
    return Finding(kind=kind, fixes=fixes_for(finding), **facts)


def fixes_for(finding: Finding) -> tuple[NextStep, ...]:
    """The commands that put a drifted target right: restore what promobot recorded, or
    record what holds it now as a promotion (under the policy as usual)."""
    key, model = finding.target_key, finding.model
    steps = []
    if finding.recorded is not None:
        steps.append(
            NextStep(
                f"to restore v{finding.recorded}, someone who may roll back",
                f"rollback {model} {key} <reason>",
            )
        )
    if finding.holder is not None:
        steps.append(
            NextStep(
                f"to keep v{finding.holder} and record it, someone who may promote",
                f"promote {model} v{finding.holder} {key} <reason>",
            )
        )
    return tuple(steps)
