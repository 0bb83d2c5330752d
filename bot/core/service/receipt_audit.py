"""The audit's look at the receipts (docs/contract.md, "Receipts and keys"): each record
left out because its signature does not check, each holder of a target whose receipt is
missing or does not check, and each holder whose files changed since promobot carried it
out. Only where keys are set: without them there is nothing to check, and the audit says
so instead."""

from __future__ import annotations

from bot.core import state
from bot.core.ports.registry import ModelInfo
from bot.core.results import NextStep
from bot.core.service.common import Deps
from bot.core.service.drift import RESTING, Finding, target_of_key
from bot.core.state.drift import ARTIFACTS, UNSIGNED


def receipt_findings(deps: Deps, info: ModelInfo, target_keys: list[str]) -> list[Finding]:
    signatures = deps.signatures
    if signatures is None or not signatures.verifying:
        return []
    found = [
        Finding(info.name, "", "", UNSIGNED, None, None, tag=key, detail=why)
        for key, why in info.rejected
    ]
    for key in target_keys:
        if key in RESTING:
            continue
        found.extend(_holder_findings(deps, info, key))
    return found


def _holder_findings(deps: Deps, info: ModelInfo, key: str) -> list[Finding]:
    target = target_of_key(key)
    holder = info.aliases.get(target.name) if target.kind == "alias" else None
    if target.kind == "stage":
        holder = info.stage_latest.get(target.name)
    if holder is None:
        return []
    version = info.versions.get(holder) or deps.registry.get_version(info.name, holder)
    if version is None:
        return []
    tag = state.receipt_key(target.label)
    receipt = state.loads(version.tags.get(tag))
    why = "missing" if not receipt else deps.signatures.check(receipt) if deps.signatures else ""
    if not why and (receipt.get("version") != holder or receipt.get("target") != target.label):
        why = f"it names v{receipt.get('version')} in {receipt.get('target')}"
    if not why:
        why = _superseded(info, target.label, receipt)
    steps = (
        NextStep(
            f"to put an approved version in {target.label}, someone who may",
            f"promote {info.name} v<N> {key} <reason>",
        ),
    )
    facts = (info.name, key, target.label)
    if why:
        return [Finding(*facts, UNSIGNED, holder, None, tag=tag, detail=why, fixes=steps)]
    approved = receipt.get("artifact_digest")
    if approved:
        now = deps.registry.artifact_digest(info.name, holder)
        if now != approved:
            detail = f"{approved} approved, {now} there now"
            return [Finding(*facts, ARTIFACTS, holder, None, detail=detail, fixes=steps)]
    return []


def _superseded(info: ModelInfo, label: str, receipt: dict) -> str:
    """Why the receipt is not the newest counted execution on its target, as deployment
    code's check sees it (promobot/receipts.py newest_problem): "" when it is. `info.tags`
    holds only the records whose signatures count. A repair of drift, which records a
    holder without a receipt, supersedes the holder's older receipt too."""
    newest = next(
        (
            event
            for event in reversed(state.all_events(info.tags))
            # the loader reads the current layout's events only
            if event.key.startswith(state.EVENT_PREFIX) and event.target_label == label
        ),
        None,
    )
    if newest is None:
        return f"superseded: the trail holds no signed execution of {label}"
    mine = (newest.request, newest.version) == (receipt.get("request"), receipt.get("version"))
    if newest.key == receipt.get("event") and mine:
        return ""
    at = state.format_time(newest.at) if newest.at else ""
    if newest.version == receipt.get("version"):
        return (
            f"superseded: {newest.request} put v{newest.version} there after it, at {at}, "
            "and wrote no receipt for it"
        )
    return f"superseded: {newest.request} carried out v{newest.version} there after it, at {at}"
