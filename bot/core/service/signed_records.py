"""The registry as the use cases see it when records are signed (docs/contract.md,
"Receipts and keys"): a wrapper round the Registry port.

Writing, each record a decision rests on (bot/core/state/signed.py) and each receipt is
signed on its way out, so no use case handles a key. Reading, a record whose signature is
missing, wrong or made by a key nobody trusts is left out of the model's tags, so it is
never counted: a forged approval approves nothing, a forged outcome closes nothing. What
was left out stays on the ModelInfo (`rejected`), for the audit to report. Signing adds no
MLflow call: the signature travels in the value it signs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bot.core.ports.registry import ModelInfo, Registry
from bot.core.ports.signing import Signatures
from bot.core.state.codec import dumps, loads
from bot.core.state.signed import RECEIPT_PREFIX, is_signed_record


class SignedRecords:
    """A Registry (by delegation) that signs and checks promobot's records."""

    def __init__(self, inner: Registry, signatures: Signatures) -> None:
        self.inner = inner
        self.signatures = signatures

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    # ---- writes ------------------------------------------------------------------------

    def _signed(self, value: str) -> str:
        record = loads(value)
        if not self.signatures.signing or not record:
            return value
        return dumps(self.signatures.sign(record))

    def set_model_tag(self, model: str, key: str, value: str) -> None:
        if is_signed_record(key):
            value = self._signed(value)
        self.inner.set_model_tag(model, key, value)

    def set_version_tags(self, model: str, version: int, tags: dict[str, str]) -> None:
        signed = {
            k: self._signed(v) if k.startswith(RECEIPT_PREFIX) else v for k, v in tags.items()
        }
        self.inner.set_version_tags(model, version, signed)

    # ---- reads -------------------------------------------------------------------------

    def get_model(self, name: str) -> ModelInfo | None:
        return self._checked(self.inner.get_model(name))

    def models(self, patterns: Sequence[str] = ()) -> list[ModelInfo]:
        return [m for m in map(self._checked, self.inner.models(patterns)) if m is not None]

    def find_model_with_tag(self, key: str) -> ModelInfo | None:
        return self._checked(self.inner.find_model_with_tag(key))

    def ledger_page(self, model: str, token: str | None) -> tuple[dict[str, str], str | None]:
        """A ledger page with the same checks as the model's tags: archived records keep
        their signatures, and one that does not check is left out there too."""
        records, following = self.inner.ledger_page(model, token)
        if self.signatures.verifying:
            records, _ = self._verified(records)
        return records, following

    def _checked(self, info: ModelInfo | None) -> ModelInfo | None:
        if info is None or not self.signatures.verifying:
            return info
        kept, rejected = self._verified(info.tags)
        if not rejected:
            return info
        return replace(info, tags=kept, rejected=tuple(sorted(rejected)))

    def _verified(self, tags: dict[str, str]) -> tuple[dict[str, str], list[tuple[str, str]]]:
        """The tags whose records check, and (key, why) of those that do not."""
        kept: dict[str, str] = {}
        rejected: list[tuple[str, str]] = []
        for key, value in tags.items():
            if is_signed_record(key):
                why = self.signatures.check(loads(value)) if loads(value) else "not a record"
                if why:
                    rejected.append((key, why))
                    continue
            kept[key] = value
        return kept, rejected
