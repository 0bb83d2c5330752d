"""Signatures on the records promobot's decisions rest on (docs/contract.md, "Receipts and
keys"): the port the core signs and checks through. The Ed25519 implementation is
bot/adapters/keys.py, on promobot/signatures.py (what deployment code also uses)."""

from __future__ import annotations

from typing import Any, Protocol


class Signatures(Protocol):
    @property
    def signing(self) -> bool:
        """Whether a signing key is set: records and receipts are signed."""
        ...

    @property
    def verifying(self) -> bool:
        """Whether any key is trusted: a record without a good signature does not count."""
        ...

    @property
    def key_id(self) -> str:
        """The signing key's id ("" without one)."""
        ...

    def sign(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record with its `sig`."""
        ...

    def check(self, record: dict[str, Any]) -> str:
        """ "" when the record's signature is good and its key trusted, else why not."""
        ...


class KeysProblem(Exception):
    """A key setting cannot be read (PROMOBOT_SIGNING_KEY, PROMOBOT_TRUSTED_KEYS): one
    sentence saying which and what to do, never a key's content."""
