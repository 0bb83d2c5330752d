"""Facts about promobot's state read straight from a model's tags, independently of
bot/core/state.py, so tests do not check the code with itself."""

from __future__ import annotations

import json


def unfinished(tags: dict[str, str]) -> list[str]:
    """Executions begun and not ended: history events whose request has no outcome tag
    (an execution writes its event first and the request's outcome last)."""
    found = []
    for key, value in tags.items():
        if key.startswith("mlflow.promobot.event."):
            request = json.loads(value).get("request", "")
            if f"mlflow.promobot.request.{request}.state" not in tags:
                found.append(key)
    return found
