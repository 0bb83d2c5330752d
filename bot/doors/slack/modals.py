"""The Slack modals: Deny asks for a reason (required), Approve with comment… for a comment
(optional). A plain Approve click still approves at once (bot/doors/slack/app.py).

A click opens the modal with `views.open` and the click's `trigger_id` (valid for three
seconds, so it is the first and only thing the work after the ack does). The modal carries
the request id and where its message is in `private_metadata`; its `view_submission`
reaches /slack/events signed like every request (bolt refuses it otherwise), is
acknowledged from the payload alone (an empty reason is sent back to the modal as an
error), and is then handled like a click: the actor is the payload's user, the request id
the metadata's. A submission has no response_url, so what only the person should read
goes to them with chat.postEphemeral in the request's channel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from bot.core.commands import Approve, Deny
from bot.doors.slack.payloads import (
    button_value,
    clicked_decision,
    clicker,
    submitted,
    submitted_request_id,
    where,
)
from bot.doors.slack.replies import Reply, Whisper
from bot.render.slack_blocks import TEXT_BLOCK, decision_modal

if TYPE_CHECKING:
    from slack_sdk import WebClient

log = logging.getLogger("promobot.slack")

# How a decision is carried out and answered: the door's `decide` (bot/doors/slack/app.py).
Decide = Callable[[Approve | Deny, str, dict[str, str], Reply], None]

NO_REQUEST = "This form names no request; close it and use the message's buttons again."
_NO_REASON = "Say why it is denied: the requester reads it."


class SlackModals:
    def __init__(self, client: WebClient, decide: Decide) -> None:
        self.client = client
        self.decide = decide

    # ---- the buttons that open a modal -------------------------------------------------

    def open_approve(self, body: dict[str, Any], respond: Any) -> None:
        self._open(body, Reply(respond), "approve")

    def open_deny(self, body: dict[str, Any], respond: Any) -> None:
        self._open(body, Reply(respond), "deny")

    def _open(self, body: dict[str, Any], reply: Reply, verb: str) -> None:
        command = clicked_decision(body, verb)
        if command is None:
            reply.say(not_a_request(body))
            return
        about = str((body.get("message") or {}).get("text") or "")
        view = decision_modal(verb, command.request_id, about, where(body))
        try:
            self.client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=view)
        except (SlackApiError, OSError) as exc:
            # The trigger lasts three seconds; past it (or with Slack away) the person can
            # still type the command.
            log.warning("views.open for %s failed: %s", command.request_id, exc)
            typed = "deny <id> <reason>" if verb == "deny" else "approve <id> <comment>"
            reply.say(
                f"Slack did not open the form; type `/promobot {typed}` instead: "
                f"`/promobot {verb} {command.request_id} …`."
            )

    # ---- the submissions -------------------------------------------------------------------

    def ack_approve(self, ack: Any, body: dict[str, Any]) -> None:
        self._ack(ack, body, "approve")

    def ack_deny(self, ack: Any, body: dict[str, Any]) -> None:
        self._ack(ack, body, "deny")

    def _ack(self, ack: Any, body: dict[str, Any], verb: str) -> None:
        """Close the modal, or keep it open with what is missing (pure: no I/O)."""
        command, _ = submitted(body, verb)
        if command is None:
            missing = _NO_REASON if verb == "deny" and submitted_request_id(body) else NO_REQUEST
            ack(response_action="errors", errors={TEXT_BLOCK: missing})
        else:
            ack()

    def run_approve(self, body: dict[str, Any]) -> None:
        self._run(body, "approve")

    def run_deny(self, body: dict[str, Any]) -> None:
        self._run(body, "deny")

    def _run(self, body: dict[str, Any], verb: str) -> None:
        command, here = submitted(body, verb)
        if command is None:
            return  # answered in the ack: the modal stays open
        user = str((body.get("user") or {}).get("id", ""))
        whisper = Whisper(self.client, here.get("channel", ""), user)
        self.decide(command, clicker(body), here, Reply(whisper))


def not_a_request(body: dict[str, Any]) -> str:
    return f"That button does not name a request (`{button_value(body)[:40]}`)."
