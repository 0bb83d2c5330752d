"""Which of promobot's records are signed (docs/contract.md, "Receipts and keys"): the
request, each approval, its outcome (a denial, an expiry, an execution's end), each
history event, and the receipt an execution writes on the version. Pure."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from bot.core.state.codec import format_time
from bot.core.state.history_event import HistoryEvent
from bot.core.state.keys import (
    EVENT_PREFIX,
    LEGACY_EVENT_PREFIX,
    LEGACY_REQUEST_PREFIX,
    REQUEST_ID,
    REQUEST_PREFIX,
)

RECEIPT_PREFIX = "promobot.receipt."
# The version tag `promobot register` writes: the digest of the files it registered.
ARTIFACT_DIGEST_TAG = "artifact_digest"
SIG = "sig"
# The shapes of the signed model tags, after REQUEST_PREFIX: `<id>`, `<id>.state`,
# `<id>.approval.<person>`. A door's message reference (`<id>.slack`) decides nothing.
_REQUEST_PARTS = ("", ".state")


def is_signed_record(key: str) -> bool:
    """Whether a model tag is one of the records a decision rests on, in either layout
    (the legacy `promobot.` one is read too, so its records must check as well)."""
    if key.startswith((EVENT_PREFIX, LEGACY_EVENT_PREFIX)):
        return True
    prefix = next((p for p in (REQUEST_PREFIX, LEGACY_REQUEST_PREFIX) if key.startswith(p)), "")
    if not prefix:
        return False
    rest = key.removeprefix(prefix)
    request_id, dot, tail = rest.partition(".")
    if not REQUEST_ID.fullmatch(request_id):
        return False
    return (f"{dot}{tail}" in _REQUEST_PARTS) or tail.startswith("approval.")


def receipt_key(target_label: str) -> str:
    """`promobot.receipt.Production`; an alias without its `@` (`promobot.receipt.champion`),
    which a tag key may not hold."""
    return f"{RECEIPT_PREFIX}{target_label.removeprefix('@')}"


def digest(record: dict[str, Any]) -> str:
    """`sha256:<hex>` of a record's canonical JSON, without its signature."""
    body = {k: v for k, v in record.items() if k != SIG}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"sha256:{hashlib.sha256(text.encode()).hexdigest()}"


def text_digest(text: str) -> str:
    return f"sha256:{hashlib.sha256(text.encode()).hexdigest()}"


def seal(
    request: dict[str, Any],
    *,
    model: str,
    files: tuple[str | None, str, str | None],
    policy_digest: str,
    approvals: list[tuple[str, str]],
) -> dict[str, Any]:
    """What an execution's history event keeps for its receipt beyond what the event says
    already (a registered-model tag holds at most 5,000 characters on MLflow's SQL stores,
    so the receipt is not kept whole). `files`: the version's run id, source and files'
    digest; `approvals`: (person, channel) of each approval that counted."""
    run_id, source, artifact_digest = files
    return {
        "model": model,
        "run_id": run_id,
        "source": source,
        "artifact_digest": artifact_digest,
        "request_digest": digest(request),
        "policy_digest": policy_digest,
        "approvals": [[person, channel] for person, channel in approvals],
    }


def receipt_of(event: HistoryEvent) -> dict[str, Any] | None:
    """The receipt an execution writes on the version (docs/contract.md, "Receipts and
    keys"), before its signature; None for an event without a seal (no signing key, a
    repair, or written before receipts were)."""
    kept = event.receipt
    if not kept:
        return None
    approvals = [a for a in kept.get("approvals") or () if isinstance(a, list) and len(a) == 2]
    return {
        "v": 1,
        "model": kept.get("model", ""),
        "version": event.version,
        "target": event.target_label,
        "run_id": kept.get("run_id"),
        "source": kept.get("source", ""),
        "artifact_digest": kept.get("artifact_digest"),
        "request": event.request,
        "request_digest": kept.get("request_digest", ""),
        "requested_by": {"person": event.by, "channel": event.channel},
        "approved_by": [{"person": str(p), "channel": str(c)} for p, c in approvals],
        "policy_digest": kept.get("policy_digest", ""),
        "at": format_time(event.at) if event.at else None,
        "previous": event.previous,
        "event": event.key,
    }
