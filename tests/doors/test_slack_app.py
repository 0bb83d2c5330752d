"""The Slack listeners in-process (bot/doors/slack_app.py): signed requests built as bolt's
own BoltRequest objects, dispatched on the App that build_app returns, a real Service on a
SQLite registry, and a WebClient talking to the fake Slack Web API (tests/fake_slack.py),
which records what people would see.

bolt hands the work after the ack to its listener executor; here that executor holds the
work until the test runs it, so each test sees the ack on its own first (no registry work
done, nothing posted), then what the work did. The real-process tests of the same door
are in tests/doors/test_slack_server.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from typing import Any

import pytest
from fake_slack import Call, FakeSlack

from bot.commands import parse
from bot.config import Settings
from bot.doors.slack_app import build_app
from bot.service import Context

M = "sentiment-classifier"
SECRET = "8f14e45fceea167a5a36dedd4bea2543"
TOKEN = "xoxb-test-token"
CHANNEL = "C0RELEASES"
BOB, ALICE, DAVE = "U01BOB", "U01ALICE", "U01DAVE"


class HeldWork(Executor):
    """An executor that runs nothing until `run()`: what bolt does after the ack waits."""

    def __init__(self) -> None:
        self.queue: list[tuple[Future[Any], Callable[[], Any]]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self.queue.append((future, lambda: fn(*args, **kwargs)))
        return future

    def run(self) -> int:
        """Run the held work (and any it hands on) in order; how many pieces ran."""
        ran = 0
        while self.queue:
            future, work = self.queue.pop(0)
            future.set_result(work())
            ran += 1
        return ran


def signature(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


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
            sent["x-slack-signature"] = signature(secret, timestamp, body)
        return self.app.dispatch(BoltRequest(body=body, headers=sent))

    def command(self, user: str, command: str, text: str, key: str, **kw: Any) -> Any:
        return self.post(command_body(user, command, text, self.fake.response_url(key)), **kw)

    def click(self, user: str, action_id: str, message: Call, key: str) -> Any:
        return self.post(click_body(user, action_id, message, self.fake.response_url(key)))


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


def click_body(user: str, action_id: str, message: Call, response_url: str) -> str:
    request_id = next(a["value"] for a in message.actions() if a["action_id"] == action_id)
    ts, channel = message.answer["ts"], message.answer["channel"]
    payload = {
        "type": "block_actions",
        "team": {"id": "T0FAKE", "domain": "fake"},
        "user": {"id": user, "username": user.lower(), "team_id": "T0FAKE"},
        "api_app_id": "A0PROMOBOT",
        "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": ts, "channel_id": channel},
        "trigger_id": "1.2.3",
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


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


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


def test_a_slash_command_is_acknowledged_at_once_privately_and_worked_on_after(
    slack: Slack, fake: FakeSlack, models: Any
) -> None:
    version = models.version(M, accuracy=0.9, f1=0.88)

    answer = ack(slack.command(BOB, "/promote", f"{M} v{version} staging smoke ok", "stage"))

    assert answer == {
        "response_type": "ephemeral",
        "text": f"⏳ working on `/promote {M} v{version} staging smoke ok`",
    }
    # The ack did no registry work and sent Slack nothing: that all waits.
    assert len(slack.work.queue) == 1
    assert posts(fake) == []
    assert models.stage(M, version) == "None"

    slack.work.run()

    (message,) = posts(fake)
    assert (message.method, message.body["channel"]) == ("chat.postMessage", CHANNEL)
    assert f"*{M} v{version} → Staging* done" in message.text
    assert f"models:/{M}/Staging" in message.text
    assert message.actions() == []
    assert models.stage(M, version) == "Staging"
    assert models.tags(M, version)["promotion_channel"] == "slack"


BAD_COMMANDS = [
    ("/promote", M, "Usage: `promote <model> <version> <target>"),
    ("/promobot", f"frobnicate {M}", "Unknown command `frobnicate`"),
    ("/rollback", "", "Usage: `rollback <model>"),
    ("/promobot", "help promote", "promote <model> <version> <target>"),
]


@pytest.mark.parametrize(
    ("command", "text", "expected"),
    BAD_COMMANDS,
    ids=["promote without a version", "an unknown word", "rollback of nothing", "help"],
)
def test_a_command_that_cannot_be_read_is_answered_in_the_ack(
    slack: Slack, fake: FakeSlack, command: str, text: str, expected: str
) -> None:
    answer = ack(slack.command(BOB, command, text, "bad"))

    assert answer["response_type"] == "ephemeral"
    assert expected in unescape(answer["text"])
    assert answer["blocks"], "the reply is laid out in blocks too"
    slack.work.run()
    assert posts(fake) == []


def test_a_retried_delivery_is_acknowledged_and_not_run_again(
    slack: Slack, fake: FakeSlack, models: Any
) -> None:
    version = models.version(M, accuracy=0.9, f1=0.88)
    body = command_body(BOB, "/promote", f"{M} v{version} staging", fake.response_url("retry"))

    answer = slack.post(body, headers={"x-slack-retry-num": "1"})

    assert (answer.status, answer.body) == (200, "")
    assert slack.work.run() == 0
    assert posts(fake) == []
    assert models.stage(M, version) == "None"


# ---- a request that needs approval, and the buttons ---------------------------------------------


def test_a_request_that_needs_approval_is_posted_with_approve_and_deny(
    request_message: Call, models: Any
) -> None:
    message = request_message

    assert message.body["channel"] == CHANNEL
    assert f"*{M} v1 → Production* is waiting for 1 approval from ml-leads" in message.text
    assert "requested by bob@example.com" in message.text
    assert [b["type"] for b in message.blocks].count("actions") == 1
    buttons = message.actions()
    assert [(b["action_id"], b.get("style")) for b in buttons] == [
        ("promobot_approve", "primary"),
        ("promobot_deny", "danger"),
    ]
    request_id = buttons[0]["value"]
    assert buttons[1]["value"] == request_id and request_id.startswith("req-")
    tags = models.model_tags(M)
    assert f"mlflow.promobot.request.{request_id}" in tags
    assert json.loads(tags[f"mlflow.promobot.request.{request_id}.slack"]) == {
        "channel": CHANNEL,
        "ts": message.answer["ts"],
    }
    assert models.stage(M, 1) == "Staging"


def test_a_lead_clicks_approve_and_the_message_shows_it_done(
    slack: Slack, fake: FakeSlack, request_message: Call, models: Any
) -> None:
    request_id = request_message.actions()[0]["value"]

    answer = slack.click(ALICE, "promobot_approve", request_message, "approve")

    assert (answer.status, answer.body) == (200, "")
    assert models.stage(M, 1) == "Staging"  # not before the work after the ack
    slack.work.run()
    (update,) = fake.api_calls("chat.update")
    assert (update.body["channel"], update.body["ts"]) == (CHANNEL, request_message.answer["ts"])
    assert f"*{M} v1 → Production* done" in update.text
    assert "approved by alice@example.com" in update.text
    assert update.actions() == []
    assert fake.responses() == []
    assert models.stage(M, 1) == "Production"
    tags = models.tags(M, 1)
    assert (tags["requested_by"], tags["approved_by"]) == ("bob@example.com", "alice@example.com")
    assert tags["promotion_request"] == request_id


@pytest.mark.parametrize(
    ("user", "why"),
    [(BOB, "bob cannot approve their own request"), (DAVE, "dave is not in ml-leads")],
    ids=["the requester", "not a lead"],
)
def test_a_click_by_someone_who_may_not_approve_is_refused_to_them_alone(
    slack: Slack, fake: FakeSlack, request_message: Call, models: Any, user: str, why: str
) -> None:
    before = models.snapshot(M)

    ack(slack.click(user, "promobot_approve", request_message, "refused"))
    slack.work.run()

    (reply,) = fake.responses("refused")
    assert reply.body["response_type"] == "ephemeral"
    assert reply.body["replace_original"] is False
    assert why in reply.text
    assert fake.api_calls("chat.update") == []
    assert models.snapshot(M) == before


# ---- forgeries -----------------------------------------------------------------------------------

FORGERIES = [
    ({"sign": False}, "unsigned"),
    ({"secret": "not-the-secret"}, "signed with another secret"),
    ({"age": 6 * 60}, "signed six minutes ago"),
]


@pytest.mark.parametrize("forgery", [f[0] for f in FORGERIES], ids=[f[1] for f in FORGERIES])
def test_a_request_not_signed_by_slack_gets_401_and_nothing_happens(
    slack: Slack, fake: FakeSlack, models: Any, forgery: dict[str, Any]
) -> None:
    version = models.version(M, accuracy=0.9, f1=0.88)
    before = models.snapshot(M)

    answer = slack.command(BOB, "/promote", f"{M} v{version} staging", "forged", **forgery)

    assert answer.status == 401
    assert slack.work.run() == 0
    assert posts(fake) == []
    assert models.snapshot(M) == before
