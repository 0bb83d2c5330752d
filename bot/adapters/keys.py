"""promobot's keys (docs/contract.md, "Receipts and keys"): the Signatures port on Ed25519,
through promobot/signatures.py, the same code deployment code verifies receipts with.

The signing key signs; the trusted keys check, and the signing key's own public key is
always one of them, so one key set on promobot's side is enough to start. Neither set:
nothing is signed nor checked (bot/app.py then wires no Signatures at all).
"""

from __future__ import annotations

from typing import Any

from bot.core.ports.signing import KeysProblem


class Ed25519Signatures:
    def __init__(self, signing_key: str, trusted_keys: str) -> None:
        from promobot.signatures import KeyProblem, key_id, private_key, public_keys

        try:
            self._private = private_key(signing_key) if signing_key.strip() else None
        except KeyProblem as exc:
            raise KeysProblem(f"PROMOBOT_SIGNING_KEY cannot be used: {exc}") from None
        try:
            self._trusted = public_keys(trusted_keys) if trusted_keys.strip() else {}
        except KeyProblem as exc:
            raise KeysProblem(f"PROMOBOT_TRUSTED_KEYS cannot be used: {exc}") from None
        self._key_id = ""
        if self._private is not None:
            public = self._private.public_key()
            self._key_id = key_id(public)
            self._trusted.setdefault(self._key_id, public)

    @property
    def signing(self) -> bool:
        return self._private is not None

    @property
    def verifying(self) -> bool:
        return bool(self._trusted)

    @property
    def key_id(self) -> str:
        return self._key_id

    @property
    def trusted_ids(self) -> tuple[str, ...]:
        return tuple(sorted(self._trusted))

    def sign(self, record: dict[str, Any]) -> dict[str, Any]:
        from promobot.signatures import sign

        if self._private is None:
            return record
        return sign(record, self._private)

    def check(self, record: dict[str, Any]) -> str:
        from promobot.signatures import verify

        return verify(record, self._trusted)
