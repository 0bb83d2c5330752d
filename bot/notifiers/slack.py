"""Keep the Slack message that shows a request in step with the request.

A pending request is posted once by the Slack door (with Approve / Deny); from then on
the message is redrawn with `chat.update` whenever the request changes: an approval or a
denial made in another door (GitHub, the CLI), its expiry, or a decision the scheduled
pass finds nobody drew. Where the message is lives in MLflow (the service's
`remember_message`); every step reads the registry and is safe to repeat.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

from bot.core import events
from bot.core.results import DONE, PENDING, Result

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.config import Settings

log = logging.getLogger("promobot.slack")

DOOR = "slack"
KINDS = (events.APPROVAL_RECORDED, events.REQUEST_DECIDED, events.REQUEST_EXPIRED)


class RequestMessages(Protocol):
    """What the notifier asks the service (bot/service)."""

    def request_view(self, request_id: str) -> Result | None: ...
    def message_ref(self, model: str, request_id: str, door: str) -> dict[str, Any] | None: ...
    def remember_message(
        self, model: str, request_id: str, door: str, ref: dict[str, str]
    ) -> None: ...


def api_base_url(url: str) -> str:
    """slack_sdk joins base_url and the method name as strings: it must end with "/"."""
    url = (url or "https://slack.com/api/").strip()
    return url if url.endswith("/") else url + "/"


def web_client(settings: Settings) -> WebClient:
    from slack_sdk import WebClient

    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(token=token, base_url=api_base_url(settings.slack_api_url), timeout=10)


class SlackRequestSync:
    """The notifier: redraws a request's message after events from other doors and the
    scheduled pass. The Slack door draws its own clicks and commands itself (with the
    click's message to fall back on), so events from Slack are left to it."""

    def __init__(self, service: RequestMessages, client: WebClient) -> None:
        self.service = service
        self.client = client

    def notify(self, event: events.Event) -> None:
        if event.ctx.channel == DOOR:
            return
        update_request_message(self.service, self.client, event.result)


def update_request_message(
    service: RequestMessages,
    client: WebClient,
    result: Result,
    *,
    fallback_ref: dict[str, str] | None = None,
) -> Result | None:
    """Redraw the Slack message of the request `result` is about, if it has one and
    `result` changed what it should show (decided, or another approval recorded).
    Returns what was drawn (None: nothing to do). Raises RegistryError and slack_sdk's
    errors."""
    rid, model = result.request_id, result.model
    if not rid or not model:
        return None
    stored = service.message_ref(model, rid, DOOR) or {}
    ref = stored if stored.get("channel") and stored.get("ts") else (fallback_ref or {})
    if not ref.get("channel") or not ref.get("ts"):
        return None
    decided_now = (
        result.action in ("approve", "deny") and result.status == DONE and not result.already
    )
    partial = result.action == "approve" and result.status == PENDING
    if decided_now:
        shown: Result | None = result
    else:
        shown = service.request_view(rid)
        if shown is None or (shown.status == PENDING and not partial):
            return None  # still open and unchanged: the message already says so
    assert shown is not None
    final = shown.status != PENDING
    if final and stored.get("final"):
        return None  # already drawn in its final state
    redraw(client, ref, shown)
    if final:
        closed = {"channel": str(ref["channel"]), "ts": str(ref["ts"]), "final": _ending(shown)}
        service.remember_message(model, rid, DOOR, closed)
    return shown


def redraw(client: WebClient, ref: dict[str, Any], shown: Result) -> None:
    """chat.update the message at `ref` with `shown`; buttons only while it is pending."""
    from bot.render.slack_blocks import fallback_text, result_blocks

    client.chat_update(
        channel=str(ref["channel"]),
        ts=str(ref["ts"]),
        text=fallback_text(shown),
        blocks=result_blocks(shown, buttons=shown.status == PENDING),
    )


def _ending(shown: Result) -> str:
    if shown.action == "deny":
        return "denied"
    return "done" if shown.status == DONE else "closed"
