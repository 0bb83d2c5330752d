"""Why deployment code may not load a model: UnapprovedModel and its reasons.

Each reason is a kind a program can act on and a sentence a person can: what failed,
and what to run. Standard library only.
"""

from __future__ import annotations

# The reasons, least to most specific: of several receipts on one version, the one that
# got furthest through the checks is the one reported.
NO_RECEIPT = "no-receipt"
BAD_SIGNATURE = "bad-signature"
UNKNOWN_KEY = "unknown-key"
WRONG_TARGET = "wrong-target"
SUPERSEDED = "superseded"
ARTIFACTS = "artifacts"
RECEIPT_REASONS = (NO_RECEIPT, BAD_SIGNATURE, UNKNOWN_KEY, WRONG_TARGET, SUPERSEDED, ARTIFACTS)
# Before any receipt is read: no keys to check with, a URI that names no registered
# version, a model, alias or version MLflow does not have.
NO_KEYS = "no-keys"
BAD_URI = "bad-uri"
NO_MODEL = "no-model"
REASONS = (*RECEIPT_REASONS, NO_KEYS, BAD_URI, NO_MODEL)


class UnapprovedModel(Exception):
    """The model at a URI is not one promobot carried out there, or cannot be shown to
    be. `reason` is one of REASONS; str() is the sentence."""

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        model: str = "",
        version: int | None = None,
        target: str = "",
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.model = model
        self.version = version
        self.target = target  # "Production", "@champion", or "" when unknown

    def __str__(self) -> str:
        return self.message


def specificity(failure: UnapprovedModel) -> int:
    """How far a receipt got through the checks before this failure."""
    reasons = list(RECEIPT_REASONS)
    return reasons.index(failure.reason) if failure.reason in reasons else -1


class RegistryUnavailable(Exception):
    """MLflow could not be asked: no answer, its own failure (5xx), or it refused the
    caller (4xx such as a missing permission). `refused` tells which: MLflow answered
    no (the same call gets the same answer) or did not answer (try again)."""

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused
