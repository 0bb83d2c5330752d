"""The Slack message of a request: its one owner, for every door.

A request that waits for approvals (`request_made`) is posted here, with Approve / Deny,
where it was asked: the Slack channel a command was typed or a button clicked in
(bot/adapters/slack/conversation.py), else the model's channel (its policy entry's
`slack_channel`, else PROMOBOT_SLACK_CHANNEL). Where it went is remembered through the
service (`remember_message`, kept in MLflow by bot/core/service/messages.py), and from
then on that one message is updated with `chat.update` whenever the request changes: an
approval recorded, a decision in any door (a click, a typed command, a pull-request
comment, the CLI), its expiry, or a decision the scheduled sweep finds nobody drew. In
its end state it has no buttons and is marked final, so it is drawn once. Every step
reads the registry and is safe to repeat.

The Slack door never posts or updates this message; it answers the person who typed or
clicked. The announcer (bot/notifiers/slack_announce.py) posts the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from bot.adapters.slack.conversation import Asked, current
from bot.core import events
from bot.core.results import DONE, PENDING, Result, carried_out
from bot.render.slack_blocks import fallback_text, result_blocks

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.core.policy import Policy

log = logging.getLogger("promobot.slack")

DOOR = "slack"  # the key messages are remembered under (`mlflow.promobot.request.<id>.slack`)
KINDS = (
    events.REQUEST_MADE,
    events.APPROVAL_RECORDED,
    events.REQUEST_DECIDED,
    events.REQUEST_EXPIRED,
)


class RequestMessages(Protocol):
    """What the Slack notifiers ask the service (bot/core/service), wired in bot/app.py."""

    def request_view(self, request_id: str) -> Result | None: ...
    def message_ref(self, model: str, request_id: str, door: str) -> dict[str, Any] | None: ...
    def remember_message(
        self, model: str, request_id: str, door: str, ref: dict[str, str]
    ) -> None: ...


def model_channels(policy: Policy, default: str) -> Callable[[str], str]:
    """model → the Slack channel it is announced in ("" for none)."""

    def channel_for(model: str) -> str:
        rules = policy.rules_for(model)
        return (rules.slack_channel if rules else None) or default

    return channel_for


class SlackNotifier:
    """What both Slack notifiers work with: the service (where requests' messages are),
    Slack's client, each model's channel, and the Slack command being handled (None
    outside one)."""

    def __init__(
        self,
        service: RequestMessages,
        client: WebClient,
        channel_for: Callable[[str], str],
        asked: Callable[[], Asked | None] = current,
    ) -> None:
        self.service = service
        self.client = client
        self.channel_for = channel_for
        self.asked = asked


class SlackRequestMessages(SlackNotifier):
    """The notifier: posts a request's message, then keeps it in step."""

    def notify(self, event: events.Event) -> None:
        if event.kind == events.REQUEST_MADE:
            self.post_request(event.result)
        else:
            # Raises into the bus, which logs it: the registry holds the decision all
            # the same, and the sweep draws the message later.
            update_request_message(self.service, self.client, event.result)

    def post_request(self, result: Result) -> None:
        rid, model = result.request_id, result.model
        if result.status != PENDING or not rid or not model or result.dry_run:
            return
        asked = self.asked()
        channels = where_to_post(asked, self.channel_for(model))
        try:
            ref = post(self.client, channels, result, result_blocks(result, buttons=True))
        except Exception as exc:  # Slack down or refusing: the request stands in MLflow
            where = ", ".join(channels)
            log.warning("could not announce request_made of %s in %s: %s", model, where, exc)
            return
        if ref is None:
            return
        if asked is not None:
            asked.shown = ref
        try:
            self.service.remember_message(model, rid, DOOR, ref)
        except Exception:
            log.warning("could not record where %s was posted", rid, exc_info=True)


def where_to_post(asked: Asked | None, model_channel: str) -> list[str]:
    """Where a command's outcome goes: the channel it was typed in, then (if Slack
    refuses that one: a private channel the bot is not in) the model's channel."""
    channels = [asked.channel] if asked is not None and asked.channel else []
    if model_channel and model_channel not in channels:
        channels.append(model_channel)
    return channels


def post(
    client: WebClient, channels: list[str], result: Result, blocks: list[dict[str, Any]]
) -> dict[str, str] | None:
    """chat.postMessage in the first of `channels` that takes it; where it went
    (`channel`, `ts`), or None with no channel. Raises Slack's last refusal."""
    from slack_sdk.errors import SlackApiError

    for n, channel in enumerate(channels):
        try:
            answer = client.chat_postMessage(
                channel=channel, text=fallback_text(result), blocks=blocks, unfurl_links=False
            )
        except SlackApiError as exc:
            if n == len(channels) - 1:
                raise
            log.warning(
                "chat.postMessage to %s failed (%s); posting in %s instead",
                channel,
                exc.response.get("error"),
                channels[n + 1],
            )
            continue
        return {"channel": str(answer["channel"]), "ts": str(answer["ts"])}
    return None


def update_request_message(
    service: RequestMessages, client: WebClient, result: Result
) -> Result | None:
    """Redraw the Slack message of the request `result` is about, if it has one and
    `result` changed what it should show (decided, or another approval recorded).
    Returns what was drawn (None: nothing to do). Raises RegistryError and slack_sdk's
    errors."""
    rid, model = result.request_id, result.model
    if not rid or not model:
        return None
    ref = service.message_ref(model, rid, DOOR) or {}
    if not ref.get("channel") or not ref.get("ts"):
        return None
    decided_now = result.action in ("approve", "deny") and carried_out(result)
    partial = result.action == "approve" and result.status == PENDING
    shown: Result | None = result
    if not decided_now:
        shown = service.request_view(rid)
        if shown is None or (shown.status == PENDING and not partial):
            return None  # still open and unchanged: the message already says so
    final = shown.status != PENDING
    if final and ref.get("final"):
        return None  # already drawn in its final state
    redraw(client, ref, shown)
    if final:
        closed = {"channel": str(ref["channel"]), "ts": str(ref["ts"]), "final": _ending(shown)}
        service.remember_message(model, rid, DOOR, closed)
    return shown


def redraw(client: WebClient, ref: dict[str, Any], shown: Result) -> None:
    """chat.update the message at `ref` with `shown`; buttons only while it is pending."""
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
