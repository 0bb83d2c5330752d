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

import json
import logging
from typing import TYPE_CHECKING, Any

from bot.core.commands import Approve, Deny, parse
from bot.render.slack_blocks import TEXT_BLOCK, TEXT_INPUT, TEXT_MAX, decision_modal

if TYPE_CHECKING:
    from bot.doors.slack.app import SlackDoor

log = logging.getLogger("promobot.slack")

_NO_REQUEST = "This form names no request; close it and use the message's buttons again."
_NO_REASON = "Say why it is denied: the requester reads it."


class SlackModals:
    def __init__(self, door: SlackDoor) -> None:
        self.door = door

    # ---- the buttons that open a modal -------------------------------------------------

    def open_approve(self, body: dict[str, Any], respond: Any) -> None:
        self._open(body, respond, "approve")

    def open_deny(self, body: dict[str, Any], respond: Any) -> None:
        self._open(body, respond, "deny")

    def _open(self, body: dict[str, Any], respond: Any, verb: str) -> None:
        from slack_sdk.errors import SlackApiError

        from bot.doors.slack.app import where

        command = self.door.clicked(body, respond, verb)
        if command is None:
            return
        about = str((body.get("message") or {}).get("text") or "")
        view = decision_modal(verb, command.request_id, about, where(body))
        try:
            self.door.client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=view)
        except (SlackApiError, OSError) as exc:
            # The trigger lasts three seconds; past it (or with Slack away) the person can
            # still type the command.
            log.warning("views.open for %s failed: %s", command.request_id, exc)
            typed = "deny <id> <reason>" if verb == "deny" else "approve <id> <comment>"
            self.door._reply(
                respond,
                f"Slack did not open the form; type `/promobot {typed}` instead: "
                f"`/promobot {verb} {command.request_id} …`.",
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
            missing = _NO_REASON if verb == "deny" and _request_id(body) else _NO_REQUEST
            ack(response_action="errors", errors={TEXT_BLOCK: missing})
        else:
            ack()

    def run_approve(self, body: dict[str, Any]) -> None:
        self._run(body, "approve")

    def run_deny(self, body: dict[str, Any]) -> None:
        self._run(body, "deny")

    def _run(self, body: dict[str, Any], verb: str) -> None:
        from bot.doors.slack.app import clicker

        command, here = submitted(body, verb)
        if command is None:
            return  # answered in the ack: the modal stays open
        user = str((body.get("user") or {}).get("id", ""))
        whisper = Whisper(self.door.client, here.get("channel", ""), user)
        self.door.decide(command, clicker(body), here, whisper)


def submitted(body: dict[str, Any], verb: str) -> tuple[Approve | Deny | None, dict[str, str]]:
    """The command a modal's submission stands for, and where the request's message is;
    None when it names no request, or is a denial without a reason."""
    view = body.get("view") or {}
    meta = _metadata(view)
    here = {"channel": str(meta.get("channel") or ""), "ts": str(meta.get("ts") or "")}
    text = _text(view)[:TEXT_MAX].strip()
    if verb == "deny" and not text:
        return None, here
    command = parse(f"{verb} {meta.get('request_id') or ''}").command
    if not isinstance(command, Approve | Deny):
        return None, here
    # The text as typed, whole lines and all (the parser's reason would come from the
    # first line only when the text sits on the command line).
    command = (
        Approve(command.request_id, text) if verb == "approve" else Deny(command.request_id, text)
    )
    return command, here


def _request_id(body: dict[str, Any]) -> str:
    return str(_metadata(body.get("view") or {}).get("request_id") or "")


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        meta = json.loads(str(view.get("private_metadata") or "{}"))
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _text(view: dict[str, Any]) -> str:
    values = ((view.get("state") or {}).get("values") or {}).get(TEXT_BLOCK) or {}
    value = (values.get(TEXT_INPUT) or {}).get("value")
    return value if isinstance(value, str) else ""


class Whisper:
    """A `respond` for a modal's submission, which has no response_url: what only the
    person should read, as an ephemeral message to them in the request's channel."""

    def __init__(self, client: Any, channel: str, user: str) -> None:
        self.client = client
        self.channel = channel
        self.user = user

    def __call__(self, **message: Any) -> None:
        if message.get("replace_original") or not self.channel:
            return  # only a response_url may replace a message; and nowhere to say it
        self.client.chat_postEphemeral(
            channel=self.channel,
            user=self.user,
            text=str(message.get("text") or ""),
            blocks=message.get("blocks"),
        )
