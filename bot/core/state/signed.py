"""Which of promobot's records are signed (docs/contract.md, "Receipts and keys"): the
request, each approval, its outcome (a denial, an expiry, an execution's end), each
history event, and the receipt an execution writes on the version. Pure."""

from __future__ import annotations

import hashlib
import json
from typing import Any

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


def receipt(
    request: dict[str, Any],
    *,
    facts: dict[str, Any],
    approvals: list[tuple[str, str]],
) -> dict[str, Any]:
    """The receipt an execution writes on the version (docs/contract.md, "Receipts and
    keys"), before its signature. `request`: the request's record as stored; `facts`: model,
    version, target, run_id, source, artifact_digest, requested_by (person), channel,
    policy_digest, at, previous, event; `approvals`: (person, channel) of each approval
    that counted."""
    return {
        "v": 1,
        "model": facts["model"],
        "version": facts["version"],
        "target": facts["target"],
        "run_id": facts["run_id"],
        "source": facts["source"],
        "artifact_digest": facts["artifact_digest"],
        "request": request.get("id", ""),
        "request_digest": digest(request),
        "requested_by": {"person": facts["requested_by"], "channel": facts["channel"]},
        "approved_by": [{"person": person, "channel": channel} for person, channel in approvals],
        "policy_digest": facts["policy_digest"],
        "at": facts["at"],
        "previous": facts["previous"],
        "event": facts["event"],
    }
