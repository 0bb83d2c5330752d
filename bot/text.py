"""Small pure text helpers shared by the core, the renderer and the doors."""

from __future__ import annotations

from datetime import UTC, datetime


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def clip(text: str, limit: int) -> str:
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
