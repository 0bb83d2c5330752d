"""Announce in Slack what happens to a model, wherever it was asked.

The request's own message is bot/notifiers/slack.py's; this notifier posts the rest with
`chat.postMessage`:

    executed            a promotion or rollback carried out, where it was asked: the Slack
                        channel a command was typed or a Promote button clicked in
                        (bot/adapters/slack/conversation.py), else the model's channel,
                        with a line saying where it was asked. Not for a request whose
                        message is already in Slack: that message is updated to its end
                        state instead.
    drift_found         ⚠ each finding and the commands that put it right.
    version_registered  a new version's card, with a Promote button per next target.
    verification_passed ✅ the version passed its verification: each check's last figure
                        against its threshold, who promoted it and where.
    verification_failed ❌ the failing check's figure against its threshold, and either
                        the version promobot rolled back to or why not with the
                        `/rollback` command to type; who promoted it and where.
                        promobot's own rollback is also announced as `executed`, as a
                        person's is (a rollback carried out by `promobot`, channel
                        `verify`, with its `verification failed:` reason).

All but `executed` go to the model's channel: its policy entry's `slack_channel`, else
PROMOBOT_SLACK_CHANNEL; a model with neither is announced nowhere. A notifier that fails
logs it; the registry keeps what it holds.
"""

from __future__ import annotations

import logging

from bot.adapters.slack.conversation import Asked
from bot.core import events
from bot.core.results import Result, carried_out
from bot.notifiers.slack import DOOR, SlackNotifier, post, where_to_post
from bot.render.slack_blocks import card_blocks, result_blocks

log = logging.getLogger("promobot.slack")

KINDS = (
    events.EXECUTED,
    events.DRIFT_FOUND,
    events.VERSION_REGISTERED,
    events.VERIFICATION_PASSED,
    events.VERIFICATION_FAILED,
)


class SlackAnnouncer(SlackNotifier):
    def notify(self, event: events.Event) -> None:
        result = event.result
        if not result.model:
            return
        # Only a command's own outcome goes where it was asked; drift, cards and
        # verifications are the model's channel's news.
        asked = self.asked() if event.kind == events.EXECUTED else None
        channels = where_to_post(asked, self.channel_for(result.model))
        if not channels:
            return
        try:
            # As the person who acted sees it: with what the notifiers before this one
            # said back (the GitHub deployment recorded, or why not).
            self._announce(event.kind, event.answered(), channels, asked)
        except Exception as exc:  # Slack down, refusing, or MLflow hiccupping: log it
            model, where = result.model, ", ".join(channels)
            log.warning("could not announce %s of %s in %s: %s", event.kind, model, where, exc)

    def _announce(
        self, kind: str, result: Result, channels: list[str], asked: Asked | None
    ) -> None:
        if kind == events.EXECUTED:
            if not carried_out(result) or self._has_message(result):
                return  # its request's message is updated to its end state instead
            ref = post(self.client, channels, result, result_blocks(result))
            if asked is not None:
                asked.shown = ref
        elif kind == events.DRIFT_FOUND:
            if result.drift:
                post(self.client, channels, result, result_blocks(result))
        elif kind == events.VERSION_REGISTERED:
            post(self.client, channels, result, card_blocks(result))
        else:  # a verification's outcome
            post(self.client, channels, result, result_blocks(result))

    def _has_message(self, result: Result) -> bool:
        """Whether this execution ends a request shown in Slack. One nobody approved was
        carried out at once, never shown as a request: no registry read for it."""
        if not result.request_id or not getattr(result, "approved_by", ()):
            return False
        ref = self.service.message_ref(str(result.model), result.request_id, DOOR) or {}
        return bool(ref.get("channel") and ref.get("ts"))
