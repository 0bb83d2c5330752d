"""How promobot's tag values are written: compact JSON objects and ISO-8601 UTC times."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def loads(value: str | None) -> dict[str, Any]:
    """The object a tag holds; {} for an empty, malformed or non-object value."""
    if not value:
        return {}
    try:
        loaded = json.loads(value)
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def format_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    parsed = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def maybe_time(text: Any) -> datetime | None:
    if not text:
        return None
    try:
        return parse_time(str(text))
    except ValueError:
        return None
