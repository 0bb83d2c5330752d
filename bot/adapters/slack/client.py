"""Slack's Web API client (slack_sdk's WebClient), built from the settings.

slack_sdk is imported when a client is built, not with this module: the CLI loads the
wiring (bot/app.py) for every command, and most never talk to Slack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.config import Settings

DEFAULT_API_URL = "https://slack.com/api/"
TIMEOUT_S = 10


def api_base_url(url: str) -> str:
    """slack_sdk joins base_url and the method name as strings: it must end with "/"."""
    url = (url or DEFAULT_API_URL).strip()
    return url if url.endswith("/") else url + "/"


def web_client(settings: Settings) -> WebClient:
    """The client with SLACK_BOT_TOKEN at SLACK_API_URL (the token may be unset: every
    call then fails with Slack's `not_authed`)."""
    from slack_sdk import WebClient

    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(token=token, base_url=api_base_url(settings.slack_api_url), timeout=TIMEOUT_S)
