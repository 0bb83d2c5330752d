"""What an execution writes onto MLflow besides moving the version (docs/contract.md,
"What is written onto MLflow"): the version tags, the description line, and the
request's outcome records. Pure: values in, tag values out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.neutral import markdown
from bot.core.state.codec import dumps, format_time
from bot.core.state.history_event import HistoryEvent
from bot.core.state.signed import receipt_key, receipt_of
from bot.core.text import metric_order, one_line, with_comment

# A reason appears up to three times in an execution's event (its reason, the description
# line, a rollback's own reason) and once in the request and in the outcome, and a
# registered-model tag value holds at most 5,000 characters in MLflow's SQL stores
# (VARCHAR(5000); PostgreSQL enforces it). 500 keeps every one of them well inside; a
# longer story belongs in a linked document.
REASON_MAX = 500

# The tags a version gets when it is moved out of a target (version_tags_of' `old_tags`). When
# the version takes a target again they describe a move it has since undone, so the
# execution removes them (stale_tags); the description lines keep the whole story.
MOVED_OUT_TAGS = (
    "replaced_by",
    "archived_at",
    "archived_by",
    "rolled_back_at",
    "rolled_back_by",
    "rollback_reason",
)


def outcome_record(status: str, by: str, at: datetime, detail: str = "") -> str:
    """The value of a request's `.state` tag: how it ended, who, when and why."""
    return dumps({"state": status, "by": by, "at": format_time(at), "detail": detail[:REASON_MAX]})


def description_line(
    at: datetime,
    label: str,
    people: tuple[str, str | Sequence[tuple[str, str]]],
    reason: str,
    metrics: dict[str, float],
    gated: list[str],
) -> str:
    """The line an execution appends to the version's description, e.g.
    `2026-11-26 10:02 UTC → Production by bob@example.com, approved by alice@example.com
    ("dashboards checked"): passed shadow test (accuracy 0.91, f1 0.89)`. `people` is (by,
    approved by): the approvers as one string, or as (approver, comment) pairs, each
    comment then quoted after its approver; the figures are the gated metrics, else the
    first two.

    The MLflow UI renders a description as Markdown (GitHub's flavour: mentions,
    autolinks, images, some HTML), and the reason, the comments, the names and the metric
    names are text people wrote: the line is written so that it shows them as typed
    (bot/core/neutral.py `markdown`), on one line."""
    by, approvers = people
    approved = (
        approvers
        if isinstance(approvers, str)
        else ", ".join(with_comment(name, comment) for name, comment in approvers)
    )
    shown = [m for m in gated if m in metrics] or metric_order((), metrics, limit=2)
    numbers = ", ".join(f"{m} {metrics[m]:.2f}" for m in shown if m in metrics)
    line = f"{at.strftime('%Y-%m-%d %H:%M UTC')} → {label} by {by}"
    if approved:
        line += f", approved by {approved}"
    if reason:
        line += f": {one_line(reason)}"
    if numbers:
        line += f" ({numbers})"
    return markdown(one_line(line))


def version_tags_of(event: HistoryEvent) -> tuple[dict[str, str], dict[str, str]]:
    """The model-version tags an execution writes (docs/contract.md, "What is written onto
    MLflow"): on the version put in place, and on the one it replaced."""
    at = format_time(event.at) if event.at else ""
    new_tags = {
        "requested_by": event.by,
        "approved_by": event.approved_by,
        "promoted_to": event.target_label,
        "promoted_at": at,
        "promotion_reason": event.reason,
        "promotion_request": event.request,
        "promotion_channel": event.channel,
    }
    if event.link:
        new_tags["promotion_link"] = event.link
    if event.verifies:
        # A verification starts with this execution (bot/core/state/watch.py).
        new_tags["verification"] = "running"
    if (receipt := receipt_of(event)) is not None:
        new_tags[receipt_key(event.target_label)] = dumps(receipt)
    old_tags: dict[str, str] = {}
    if event.previous is not None:
        old_tags = {"replaced_by": f"v{event.version}"}
        if event.ends_verification:
            old_tags["verification"] = "ended"
        if event.target_kind == "stage":
            old_tags.update({"archived_at": at, "archived_by": event.by})
        if event.kind == "rollback":
            old_tags.update(
                {
                    "rolled_back_at": at,
                    "rolled_back_by": event.by,
                    "rollback_reason": event.rollback_reason or "",
                }
            )
    return new_tags, old_tags


def stale_tags(link: str, version_tags: dict[str, str]) -> tuple[str, ...]:
    """The tags of the version an execution puts in place (`version_tags`, as read under
    the lock) that no longer describe it once it holds the target: those of an earlier
    move out, and a `promotion_link` this promotion (its `link`) does not overwrite. Only
    keys it has now, so a version that was never moved out costs no call; the list goes
    into the event, so a resumed execution removes the same ones."""
    stale = set(MOVED_OUT_TAGS)
    if not link:
        stale.add("promotion_link")
    return tuple(sorted(k for k in version_tags if k in stale))


def done_outcome(event: HistoryEvent) -> dict[str, str]:
    """The request's outcome tag that closes an execution: its last write."""
    return {
        "state": "done",
        "by": event.approved_by or event.by,
        "at": format_time(event.at) if event.at else "",
        "detail": event.line,
    }
