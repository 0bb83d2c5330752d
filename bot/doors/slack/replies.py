"""What the Slack door says, and to whom: the person who typed or clicked hears the
result through the payload's response URL (`respond`); what the channel sees — a request
waiting for approval, a promotion or rollback carried out, the request's message updated
as it is decided — is posted by the Slack notifiers (bot/notifiers/slack*.py), which say
where through bot/adapters/slack/conversation.py.

So the door answers:
- a request made: nothing more where its message was posted in the channel typed in; a
  pointer to the channel it went to instead; the request itself, privately, with what to
  do, where Slack refused both;
- a promotion or rollback carried out at once: nothing more where it was posted there;
  else in the channel through the response URL (which works where the bot may not post);
- a lock placed or lifted (the core reports no event for it): in the channel, through the
  response URL;
- an approval recorded that is not the last: privately, with the count;
- an approval or denial that decided the request: nothing for a click (its message says
  it), privately for a typed one;
- refusals, errors, read-only answers, dry runs and "nothing to do": privately, with how
  the command is written when it could not be applied as typed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.adapters.slack.conversation import Asked
from bot.core.commands import USAGE
from bot.core.results import PENDING, REFUSED, Result, carried_out
from bot.render.slack_blocks import escape, fallback_text, result_blocks, with_note

if TYPE_CHECKING:
    from slack_sdk import WebClient

log = logging.getLogger("promobot.slack")

NOT_POSTED = (
    "promobot could not post this request in the channel (in a private channel, "
    "`/invite @promobot`); approvers can type the command above."
)


class Reply:
    """Answers to one person through `respond` (bolt's, on the payload's response URL;
    a Whisper for a modal's submission). Never raises: a lost answer is logged."""

    def __init__(self, respond: Callable[..., Any]) -> None:
        self.respond = respond

    def say(self, text: str, *, markup: str = "") -> None:
        """`text` as typed (escaped), then `markup`: Slack mrkdwn promobot wrote itself."""
        said = escape(text) + markup
        self._send(response_type="ephemeral", replace_original=False, text=said)

    def result(self, result: Result, *, usage: bool = False, note: str = "") -> None:
        blocks = result_blocks(result)
        if usage and result.status == REFUSED and not result.checks and result.action in USAGE:
            # The command could not be applied as typed (no such model, version,
            # request): show how it is written.
            note = f"Usage: `{USAGE[result.action]}` · `/promobot help {result.action}` explains it"
        if note:
            blocks = with_note(blocks, escape(note))
        self._send(
            response_type="ephemeral",
            replace_original=False,
            text=fallback_text(result),
            blocks=blocks,
        )

    def in_channel(self, result: Result) -> None:
        self._send(
            response_type="in_channel",
            replace_original=False,
            text=fallback_text(result),
            blocks=result_blocks(result),
        )

    def _send(self, **message: Any) -> None:
        try:
            self.respond(**message)
        except Exception:
            log.warning("could not answer through the response_url", exc_info=True)


def answer(result: Result, asked: Asked, reply: Reply, *, clicked: bool = False) -> None:
    """What the person hears of `result` (see the module's docstring); `asked` says what
    the notifiers posted of it."""
    shown = asked.shown
    shown_here = shown is not None and shown.get("channel") == asked.channel
    if result.action == "approve" and result.status == PENDING:
        reply.say(f"✅ {result.message or 'Your approval is recorded.'}")
    elif result.status == PENDING and result.request_id and not result.dry_run:
        if shown is None:
            reply.result(result, note=NOT_POSTED)
        elif not shown_here and (channel := shown.get("channel", "")).isalnum():
            reply.say(f"⏳ {result.request_id} waits for approval in ", markup=f"<#{channel}>.")
    elif carried_out(result) and result.action in ("approve", "deny"):
        if not clicked and not shown_here:
            reply.result(result)  # clicked: the request's message shows it
    elif carried_out(result) and result.action in ("promote", "rollback", "lock", "unlock"):
        if not shown_here:
            reply.in_channel(result)
    else:
        reply.result(result, usage=not clicked)


class Whisper:
    """A `respond` for a modal's submission, which has no response_url: what only the
    person should read, as an ephemeral message to them in the request's channel."""

    def __init__(self, client: WebClient, channel: str, user: str) -> None:
        self.client = client
        self.channel = channel
        self.user = user

    def __call__(self, **message: Any) -> None:
        if message.get("response_type") == "in_channel" or not self.channel:
            return  # a decision's message is updated by the notifier; nowhere to say it
        self.client.chat_postEphemeral(
            channel=self.channel,
            user=self.user,
            text=str(message.get("text") or ""),
            blocks=message.get("blocks"),
        )
