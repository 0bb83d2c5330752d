"""The checks a receipt must pass before its version may load: pure, no MLflow.

A receipt (the version tag `promobot.receipt.<target>`) says promobot carried out this
version to this target, after these approvals, on these files. It counts when it is a
JSON object signed by a trusted key, names this model, version and target, and is the
newest execution on that target the model's signed history knows of; the files are
compared by the caller, who has them (promobot/serving.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from promobot.refusals import (
    ARTIFACTS,
    BAD_SIGNATURE,
    NO_RECEIPT,
    SUPERSEDED,
    UNKNOWN_KEY,
    WRONG_TARGET,
    UnapprovedModel,
)
from promobot.signatures import EVENT_PREFIX, RECEIPT_PREFIX, STAGE_LABELS, event_sequence, verify

FORMAT = 1
# Receipts are a few hundred bytes; a tag far larger is not one, and is not parsed.
MAX_RECEIPT_BYTES = 8 * 1024


@dataclass(frozen=True)
class Version:
    """The version being checked, and the target whose receipt must vouch for it."""

    model: str
    version: int
    target: str  # "Production", "@champion"

    @property
    def where(self) -> str:
        """`v3 in Production`, `v3 at @champion`."""
        at = "at" if self.target.startswith("@") else "in"
        return f"v{self.version} {at} {self.target}"

    @property
    def promote(self) -> str:
        """The command that carries this version out to this target through promobot."""
        word = self.target if self.target.startswith("@") else self.target.lower()
        return f"`promote {self.model} v{self.version} {word} <reason>`"

    @property
    def audit(self) -> str:
        return f"`promobot audit {self.model}`"

    def refuse(self, reason: str, message: str) -> UnapprovedModel:
        return UnapprovedModel(
            reason, message, model=self.model, version=self.version, target=self.target
        )


def target_of(tag_key: str) -> str:
    """The target label a receipt tag is for: `promobot.receipt.Production` → `Production`,
    `promobot.receipt.champion` → `@champion` (stage labels are capitalised, aliases are
    not, as in bot/core/state/keys.py deployment_tag)."""
    name = tag_key.removeprefix(RECEIPT_PREFIX)
    return name if name in STAGE_LABELS else f"@{name}"


def check(
    about: Version,
    text: str | None,
    model_tags: Mapping[str, str],
    trusted: Mapping[str, Ed25519PublicKey],
) -> tuple[dict[str, Any], list[UnapprovedModel]]:
    """The receipt read from `text` (the tag's value, None when absent) and every check it
    fails, in order. A receipt that cannot be read stops there; one that can is checked
    on, so a warning names everything wrong with it."""
    if text is None:
        return {}, [about.refuse(NO_RECEIPT, _no_receipt(about))]
    receipt, unreadable = _read(text)
    if unreadable:
        return {}, [about.refuse(BAD_SIGNATURE, f"the receipt for {about.where} {unreadable}")]
    failures = []
    signed = verify(receipt, trusted)
    if signed:
        failures.append(_signature_failure(about, signed))
    if receipt.get("v") != FORMAT:
        message = (
            f"the receipt for {about.where} is of format {json.dumps(receipt.get('v'))}, which "
            f"this promobot does not read (format {FORMAT}): upgrade promobot where the "
            "model is loaded"
        )
        return receipt, [*failures, about.refuse(NO_RECEIPT, message)]
    named = (receipt.get("model"), receipt.get("version"), receipt.get("target"))
    if named != (about.model, about.version, about.target) or not _is_number(named[1]):
        failures.append(about.refuse(WRONG_TARGET, _wrong_target(about, named)))
    else:
        superseded = newest_problem(about, receipt, model_tags, trusted)
        if superseded:
            failures.append(about.refuse(SUPERSEDED, superseded))
    return receipt, failures


def digest_problem(
    about: Version, receipt: Mapping[str, Any], found: str
) -> UnapprovedModel | None:
    """Whether the files there now (`found`, their digest) are the ones approved."""
    approved = receipt.get("artifact_digest")
    if approved is None:
        return about.refuse(
            ARTIFACTS,
            f"the receipt for {about.where} records no artifact digest, so nothing shows "
            f"that the files there now ({found}) are the ones approved. Promote it again "
            f"with a promobot that records digests ({about.promote}), or load with "
            'mode="warn" while you adopt receipts',
        )
    if approved != found:
        return about.refuse(
            ARTIFACTS,
            f"the files of v{about.version} changed after promobot carried it out: "
            f"{_short(approved)} was approved, {found} is there now. Run {about.audit}; "
            "register the intended files as a new version and promote that",
        )
    return None


def newest_problem(
    about: Version,
    receipt: Mapping[str, Any],
    model_tags: Mapping[str, str],
    trusted: Mapping[str, Ed25519PublicKey],
) -> str:
    """ "" when the receipt's execution is the newest signed one on its target, else why
    not: a later execution superseded it (MLflow's target moved back behind promobot's
    back, or a backup was restored), or the trail holds none."""
    newest_key, newest = "", {}
    for key, value in model_tags.items():
        if not key.startswith(EVENT_PREFIX):
            continue
        event = _json_object(value)
        if event is None or event.get("target_label") != about.target or verify(event, trusted):
            continue
        if not newest_key or event_sequence(key) > event_sequence(newest_key):
            newest_key, newest = key, event
    if not newest_key:
        return (
            f"the receipt for {about.where} names an execution the model's history does not "
            f"hold: there is no signed execution of {about.target} in the trail. Run "
            f"{about.audit}, then promote through promobot ({about.promote})"
        )
    same = (newest.get("request"), newest.get("version")) == (
        receipt.get("request"),
        receipt.get("version"),
    )
    if newest_key == receipt.get("event") and same and _is_number(newest.get("version")):
        return ""
    if newest.get("version") == about.version and newest.get("request") != receipt.get("request"):
        # promobot's newest execution there kept this very version without a receipt: it
        # recorded a holder moved there outside promobot (a repair of drift), and promoting
        # the same version again would only record it again.
        return (
            f"the receipt for {about.where} is not promobot's newest execution there: "
            f"{_short(newest.get('request'))} (at {_short(newest.get('at'))}) recorded "
            f"v{about.version} as it found it in {about.target}, moved there outside "
            f"promobot, and a record vouches for nothing. Run {about.audit}; for a receipt, "
            f"promobot must carry v{about.version} out there itself: move {about.target} "
            f"through promobot (a rollback to the version before it), then promote "
            f"v{about.version} ({about.promote})"
        )
    return (
        f"the receipt for {about.where} is not promobot's newest execution there: "
        f"v{_short(newest.get('version'))} ({_short(newest.get('request'))}, at "
        f"{_short(newest.get('at'))}) superseded it, so MLflow's {about.target} is no longer "
        f"what promobot carried out. Run {about.audit}; to serve v{about.version} there "
        f"again, promote it through promobot ({about.promote})"
    )


def _no_receipt(about: Version) -> str:
    if not about.target:  # a version number was asked for: any target's receipt would do
        return (
            f"no receipt on {about.model} v{about.version}: promobot never carried it out to "
            f"any target, so nobody approved it. Run {about.audit}; promote through promobot "
            f"(`promote {about.model} v{about.version} <target> <reason>`)"
        )
    return (
        f"no receipt for {about.where}: promobot never carried out v{about.version} → "
        f"{about.target}, so nobody approved it there. Run {about.audit}; promote through "
        f"promobot ({about.promote})"
    )


def _signature_failure(about: Version, reason: str) -> UnapprovedModel:
    if reason.startswith("unknown key"):
        kid = reason.removeprefix("unknown key").strip()
        return about.refuse(
            UNKNOWN_KEY,
            f"the receipt for {about.where} is signed with key {kid}, which is not among the "
            "trusted keys: add promobot's public key to PROMOBOT_TRUSTED_KEYS (`promobot keys "
            "id <file>` prints a key's id), or promote it again with a key you trust",
        )
    return about.refuse(
        BAD_SIGNATURE,
        f"the receipt for {about.where} does not carry promobot's signature ({reason}): "
        f"someone other than promobot wrote or changed it. Run {about.audit}; promote "
        f"through promobot ({about.promote})",
    )


def _wrong_target(about: Version, named: tuple[Any, Any, Any]) -> str:
    model, version, target = (_short(part) for part in named)
    return (
        f"the receipt for {about.where} is for {model} v{version} → {target}, not "
        f"{about.model} v{about.version} → {about.target}: it was copied from elsewhere. "
        f"Run {about.audit}; promote through promobot ({about.promote})"
    )


def _read(text: str) -> tuple[dict[str, Any], str]:
    """The receipt, or why it is not one (a sentence's end)."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_RECEIPT_BYTES:
        return {}, (
            f"is {size} bytes, far more than any receipt promobot writes "
            f"({MAX_RECEIPT_BYTES} at most): it is not one, and was not read"
        )
    receipt = _json_object(text)
    if receipt is None:
        return {}, "is not a JSON object: it was not written by promobot"
    return receipt, ""


def _is_number(value: object) -> bool:
    # JSON's true would equal 1 in Python: a version is a number, never a boolean.
    return isinstance(value, int) and not isinstance(value, bool)


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _short(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:79] + "…"
