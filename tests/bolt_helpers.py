"""Driving promobot's bolt App in-process (bot/doors/slack/app.py), for tests outside
tests/doors/slack/test_slack_app.py that need a click on a message another door posted: signed
form posts built as bolt's own BoltRequest objects, the work after the ack held until
`run()`, a WebClient on the fake Slack Web API (tests/fake_slack.py)."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from fake_slack import Call, FakeSlack, slack_signature

SECRET = "8f14e45fceea167a5a36dedd4bea2543"
TOKEN = "xoxb-test-token"


class HeldWork(Executor):
    """An executor that runs nothing until `run()`: what bolt does after the ack waits."""

    def __init__(self) -> None:
        self.queue: list[tuple[Future[Any], Callable[[], Any]]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self.queue.append((future, lambda: fn(*args, **kwargs)))
        return future

    def run(self) -> int:
        ran = 0
        while self.queue:
            future, work = self.queue.pop(0)
            future.set_result(work())
            ran += 1
        return ran


class BoltSlack:
    """The App as Slack sees it: send it signed slash commands and clicks."""

    def __init__(self, service: Any, fake: FakeSlack) -> None:
        from slack_sdk import WebClient

        from bot.config import Settings
        from bot.doors.slack.app import build_app

        settings = Settings(slack_signing_secret=SECRET, slack_bot_token=TOKEN)
        client = WebClient(token=TOKEN, base_url=fake.api_url, timeout=10)
        self.work = HeldWork()
        self.fake = fake
        self.app = build_app(settings, lambda: service, client=client, executor=self.work)

    def post(self, body: str) -> Any:
        from slack_bolt.request import BoltRequest

        timestamp = str(int(time.time()))
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": timestamp,
            "x-slack-signature": slack_signature(SECRET, timestamp, body),
        }
        answer = self.app.dispatch(BoltRequest(body=body, headers=headers))
        assert answer.status == 200, answer.body
        return answer

    def command(self, user: str, command: str, text: str, channel: str, key: str) -> Any:
        """A slash command typed in `channel`; the work after the ack is run."""
        body = {
            "team_id": "T0FAKE",
            "channel_id": channel,
            "user_id": user,
            "command": command,
            "text": text,
            "api_app_id": "A0PROMOBOT",
            "response_url": self.fake.response_url(key),
            "trigger_id": "1.2.3",
        }
        answer = self.post(urllib.parse.urlencode(body))
        self.work.run()
        return answer

    def click(self, user: str, message: Call, action_id: str, key: str, value: str = "") -> Any:
        """A click on a button of a posted message (the one with `action_id`, and `value`
        when given); the work after the ack is run."""
        button = next(
            a
            for a in message.actions()
            if a["action_id"] == action_id and (not value or a["value"] == value)
        )
        ts, channel = message.answer["ts"], message.answer["channel"]
        payload = {
            "type": "block_actions",
            "team": {"id": "T0FAKE", "domain": "fake"},
            "user": {"id": user, "username": user.lower(), "team_id": "T0FAKE"},
            "api_app_id": "A0PROMOBOT",
            "container": {"type": "message", "message_ts": ts, "channel_id": channel},
            "trigger_id": "1.2.3",
            "channel": {"id": channel, "name": "releases"},
            "message": {"type": "message", "ts": ts, "text": message.body.get("text", "")},
            "response_url": self.fake.response_url(key),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "promobot",
                    "value": button["value"],
                    "type": "button",
                    "action_ts": str(time.time()),
                }
            ],
        }
        answer = self.post(urllib.parse.urlencode({"payload": json.dumps(payload)}))
        self.work.run()
        return answer


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
