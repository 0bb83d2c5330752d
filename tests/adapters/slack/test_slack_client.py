"""Slack's Web API client built from the settings (bot/adapters/slack/client.py): the
token, and an API URL slack_sdk can join method names to."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bot.adapters.slack.client import api_base_url, web_client
from bot.config import Settings


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("https://slack.com/api/", "https://slack.com/api/"),
        ("http://127.0.0.1:9999/api", "http://127.0.0.1:9999/api/"),
        ("  https://slack.example.com/api/  ", "https://slack.example.com/api/"),
        ("", "https://slack.com/api/"),
    ],
    ids=["as-is", "slash-added", "spaces-trimmed", "empty-is-slacks"],
)
def test_the_api_url_ends_with_a_slash(url: str, base: str) -> None:
    assert api_base_url(url) == base


def test_the_client_uses_the_bot_token_at_the_api_url() -> None:
    client = web_client(
        Settings(slack_bot_token=SecretStr("xoxb-1"), slack_api_url="http://127.0.0.1:9/api")
    )
    assert (client.token, client.base_url, client.timeout) == (
        "xoxb-1",
        "http://127.0.0.1:9/api/",
        10,
    )


def test_without_a_token_the_client_has_none() -> None:
    assert web_client(Settings(slack_bot_token=None)).token is None
