"""What Slack's signed payloads say: the command a slash command or a click stands for,
who acted, and where. Pure: no I/O.

The actor is always the payload's user (`slack:<user id>`), never a name in the text.
"""

from __future__ import annotations

import json
from typing import Any

from bot.core.commands import Approve, Deny, Promote, parse, vocabulary
from bot.render.slack_blocks import TEXT_BLOCK, TEXT_INPUT, TEXT_MAX

# The slash commands of slack/manifest.yaml and the words they stand for: the vocabulary's.
SLASH_COMMANDS = vocabulary.SLASH_COMMANDS


def command_text(slash: str, text: str) -> str:
    """`/promote m v3 production` → `promote m v3 production`; `/promobot x` → `x`."""
    verb = SLASH_COMMANDS.get(slash, "")
    text = (text or "").strip()
    if verb:
        return f"{verb} {text}".strip()
    return text or "help"


def typed_by(body: dict[str, Any]) -> str:
    """The actor of a slash command."""
    return f"slack:{body.get('user_id', '')}"


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


def button_value(body: dict[str, Any]) -> str:
    actions = body.get("actions") or [{}]
    return str(actions[0].get("value", ""))


def clicked_decision(body: dict[str, Any], verb: str) -> Approve | Deny | None:
    """The approval or denial a button's click stands for (its value is the request id);
    None when the button names no request."""
    command = parse(f"{verb} {button_value(body)}").command
    return command if isinstance(command, Approve | Deny) else None


def clicked_promotion(body: dict[str, Any]) -> tuple[Promote | None, str]:
    """A version card's Promote button: `promote <value>`, and the value as clicked.
    Exactly "<model> v<N> <target>", as the card wrote it: no reason, no flags."""
    value = " ".join(button_value(body).split())
    command = parse(f"promote {value}").command if len(value.split()) == 3 else None
    if not isinstance(command, Promote) or command.version is None or command.reason:
        return None, value
    return command, value


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


def submitted_request_id(body: dict[str, Any]) -> str:
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
