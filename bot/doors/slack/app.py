"""The Slack door: a bolt App whose listeners turn slash commands and button clicks into
commands for the core, and answer the person who typed or clicked.

Every listener acknowledges at once and does its registry work afterwards: bolt's lazy
listeners, with `process_before_response=True` so that the ack is computed in the
request's own thread (pure: parsing only, no I/O) and never waits for a free worker
thread behind slow MLflow calls. The actor is `slack:<user id>` from the signed payload.

The door posts nothing in the channel itself. It runs each command inside
`asked_in(<channel>)` (bot/adapters/slack/conversation.py), so that the Slack notifiers,
which the service hands its events to while the command runs, post the command's outcome
where it was typed or clicked: the request with its buttons (then updated in place until
it is decided), the promotion carried out. The door then answers the person
(bot/doors/slack/replies.py): privately, or in the channel through the response URL
where nothing was posted there.

Approve approves at once; Approve with comment… and Deny open a modal
(bot/doors/slack/modals.py) whose submission is handled like a click.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltResponse

from bot.adapters.slack.conversation import asked_in
from bot.core import neutral
from bot.core.commands import Approve, Command, Deny, Help, help_text, parse
from bot.core.context import Context
from bot.core.ports.registry import RegistryError
from bot.core.results import ErrorResult
from bot.doors.slack.modals import SlackModals, not_a_request
from bot.doors.slack.payloads import (
    SLASH_COMMANDS,
    clicked_decision,
    clicked_promotion,
    clicker,
    command_text,
    typed_by,
    where,
)
from bot.doors.slack.replies import Reply, answer
from bot.render.slack_blocks import (
    APPROVE_ACTION,
    APPROVE_COMMENT_ACTION,
    APPROVE_VIEW,
    DENY_ACTION,
    DENY_VIEW,
    PROMOTE_ACTION,
    escape,
    text_blocks,
)

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.config import Settings
    from bot.core.service import Service

log = logging.getLogger("promobot.slack")

CHANNEL = "slack"  # the door, as the core's Context names it
_SHOW_MAX = 80
_FAILED = (
    "promobot failed on this command; nothing was changed that the registry does not "
    "show (the platform team finds the error in its logs)"
)

__all__ = ["SLASH_COMMANDS", "SlackDoor", "build_app", "command_text"]


def build_app(
    settings: Settings,
    services: Callable[[], Service],
    *,
    client: WebClient,
    executor: Executor,
    token_verification: bool = True,
) -> App:
    """The bolt App with promobot's listeners. `services()` returns the (lazily built)
    Service; it is called only after the ack."""
    # bolt also reads SLACK_BOT_TOKEN itself and warns that the client's token wins;
    # they are the same token.
    logging.getLogger("slack_bolt.App").addFilter(_SameTokenFilter())
    secret = settings.slack_signing_secret
    app = App(
        client=client,
        signing_secret=secret.get_secret_value() if secret else None,
        process_before_response=True,
        listener_executor=executor,
        token_verification_enabled=token_verification,
    )
    door = SlackDoor(services)

    @app.middleware
    def skip_retries(request: Any, next: Callable[[], Any]) -> Any:
        # Runs after bolt's signature check. Slack retries a delivery it thinks was not
        # acknowledged in time; the first delivery is already being handled.
        if request.headers.get("x-slack-retry-num"):
            return BoltResponse(status=200, body="")
        return next()

    for slash in SLASH_COMMANDS:
        app.command(slash)(ack=door.ack_command, lazy=[door.run_command])
    app.action(APPROVE_ACTION)(ack=door.ack_click, lazy=[door.run_approve])
    # The other two buttons open a modal; its submission (signed like every request) is
    # then handled as the click would be.
    modals = SlackModals(client, door.decide)
    app.action(APPROVE_COMMENT_ACTION)(ack=door.ack_click, lazy=[modals.open_approve])
    app.action(DENY_ACTION)(ack=door.ack_click, lazy=[modals.open_deny])
    app.view(APPROVE_VIEW)(ack=modals.ack_approve, lazy=[modals.run_approve])
    app.view(DENY_VIEW)(ack=modals.ack_deny, lazy=[modals.run_deny])
    app.action(PROMOTE_ACTION)(ack=door.ack_click, lazy=[door.run_promote])
    return app


class SlackDoor:
    def __init__(self, services: Callable[[], Service]) -> None:
        self.services = services

    # ---- acknowledgements: pure, no I/O ---------------------------------------------------

    def ack_command(self, ack: Any, body: dict[str, Any]) -> None:
        text = command_text(body.get("command", ""), body.get("text", ""))
        parsed = parse(text)
        if parsed.command is None:
            reply = parsed.reply or "I could not read that command."
            ack(
                response_type="ephemeral",
                text=neutral.slack_mentions(escape(reply)),
                blocks=text_blocks(reply),
            )
        elif isinstance(parsed.command, Help):
            reply = help_text(parsed.command.topic)
            ack(response_type="ephemeral", text=escape(reply), blocks=text_blocks(reply))
        else:
            shown = f"{body.get('command', '')} {body.get('text', '')}".strip()
            shown = " ".join(shown.split())
            if len(shown) > _SHOW_MAX:
                shown = shown[: _SHOW_MAX - 1] + "…"
            ack(response_type="ephemeral", text=f"⏳ working on `{neutral.slack(shown)}`")

    def ack_click(self, ack: Any) -> None:
        ack()

    # ---- after the ack ---------------------------------------------------------------------

    def run_command(self, body: dict[str, Any], respond: Any) -> None:
        command = parse(command_text(body.get("command", ""), body.get("text", ""))).command
        if command is None or isinstance(command, Help):
            return  # answered in the ack
        actor = typed_by(body)
        log.info("%s: %s", actor, type(command).__name__.lower())
        self._run(command, actor, str(body.get("channel_id") or ""), Reply(respond))

    def run_promote(self, body: dict[str, Any], respond: Any) -> None:
        """A version card's Promote button: `promote <value>` as the person who clicked,
        answered as the same slash command would be, in the card's channel."""
        command, value = clicked_promotion(body)
        if command is None:
            Reply(respond).say(f"That button does not name a promotion (`{value[:60]}`).")
            return
        actor = clicker(body)
        log.info("%s: promote %s (button)", actor, value)
        self._run(command, actor, where(body)["channel"], Reply(respond))

    def run_approve(self, body: dict[str, Any], respond: Any) -> None:
        command = clicked_decision(body, "approve")
        if command is None:
            Reply(respond).say(not_a_request(body))
            return
        self.decide(command, clicker(body), where(body), Reply(respond))

    def decide(
        self, command: Approve | Deny, actor: str, here: dict[str, str], reply: Reply
    ) -> None:
        """An approval or denial from a click or a modal on the request's message (`here`):
        the notifier updates that message for everyone; the person hears only what the
        message does not show (an approval still short of others, a refusal)."""
        verb = type(command).__name__.lower()
        log.info("%s: %s %s (button)", actor, verb, command.request_id)
        self._run(command, actor, here.get("channel", ""), reply, clicked=True)

    # ---- helpers ---------------------------------------------------------------------------

    def _run(
        self, command: Command, actor: str, channel: str, reply: Reply, *, clicked: bool = False
    ) -> None:
        """Handle `command` as `actor`, asked in `channel`, and answer the person."""
        ctx = Context(actor=actor, channel=CHANNEL)
        action = type(command).__name__.lower()
        with asked_in(channel) as asked:
            try:
                result = self.services().handle(command, ctx)
            except RegistryError as exc:
                log.warning("%s failed: %s", action, exc)
                said = {"mlflow": "refused"} if exc.is_refusal else {}
                result = ErrorResult(message=str(exc), extra=said)
            except Exception:
                log.exception("%s failed", action)
                result = ErrorResult(message=_FAILED)
        answer(result, asked, reply, clicked=clicked)


class _SameTokenFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()
