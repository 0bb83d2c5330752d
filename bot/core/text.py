"""Small pure text helpers that the core, the renderer and the doors share.

Nothing here does I/O or knows a channel: a table cell, a byline and a log line all want
text on one line, clipped to a length, and a time written the one way people read it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

# The metrics people look for first, in this order, after those a policy gates on.
PREFERRED_METRICS = ("accuracy", "f1", "precision", "recall")

# The secrets a URI carries: its user information (`//user:password@`), and the value of
# a query parameter whose name says it holds one (`?token=…`, `&password=…`, `sig=…`).
_USERINFO = re.compile(r"(?<=//)[^/?#@\s]*@")
_SECRET_PARAMETER = re.compile(
    r"([?&;][^=&;#\s]*(?:token|passw(?:or)?d|pwd|secret|key|sig|auth|credential|session)"
    r"[^=&;#\s]*=)[^&;#\s]*",
    re.IGNORECASE,
)


def one_line(text: object) -> str:
    """All whitespace (line breaks, tabs, runs of spaces) as single spaces, trimmed."""
    return " ".join(str(text).split())


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, the last one `…` when it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def with_comment(name: str, comment: str, limit: int = 100) -> str:
    """`alice@example.com ("dashboards checked")`: a person and what they said, on one
    line and clipped; the name alone when they said nothing."""
    said = clip(one_line(comment), limit)
    return f'{name} ("{said}")' if said else name


def masked(text: str) -> str:
    """`text` (a URI, or a message that may quote one) with every secret a URI can carry
    shown as `***`: `https://***@mlflow.example.com/?token=***&password=***`. For every
    place promobot shows a URI: error messages, logs, replies."""
    return _SECRET_PARAMETER.sub(r"\1***", _USERINFO.sub("***@", str(text)))


def when(at: datetime) -> str:
    """A moment as people read it in every message: `2026-11-26 10:02 UTC`."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def metric_order(gated: Iterable[str], *metrics: Mapping[str, float], limit: int) -> list[str]:
    """The metric names a table shows, in the order it shows them: the `gated` ones
    first (as the policy lists them, whether measured or not), then accuracy, f1,
    precision and recall, then the rest alphabetically; at most `limit` names."""
    first = list(dict.fromkeys(gated))
    rest = sorted(set().union(*metrics) - set(first))
    preferred = [m for m in PREFERRED_METRICS if m in rest]
    others = [m for m in rest if m not in preferred]
    return [*first, *preferred, *others][:limit]


def quorum_text(counts: Iterable[Any]) -> str:
    """Each group's count of a quorum per group, as every message shows it:
    `ml-leads 1 of 1 ✅ · sre 0 of 1 ⏳` (items with `group`, `have`, `need`)."""
    return " · ".join(
        f"{c.group} {c.have} of {c.need} {'✅' if c.have >= c.need else '⏳'}" for c in counts
    )
