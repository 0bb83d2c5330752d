"""The Slack door: a bolt App whose listeners turn slash commands and button clicks into
commands for the core, and the core's Results into Slack messages.

Every listener acknowledges at once and does its registry work afterwards: bolt's lazy
listeners, with `process_before_response=True` so that the ack is computed in the
request's own thread (pure: parsing only, no I/O) and never waits for a free worker
thread behind slow MLflow calls. The actor is `slack:<user id>` from the signed payload.

Who sees what: refusals, errors, usage help and read-only answers go to the person who
typed or clicked (ephemeral, via the payload's response_url); what others must see — a
promotion or rollback carried out, a request waiting for approval, a lock placed or
lifted — goes to the channel (chat.postMessage), and a request's message is redrawn when
the request is decided.

Approve approves at once; Approve with comment… and Deny open a modal
(bot/doors/slack_modals.py) whose submission is handled like a click.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from bot.commands import USAGE, Approve, Deny, Help, Promote, help_text, parse, vocabulary
from bot.doors.slack_modals import SlackModals
from bot.notifiers.slack import DOOR, update_request_message
from bot.render_slack import (
    APPROVE_ACTION,
    APPROVE_COMMENT_ACTION,
    APPROVE_VIEW,
    DENY_ACTION,
    DENY_VIEW,
    PROMOTE_ACTION,
    escape,
    fallback_text,
    result_blocks,
    text_blocks,
)
from bot.results import DONE, ERROR, PENDING, REFUSED, Result

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_sdk import WebClient

    from bot.commands import Command
    from bot.config import Settings
    from bot.service import Service

log = logging.getLogger("promobot.slack")

# The slash commands of slack/manifest.yaml and the words they stand for: the vocabulary's.
SLASH_COMMANDS = vocabulary.SLASH_COMMANDS
# What a typed command announces in the channel when it is carried out.
ANNOUNCED = ("promote", "rollback", "approve", "lock", "unlock")
_SHOW_MAX = 80


def command_text(slash: str, text: str) -> str:
    """`/promote m v3 production` → `promote m v3 production`; `/promobot x` → `x`."""
    verb = SLASH_COMMANDS.get(slash, "")
    text = (text or "").strip()
    if verb:
        return f"{verb} {text}".strip()
    return text or "help"


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
    from slack_bolt import App, BoltResponse

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
    door = SlackDoor(settings, services, client)

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
    modals = SlackModals(door)
    app.action(APPROVE_COMMENT_ACTION)(ack=door.ack_click, lazy=[modals.open_approve])
    app.action(DENY_ACTION)(ack=door.ack_click, lazy=[modals.open_deny])
    app.view(APPROVE_VIEW)(ack=modals.ack_approve, lazy=[modals.run_approve])
    app.view(DENY_VIEW)(ack=modals.ack_deny, lazy=[modals.run_deny])
    app.action(PROMOTE_ACTION)(ack=door.ack_click, lazy=[door.run_promote])
    return app


class SlackDoor:
    def __init__(
        self, settings: Settings, services: Callable[[], Service], client: WebClient
    ) -> None:
        self.settings = settings
        self.services = services
        self.client = client

    # ---- acknowledgements: pure, no I/O ---------------------------------------------------

    def ack_command(self, ack: Any, body: dict[str, Any]) -> None:
        text = command_text(body.get("command", ""), body.get("text", ""))
        parsed = parse(text)
        if parsed.command is None:
            reply = parsed.reply or "I could not read that command."
            ack(response_type="ephemeral", text=escape(reply), blocks=text_blocks(reply))
        elif isinstance(parsed.command, Help):
            reply = help_text(parsed.command.topic)
            ack(response_type="ephemeral", text=escape(reply), blocks=text_blocks(reply))
        else:
            shown = f"{body.get('command', '')} {body.get('text', '')}".strip()
            shown = " ".join(shown.split())
            if len(shown) > _SHOW_MAX:
                shown = shown[: _SHOW_MAX - 1] + "…"
            ack(response_type="ephemeral", text=f"⏳ working on `{escape(shown)}`")

    def ack_click(self, ack: Any) -> None:
        ack()

    # ---- after the ack ---------------------------------------------------------------------

    def run_command(self, body: dict[str, Any], respond: Any) -> None:
        command = parse(command_text(body.get("command", ""), body.get("text", ""))).command
        if command is None or isinstance(command, Help):
            return  # answered in the ack
        actor = f"slack:{body.get('user_id', '')}"
        from bot.service import Context

        log.info("%s: %s", actor, type(command).__name__.lower())
        result = self._handle(command, Context(actor=actor, channel="slack"), respond)
        if result is None:
            return
        self._answer(result, body.get("channel_id", ""), respond)

    def run_promote(self, body: dict[str, Any], respond: Any) -> None:
        """A version card's Promote button: `promote <value>` as the person who clicked,
        answered as the same slash command would be, in the card's channel."""
        actions = body.get("actions") or [{}]
        value = " ".join(str(actions[0].get("value", "")).split())
        # Exactly "<model> v<N> <target>", as the card wrote it: no reason, no flags.
        command = parse(f"promote {value}").command if len(value.split()) == 3 else None
        if not isinstance(command, Promote) or command.version is None or command.reason:
            self._reply(respond, f"That button does not name a promotion (`{value[:60]}`).")
            return
        actor = f"slack:{(body.get('user') or {}).get('id', '')}"
        from bot.service import Context

        log.info("%s: promote %s (button)", actor, value)
        result = self._handle(command, Context(actor=actor, channel="slack"), respond)
        if result is None:
            return
        self._answer(result, where(body)["channel"], respond)

    def _answer(self, result: Result, channel: str, respond: Any) -> None:
        """What a command's result shows: a pending request posted in `channel` with its
        buttons (and remembered), a move carried out posted there, everything else to the
        person alone; a decided request's message redrawn."""
        service = self.services()
        if result.status == PENDING and result.request_id and not result.dry_run:
            ref = self._post(channel, result, respond, buttons=True)
            if ref is not None and result.model:
                try:
                    service.remember_message(result.model, result.request_id, DOOR, ref)
                except Exception:
                    log.warning(
                        "could not record where %s was posted", result.request_id, exc_info=True
                    )
        elif _carried_out(result) and result.action in ANNOUNCED:
            self._post(channel, result, respond, buttons=False)
        elif result.action == "approve" and result.status == PENDING:
            self._reply(respond, f"✅ {result.message or 'Your approval is recorded.'}")
        else:
            self._ephemeral(respond, result, usage=True)
        if result.action in ("approve", "deny") and result.request_id:
            self._sync(service, result)

    def run_approve(self, body: dict[str, Any], respond: Any) -> None:
        command = self.clicked(body, respond, "approve")
        if command is not None:
            self.decide(command, clicker(body), where(body), respond)

    def clicked(self, body: dict[str, Any], respond: Any, verb: str) -> Approve | Deny | None:
        """The command a button's click stands for (`verb` its request id), or None when
        the button names no request (the clicker is told)."""
        actions = body.get("actions") or [{}]
        request_id = str(actions[0].get("value", ""))
        command = parse(f"{verb} {request_id}").command
        if not isinstance(command, Approve | Deny):
            self._reply(respond, f"That button does not name a request (`{request_id[:40]}`).")
            return None
        return command

    def decide(
        self, command: Approve | Deny, actor: str, here: dict[str, str], respond: Any
    ) -> None:
        """Run an approval or denial from a click or a modal, then show it: the request's
        message (`here`, or where MLflow says it is) is redrawn for everyone; a refusal
        goes only to the person (`respond`)."""
        from bot.service import Context

        verb = type(command).__name__.lower()
        log.info("%s: %s %s (button)", actor, verb, command.request_id)
        result = self._handle(command, Context(actor=actor, channel="slack"), respond)
        if result is None:
            return
        service = self.services()
        if _carried_out(result):
            # The redrawn message says it all, in the channel, for everyone.
            self._sync(service, result, here, respond)
        elif result.status == PENDING:
            # Another approval is still needed: redraw the count, tell the approver.
            self._sync(service, result, here, respond)
            self._reply(respond, f"✅ {result.message or 'Your approval is recorded.'}")
        else:
            # Refused (not allowed, own request, already decided) or nothing to do: only the
            # person who clicked hears about it. A request found closed is redrawn.
            self._ephemeral(respond, result)
            if result.status == REFUSED:
                self._sync(service, result, here, respond)

    # ---- helpers ---------------------------------------------------------------------------

    def _handle(self, command: Command, ctx: Any, respond: Any) -> Result | None:
        from bot.ports import RegistryError

        action = type(command).__name__.lower()
        try:
            return self.services().handle(command, ctx)
        except RegistryError as exc:
            log.warning("%s failed: %s", action, exc)
            said = {"mlflow": "refused"} if exc.is_refusal else {}
            self._ephemeral(
                respond, Result(status=ERROR, action=action, message=str(exc), extra=said)
            )
        except Exception:
            log.exception("%s failed", action)
            self._ephemeral(
                respond,
                Result(
                    status=ERROR,
                    action=action,
                    message="promobot failed on this command; nothing was changed that the "
                    "registry does not show (the platform team finds the error in its logs)",
                ),
            )
        return None

    def _post(
        self, channel: str, result: Result, respond: Any, *, buttons: bool
    ) -> dict[str, str] | None:
        """Post to the channel; where the bot may not post (a private channel it is not
        in, a DM), answer in the channel through the response_url instead."""
        from slack_sdk.errors import SlackApiError

        text, blocks = fallback_text(result), result_blocks(result, buttons=buttons)
        try:
            answer = self.client.chat_postMessage(
                channel=channel, text=text, blocks=blocks, unfurl_links=False
            )
            return {"channel": str(answer["channel"]), "ts": str(answer["ts"])}
        except SlackApiError as exc:
            log.warning(
                "chat.postMessage to %s failed (%s); answering through the response_url",
                channel,
                exc.response.get("error"),
            )
        except OSError as exc:
            log.warning("chat.postMessage to %s failed (%s)", channel, exc)
        try:
            respond(response_type="in_channel", text=text, blocks=blocks)
        except Exception:
            log.warning("could not answer through the response_url either", exc_info=True)
        return None

    def _ephemeral(self, respond: Any, result: Result, *, usage: bool = False) -> None:
        blocks = result_blocks(result)
        if usage and result.status == REFUSED and not result.checks and result.action in USAGE:
            # The command could not be applied as typed (no such model, version, request):
            # show how it is written.
            blocks.append(
                {
                    "type": "context",
                    "elements": [
                        {
                            "type": "mrkdwn",
                            "text": escape(
                                f"Usage: `{USAGE[result.action]}` · `/promobot help "
                                f"{result.action}` explains it"
                            ),
                        }
                    ],
                }
            )
        try:
            respond(
                response_type="ephemeral",
                replace_original=False,
                text=fallback_text(result),
                blocks=blocks,
            )
        except Exception:
            log.warning("could not answer through the response_url", exc_info=True)

    def _reply(self, respond: Any, text: str) -> None:
        try:
            respond(response_type="ephemeral", replace_original=False, text=escape(text))
        except Exception:
            log.warning("could not answer through the response_url", exc_info=True)

    def _sync(
        self,
        service: Service,
        result: Result,
        here: dict[str, str] | None = None,
        respond: Any = None,
    ) -> Result | None:
        try:
            return update_request_message(service, self.client, result, fallback_ref=here)
        except Exception as exc:
            log.warning("could not update the message of %s: %s", result.request_id, exc)
            if respond is not None and here is not None:
                # A message we may not chat.update (posted through a response_url in a
                # channel the bot is not in) can still be replaced through the click's.
                view = result if _carried_out(result) else None
                if view is not None:
                    try:
                        respond(
                            replace_original=True,
                            text=fallback_text(view),
                            blocks=result_blocks(view),
                        )
                    except Exception:
                        log.warning("could not replace the message either", exc_info=True)
        return None


def clicker(body: dict[str, Any]) -> str:
    """The actor of a click or a modal's submission: its signed payload's user."""
    return f"slack:{(body.get('user') or {}).get('id', '')}"


def where(body: dict[str, Any]) -> dict[str, str]:
    """The channel and ts of the message a button was clicked in."""
    container = body.get("container") or {}
    return {
        "channel": str(container.get("channel_id") or (body.get("channel") or {}).get("id") or ""),
        "ts": str(container.get("message_ts") or (body.get("message") or {}).get("ts") or ""),
    }


class _SameTokenFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _carried_out(result: Result) -> bool:
    return result.status == DONE and not result.already and not result.dry_run
