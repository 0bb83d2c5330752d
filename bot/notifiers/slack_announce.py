"""Announce in each model's Slack channel what happens to it, wherever it was asked.

The channel is the model's policy entry's `slack_channel`, else PROMOBOT_SLACK_CHANNEL;
a model with neither is announced nowhere. What is posted there (`chat.postMessage`):

    request_made        a request made on GitHub, in the terminal or by CI, with Approve /
                        Deny. Where it was posted is remembered (door "slack", as the
                        Slack door remembers its own), so SlackRequestSync and the sweep
                        redraw this very message as the request is approved, denied or
                        expires.
    executed            a promotion or rollback carried out, with a link to where it was
                        asked; not for a request whose message is already in Slack (that
                        message is redrawn in its end state instead).
    drift_found         ⚠ each finding and the commands that put it right.
    version_registered  a new version's card, with a Promote button per next target.
    verification_passed ✅ the version passed its verification: each check's last figure
                        against its threshold, who promoted it and where.
    verification_failed ❌ the failing check's figure against its threshold, and either
                        the version promobot rolled back to or why not with the
                        `/rollback` command to type; who promoted it and where. Posted
                        wherever the promotion was asked, Slack included: the model's
                        channel hears of it even when the promotion was typed elsewhere.
                        promobot's own rollback is also announced as `executed`, as a
                        person's is (a rollback carried out by `promobot`, channel
                        `verify`, with its `verification failed:` reason).

What happens in Slack is posted by the Slack door where it was typed or clicked, and
only there: a request typed in Slack is posted once, in that channel, even when the
model's channel is another. A notifier that fails logs it; the registry keeps what it
holds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from bot.core import events
from bot.core.results import DONE, PENDING, Result
from bot.notifiers.slack import DOOR

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.core.policy import Policy

log = logging.getLogger("promobot.slack")

KINDS = (
    events.REQUEST_MADE,
    events.EXECUTED,
    events.DRIFT_FOUND,
    events.VERSION_REGISTERED,
    events.VERIFICATION_PASSED,
    events.VERIFICATION_FAILED,
)


class AnnouncedMessages(Protocol):
    """What the announcer asks the service (bot/service)."""

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


class SlackAnnouncer:
    def __init__(
        self, service: AnnouncedMessages, client: WebClient, channel_for: Callable[[str], str]
    ) -> None:
        self.service = service
        self.client = client
        self.channel_for = channel_for

    def notify(self, event: events.Event) -> None:
        result = event.result
        if not result.model:
            return
        if event.kind in (events.REQUEST_MADE, events.EXECUTED) and event.ctx.channel == DOOR:
            return  # the Slack door posts it where it was typed or clicked: once
        channel = self.channel_for(result.model)
        if not channel:
            return
        try:
            self._announce(event.kind, result, channel)
        except Exception as exc:  # Slack down, refusing, or MLflow hiccupping: log it
            log.warning(
                "could not announce %s of %s in %s: %s", event.kind, result.model, channel, exc
            )

    def _announce(self, kind: str, result: Result, channel: str) -> None:
        from bot.render.slack_blocks import card_blocks, result_blocks

        if kind == events.REQUEST_MADE:
            if result.status != PENDING or not result.request_id or result.dry_run:
                return
            ref = self._post(channel, result, result_blocks(result, buttons=True))
            self.service.remember_message(str(result.model), result.request_id, DOOR, ref)
        elif kind == events.EXECUTED:
            if result.status != DONE or result.already or result.dry_run:
                return
            if result.request_id and _has_message(self.service, result):
                return  # its request's message is redrawn in its end state
            self._post(channel, result, result_blocks(result))
        elif kind == events.DRIFT_FOUND:
            if result.drift:
                self._post(channel, result, result_blocks(result))
        elif kind == events.VERSION_REGISTERED:
            self._post(channel, result, card_blocks(result))
        elif kind in (events.VERIFICATION_PASSED, events.VERIFICATION_FAILED):
            self._post(channel, result, result_blocks(result))

    def _post(self, channel: str, result: Result, blocks: list[dict[str, Any]]) -> dict[str, str]:
        from bot.render.slack_blocks import fallback_text

        answer = self.client.chat_postMessage(
            channel=channel, text=fallback_text(result), blocks=blocks, unfurl_links=False
        )
        return {"channel": str(answer["channel"]), "ts": str(answer["ts"])}


def _has_message(service: AnnouncedMessages, result: Result) -> bool:
    ref = service.message_ref(str(result.model), str(result.request_id), DOOR) or {}
    return bool(ref.get("channel") and ref.get("ts"))
