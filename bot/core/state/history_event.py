"""The history event: one per promotion or rollback (`mlflow.promobot.event.<ms>.<ns>.<id>`,
or `promobot.event.…` in the legacy layout). It is also the execution's intent: written
first, it holds everything the execution writes and removes, so a later command can
finish an execution a dead process left half done (bot/core/service/execution.py).

One type, written and read by the same code: the execution builds a HistoryEvent and
writes `to_tag()`; every reader (the history, rollback's walk, drift, the audit trail,
verification, deployment records) reads `HistoryEvent.from_tag`. The JSON is what
promobot has always written, byte for byte (compact, keys sorted), and the older layouts
read as they did: an event written before it carried the whole intent (no `line`) is
history only, one without `target_label` is labelled by its key, one without
`stale_tags` removes nothing.

    {"kind": "promote"|"rollback", "target_key": "production", "target_label":
     "Production", "target_kind": "stage"|"alias", "target_name": "Production",
     "version": 3, "previous": 2|null, "by": person, "actor": handle, "approved_by":
     "a, b", "comments": [{"by", "comment"}], "at": iso, "reason": …, "request": id,
     "channel": door, "link": url, "line": description line, "stale_aliases": [..],
     "stale_tags": [..], "rollback_reason": … (rollbacks), "verify": {plan} (a rule
     with `verify`), "ends_verification": true (it replaces a version being verified),
     "receipt": {what the receipt it writes on the version needs} (signing on)}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.state.codec import dumps, format_time, loads, maybe_time


@dataclass(frozen=True)
class HistoryEvent:
    kind: str  # "promote" | "rollback"
    target_key: str  # "production", "@champion"
    target_label: str  # "Production", "@champion"
    version: int
    previous: int | None  # the version it replaced
    by: str  # the person, as promobot names people in tags
    approved_by: str  # the approvers, comma-separated
    at: datetime | None
    reason: str
    request: str  # the request id
    channel: str
    target_kind: str = "stage"  # "stage" | "alias"
    target_name: str = ""  # the stage ("Production") or alias ("champion")
    actor: str = ""  # the handle that asked, as given (`by` names the person)
    comments: tuple[tuple[str, str], ...] = ()  # (approver, comment) of its approvals
    link: str = ""
    # The description line; "" in an event written before the event was the whole
    # intent (then it is history only, never finished by a later command).
    line: str = ""
    stale_aliases: tuple[str, ...] = ()  # mirrored aliases the version sheds
    # Version tags of an earlier move out it sheds; None: written before the list was.
    stale_tags: tuple[str, ...] | None = None
    rollback_reason: str | None = None  # a rollback's own reason, as typed
    verify: dict[str, Any] | None = field(default=None, compare=False)  # the watch's plan
    ends_verification: bool = False  # the version it replaces was being verified
    key: str = field(default="", compare=False)  # its tag key ("" until written)
    # What its receipt needs beyond the event itself (bot/core/state/signed.py `seal`): the
    # receipt is rebuilt from both and signed on its way out. None: no signing key, a
    # repair, or written before receipts were.
    receipt: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def is_intent(self) -> bool:
        """Whether it holds the whole intent (a later command can finish it)."""
        return bool(self.line)

    def on(self, target_key: str) -> bool:
        """Whether it put its version on `target_key`. A stage move also pointed the
        stage's mirrored alias at it (`production` → `@production`), so a registry that
        dropped its stages (`registry: {stages: false}`) reads the stage's history as
        its alias's: its rollbacks, drift and soak go on from there."""
        if self.target_key == target_key:
            return True
        return not self.target_key.startswith("@") and f"@{self.target_key}" == target_key

    @property
    def verifies(self) -> bool:
        """Whether the execution started a verification."""
        return isinstance(self.verify, dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "target_key": self.target_key,
            "target_label": self.target_label,
            "target_kind": self.target_kind,
            "target_name": self.target_name,
            "version": self.version,
            "previous": self.previous,
            "by": self.by,
            "actor": self.actor,
            "approved_by": self.approved_by,
            "comments": [{"by": by, "comment": said} for by, said in self.comments],
            "at": format_time(self.at) if self.at else None,
            "reason": self.reason,
            "request": self.request,
            "channel": self.channel,
            "link": self.link,
            "line": self.line,
            "stale_aliases": list(self.stale_aliases),
        }
        if self.rollback_reason is not None:
            out["rollback_reason"] = self.rollback_reason
        if self.stale_tags is not None:
            out["stale_tags"] = list(self.stale_tags)
        if self.verify is not None:
            out["verify"] = self.verify
        if self.ends_verification:
            out["ends_verification"] = True
        if self.receipt is not None:
            out["receipt"] = self.receipt
        return out

    def to_tag(self) -> str:
        """The tag value, as promobot has always written it."""
        return dumps(self.to_json())

    @classmethod
    def from_tag(cls, key: str, value: str | None) -> HistoryEvent | None:
        """The event under `key`, in any layout promobot wrote; None when it is not one
        (no kind, target or version)."""
        data = loads(value)
        try:
            target_key = str(data["target_key"])
            stale_tags = data.get("stale_tags")
            rollback_reason = data.get("rollback_reason")
            return cls(
                kind=str(data["kind"]),
                target_key=target_key,
                target_label=str(data.get("target_label", target_key)),
                version=int(data["version"]),
                previous=int(data["previous"]) if data.get("previous") else None,
                by=str(data.get("by", "")),
                approved_by=str(data.get("approved_by", "")),
                at=maybe_time(data.get("at")),
                reason=str(data.get("reason", "")),
                request=str(data.get("request", "")),
                channel=str(data.get("channel", "")),
                target_kind="alias" if data.get("target_kind") == "alias" else "stage",
                target_name=str(data.get("target_name") or data.get("target_label", "")),
                actor=str(data.get("actor", "")),
                comments=_comments(data.get("comments")),
                link=str(data.get("link", "")),
                line=str(data.get("line", "")),
                stale_aliases=_strings(data.get("stale_aliases")) or (),
                stale_tags=_strings(stale_tags) if stale_tags is not None else None,
                rollback_reason=None if rollback_reason is None else str(rollback_reason),
                verify=data["verify"] if isinstance(data.get("verify"), dict) else None,
                ends_verification=data.get("ends_verification") is True,
                key=key,
                receipt=data["receipt"] if isinstance(data.get("receipt"), dict) else None,
            )
        except (KeyError, TypeError, ValueError):
            return None


def _comments(value: Any) -> tuple[tuple[str, str], ...]:
    """An event's `comments` ([{by, comment}]); () where there are none or they are not
    as promobot writes them."""
    if not isinstance(value, list):
        return ()
    return tuple(
        (str(item.get("by", "")), str(item.get("comment", "")))
        for item in value
        if isinstance(item, dict) and item.get("comment")
    )


def _strings(value: Any) -> tuple[str, ...] | None:
    return tuple(str(item) for item in value) if isinstance(value, list) else None
