"""Signed records: the canonical JSON promobot signs, Ed25519 signatures over it, and
the names of the tags that carry them (docs/contract.md, "Receipts and keys").

Standard library and `cryptography` only: deployment code installs promobot for this.
A record is a JSON object; its signature is its `sig` member, over every other member:

    "sig": {"alg": "ed25519", "kid": "<16 hex>", "value": "<base64>"}
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from promobot.digest import DIGEST_PREFIX, DOWNLOAD_ONLY_FILES, artifact_digest
from promobot.keys import KeyProblem, key_id, private_key, public_keys

__all__ = [
    "ALGORITHM",
    "DIGEST_PREFIX",
    "DOWNLOAD_ONLY_FILES",
    "EVENT_PREFIX",
    "RECEIPT_PREFIX",
    "STAGE_LABELS",
    "KeyProblem",
    "artifact_digest",
    "canonical",
    "event_sequence",
    "key_id",
    "private_key",
    "public_keys",
    "receipt_key",
    "sign",
    "verify",
]

ALGORITHM = "ed25519"
SIGNATURE_BYTES = 64
# The version tag holding the receipt of an execution to a target.
RECEIPT_PREFIX = "promobot.receipt."
# The registered-model tags of the history: `mlflow.promobot.event.<ms>.<ns>.<request>`,
# ms zero-padded to 13 digits and the host's ns to 20 (bot/core/state/keys.py event_key),
# so comparing keys as strings orders them in time, as bot's event_keys does.
EVENT_PREFIX = "mlflow.promobot.event."
STAGE_LABELS = ("Staging", "Production", "Archived")


def canonical(record: Mapping[str, Any]) -> bytes:
    """The bytes a signature covers: the record without `sig`, keys sorted, no spaces,
    UTF-8 as is."""
    body = {k: v for k, v in record.items() if k != "sig"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def sign(record: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """A copy of `record` with its `sig` (any `sig` it had is replaced)."""
    signature = key.sign(canonical(record))
    sig = {
        "alg": ALGORITHM,
        "kid": key_id(key.public_key()),
        "value": base64.b64encode(signature).decode("ascii"),
    }
    return {**{k: v for k, v in record.items() if k != "sig"}, "sig": sig}


def verify(record: Mapping[str, Any], trusted: Mapping[str, Ed25519PublicKey]) -> str:
    """ "" when a trusted key signed `record`, else one short reason: `unsigned`,
    `unknown algorithm <alg>`, `unknown key <kid>` or `bad signature`. Never raises: the
    record may be anything a tag held."""
    try:
        return _verify(record, trusted)
    except Exception:  # whatever odd value a JSON tag held: it is not a good signature
        return "bad signature"


def _verify(record: Mapping[str, Any], trusted: Mapping[str, Ed25519PublicKey]) -> str:
    if not isinstance(record, Mapping) or "sig" not in record:
        return "unsigned"
    sig = record["sig"]
    if not isinstance(sig, Mapping):
        return "bad signature"
    alg = sig.get("alg")
    if alg != ALGORITHM:
        return f"unknown algorithm {_short(alg)}"
    kid = sig.get("kid")
    key = trusted.get(kid) if isinstance(kid, str) else None
    if key is None:
        return f"unknown key {_short(kid)}"
    value = sig.get("value")
    if not isinstance(value, str):
        return "bad signature"
    try:
        signature = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return "bad signature"
    if len(signature) != SIGNATURE_BYTES:
        return "bad signature"
    try:
        key.verify(signature, canonical(record))
    except InvalidSignature:
        return "bad signature"
    return ""


def receipt_key(target_label: str) -> str:
    """The version tag of the receipt for a target: `promobot.receipt.Production` for a
    stage label, `promobot.receipt.champion` for `@champion` (a tag key holds no `@`)."""
    return RECEIPT_PREFIX + target_label.removeprefix("@")


def event_sequence(key: str) -> str:
    """What orders history event keys in time (compare as strings; see EVENT_PREFIX)."""
    return key.removeprefix(EVENT_PREFIX)


def _short(value: object) -> str:
    """A value from a tag, quoted in a reason: short, on one line."""
    text = value if isinstance(value, str) else json.dumps(value)
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:39] + "…"
