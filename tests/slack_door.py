"""The Slack door in-process for tests: the app on a fake Slack, the signed bodies a person's
slash command, click or modal submission sends, and what the fake saw (tests/doors/slack/).

The service is wired as bot/app.py wires it where a Slack token is set: the Slack
notifiers post and update the channel's messages; the door answers the person.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from bolt_helpers import SECRET, TOKEN, HeldWork
from fake_slack import Call, FakeSlack, slack_signature

from bot.app import subscribe_slack
from bot.config import Settings
from bot.core.commands import parse
from bot.core.service import Context
from bot.doors.slack.app import build_app

M = "sentiment-classifier"
CHANNEL = "C0RELEASES"
BOB, ALICE, DAVE, ERIN = "U01BOB", "U01ALICE", "U01DAVE", "U01ERIN"


class Slack:
    """Sends the app what Slack sends: signed form posts of slash commands and clicks."""

    def __init__(self, app: Any, work: HeldWork, fake: FakeSlack) -> None:
        self.app = app
        self.work = work
        self.fake = fake

    def post(
        self,
        body: str,
        *,
        sign: bool = True,
        secret: str = SECRET,
        age: float = 0.0,
        headers: dict[str, str] | None = None,
    ) -> Any:
        from slack_bolt.request import BoltRequest

        timestamp = str(int(time.time() - age))
        sent = {"content-type": "application/x-www-form-urlencoded", **(headers or {})}
        if sign:
            sent["x-slack-request-timestamp"] = timestamp
            sent["x-slack-signature"] = slack_signature(secret, timestamp, body)
        return self.app.dispatch(BoltRequest(body=body, headers=sent))

    def command(self, user: str, command: str, text: str, key: str, **kw: Any) -> Any:
        return self.post(command_body(user, command, text, self.fake.response_url(key)), **kw)

    def click(
        self, user: str, action_id: str, message: Call, key: str, trigger: str = "1.2.3"
    ) -> Any:
        return self.post(click_body(user, action_id, message, self.fake.response_url(key), trigger))

    def submit(self, user: str, view: dict[str, Any], text: str | None, **kw: Any) -> Any:
        """Submit a modal the app opened (`views.open`), `text` typed into its input."""
        return self.post(submission_body(user, view, text), **kw)


def command_body(user: str, command: str, text: str, response_url: str) -> str:
    return urllib.parse.urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": "T0FAKE",
            "team_domain": "fake",
            "channel_id": CHANNEL,
            "channel_name": "releases",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0PROMOBOT",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )


def click_body(
    user: str, action_id: str, message: Call, response_url: str, trigger: str = "1.2.3"
) -> str:
    request_id = next(a["value"] for a in message.actions() if a["action_id"] == action_id)
    ts, channel = message.answer["ts"], message.answer["channel"]
    payload = {
        "type": "block_actions",
        "team": {"id": "T0FAKE", "domain": "fake"},
        "user": {"id": user, "username": user.lower(), "team_id": "T0FAKE"},
        "api_app_id": "A0PROMOBOT",
        "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": ts, "channel_id": channel},
        "trigger_id": trigger,
        "channel": {"id": channel, "name": "releases"},
        "message": {"type": "message", "ts": ts, "text": message.body.get("text", "")},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "promobot_request",
                "value": request_id,
                "type": "button",
                "action_ts": str(time.time()),
            }
        ],
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def submission_body(user: str, view: dict[str, Any], text: str | None) -> str:
    """A `view_submission` as Slack sends it: the view as opened, with what was typed."""
    block = view["blocks"][-1]
    value = {"type": "plain_text_input", "value": text}
    payload = {
        "type": "view_submission",
        "team": {"id": "T0FAKE", "domain": "fake"},
        "user": {"id": user, "username": user.lower(), "team_id": "T0FAKE"},
        "api_app_id": "A0PROMOBOT",
        "token": "legacy-verification-token",
        "trigger_id": "4.5.6",
        "view": {
            **view,
            "id": "V0MODAL",
            "team_id": "T0FAKE",
            "state": {"values": {block["block_id"]: {block["element"]["action_id"]: value}}},
        },
        "response_urls": [],
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


# ---- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


@pytest.fixture
def slack(service: Any, fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> Iterator[Slack]:
    from slack_sdk import WebClient

    settings = Settings(slack_signing_secret=SECRET, slack_bot_token=TOKEN)
    client = WebClient(token=TOKEN, base_url=fake.api_url, timeout=10)
    subscribe_slack(service, settings, client)
    work = HeldWork()
    app = build_app(settings, lambda: service, client=client, executor=work)
    yield Slack(app, work, fake)
    # bolt logs (and swallows) what a listener raises: none of them may have.
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == []


def posts(fake: FakeSlack) -> list[Call]:
    """Everything the app sent Slack but the token check bolt makes at start."""
    return [c for c in fake.calls if c.method != "auth.test"]


def run(service: Any, actor: str, text: str) -> Any:
    parsed = parse(text)
    assert parsed.command is not None, parsed.reply
    return service.handle(parsed.command, Context(actor=actor, channel="cli"))


def ack(response: Any) -> dict[str, Any]:
    assert response.status == 200, response.body
    return json.loads(response.body) if response.body else {}


@pytest.fixture
def request_message(slack: Slack, fake: FakeSlack, service: Any, models: Any) -> Call:
    """bob's request to take v1 (in Staging) to Production, as posted in the channel."""
    version = models.version(M, accuracy=0.91, f1=0.89)
    assert run(service, "cli:bob", f"promote {M} v{version} staging candidate").status == "done"
    ack(slack.command(BOB, "/promote", f"{M} v{version} production passed shadow test", "ask"))
    slack.work.run()
    (message,) = fake.api_calls("chat.postMessage")
    return message


# ---- slash commands --------------------------------------------------------------------------
