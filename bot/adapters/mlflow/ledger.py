"""A model's ledger, a part of the gateway (bot/adapters/mlflow/gateway.py's Registry
inherits it): where finished records go (bot/core/state/compaction.py).

The ledger is a registered model of promobot's own, `promobot-ledger.<8 hex>` (like the
execution locks' `promobot-lock.*`), carrying a tag naming its model; its versions are
the pages. A page is created with all its tags in one call (MLflow writes a version and
its tags in one transaction), so a page is there whole or not at all. Not on the model's
own versions: MLflow returns the latest version of each stage, tags and all, with every
read of the model, so a long-lived Production version would carry the archive.

A version tag holds at most 5,000 characters on MLflow's SQL stores, as a model tag
does: every record fits, since it was a model tag. This module imports nothing of mlflow.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from typing import Any

from bot.adapters.mlflow.at_once import again_when_busy
from bot.core.state.keys import LEDGER_MODEL_PREFIX, LEDGER_MODEL_TAG, ledger_model_name

# A tag key that goes into a filter string: promobot's own keys only, never user text.
PLAIN_KEY = re.compile(r"[A-Za-z0-9_.-]+")

# Records per page (each ≤ 5,000 characters: a create call stays well under MLflow's
# request limits), and pages per read.
PAGE_RECORDS = 250
PAGES_PER_READ = 4
# A page's source: MLflow wants one; nothing is ever loaded from it.
_SOURCE = "promobot-ledger:/pages"


class LedgerCalls:
    rc: Any

    def calls(self, what: str) -> AbstractContextManager[None]:
        raise NotImplementedError

    def missing(self, exc: Exception) -> bool:
        raise NotImplementedError

    def ledger_page(self, model: str, token: str | None) -> tuple[dict[str, str], str | None]:
        """Up to PAGES_PER_READ pages, newest first, as one dict (a key twice: the newer
        page's copy, the same value), and the token of what follows."""
        name = ledger_model_name(model)
        with self.calls(f"read the ledger of {model}"):
            found = self.rc.search_model_versions(
                filter_string=f"name = '{name}'",
                order_by=["version_number DESC"],
                max_results=PAGES_PER_READ,
                page_token=token,
            )
        records: dict[str, str] = {}
        for version in found:
            tags = dict(version.tags)
            if tags.pop(LEDGER_MODEL_TAG, None) != model:
                continue  # another model's whose name hashes alike: not ours
            for key, value in tags.items():
                records.setdefault(key, value)
        following = getattr(found, "token", None)
        if isinstance(following, bytes):
            following = following.decode()
        return records, following or None

    def ledger_holding(self, key: str) -> str | None:
        """The model whose ledger holds record `key`: `approve <id>` of a request whose
        family moved there. One search, made only when no model holds the key."""
        if not PLAIN_KEY.fullmatch(key):
            return None
        with self.calls(f"look up the ledger holding {key}"):
            found = self.rc.search_model_versions(
                filter_string=f"name LIKE '{LEDGER_MODEL_PREFIX}%' AND tags.`{key}` LIKE '%'",
                max_results=1,
            )
        return next(
            (str(v.tags[LEDGER_MODEL_TAG]) for v in found if v.tags.get(LEDGER_MODEL_TAG)), None
        )

    def append_ledger(self, model: str, records: dict[str, str]) -> None:
        """New pages holding `records`, PAGE_RECORDS each."""
        from mlflow.exceptions import MlflowException

        name = ledger_model_name(model)
        self._ensure_ledger(name, model)
        items = sorted(records.items())
        for start in range(0, len(items), PAGE_RECORDS):
            tags = {**dict(items[start : start + PAGE_RECORDS]), LEDGER_MODEL_TAG: model}
            with self.calls(f"write a ledger page of {model}"):
                again_when_busy(
                    lambda t=tags: self.rc.create_model_version(name, _SOURCE, tags=t),
                    MlflowException,
                )

    def _ensure_ledger(self, name: str, model: str) -> None:
        from mlflow.exceptions import MlflowException

        with self.calls(f"create the ledger of {model}"):
            try:
                again_when_busy(
                    lambda: self.rc.create_registered_model(name, tags={LEDGER_MODEL_TAG: model}),
                    MlflowException,
                )
            except MlflowException as exc:
                if getattr(exc, "error_code", "") != "RESOURCE_ALREADY_EXISTS":
                    raise
