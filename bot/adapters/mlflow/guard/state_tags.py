"""The guard's one write of its own: promobot's state tags of a registered model deleted
in one request, for compaction (bot/core/service/archive.py).

    POST STATE_TAGS_PATH  {"name": "<model>", "keys": ["mlflow.promobot.…", …]}
    → 200 {"deleted": <keys asked for>}

Why: MLflow's delete-tag handler reads the whole model after each delete (to tell a
prompt's webhooks), tags and all, so deleting a long-lived model's thousands of records
one by one costs time that grows with the square of its tags (0.4 s a delete at 6,000
tags on SQLite). Here each key costs the store's own delete only.

Who and what: basic-auth checks the caller as for MLflow's delete-tag (may update the
model); the guard lets only promobot's service accounts through, and only keys of
promobot's state (`mlflow.promobot.…`, `promobot.…`), at most MAX_KEYS a request. A key
that is not there is fine (compaction runs again after a crash, or alongside another).
"""

from __future__ import annotations

from typing import Any

from flask import Request
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.server.handlers import _get_model_registry_store

from bot.adapters.mlflow.guard_calls import STATE_TAGS_MAX_KEYS as MAX_KEYS
from bot.core.state.keys import LEGACY_STATE_PREFIX, STATE_PREFIX

PREFIXES = (STATE_PREFIX, LEGACY_STATE_PREFIX)
_KEY_MAX = 250  # MLflow's limit on a tag key


def malformed(request: Request) -> MlflowException | None:
    """Why the body is not a delete of promobot's state tags (400), or None. Checked
    before basic-auth's check, which reads `name` from the body."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _invalid('The body must be a JSON object: {"name": "<model>", "keys": [...]}.')
    name, keys = body.get("name"), body.get("keys")
    if not isinstance(name, str) or not name:
        return _invalid("`name` must be the registered model's name, a non-empty string.")
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        return _invalid("`keys` must be a list of tag keys (strings).")
    if len(keys) > MAX_KEYS:
        return _invalid(f"`keys` holds {len(keys)} keys; at most {MAX_KEYS} a request.")
    wrong = next((k for k in keys if not k.startswith(PREFIXES) or len(k) > _KEY_MAX), None)
    if wrong is not None:
        return _invalid(
            f"{wrong[:80]!r} is not one of promobot's state tags: only keys beginning "
            f"{' or '.join(PREFIXES)} (at most {_KEY_MAX} characters) are deleted here."
        )
    return None


def delete(body: dict[str, Any]) -> dict[str, int]:
    """Delete the keys (the body passed `malformed`). An unknown model: MLflow's own
    RESOURCE_DOES_NOT_EXIST, before anything is deleted."""
    store = _get_model_registry_store()
    name: str = body["name"]
    keys: list[str] = list(dict.fromkeys(body["keys"]))
    for key in keys:
        store.delete_registered_model_tag(name, key)  # a missing key: nothing to do
    return {"deleted": len(keys)}


def _invalid(message: str) -> MlflowException:
    return MlflowException(
        f"promobot's guard cannot delete these state tags: {message}", INVALID_PARAMETER_VALUE
    )
