"""The Slack modals (bot/doors/slack/modals.py) against the fake Slack Web API: a click
opens the form with its trigger and what it is about; a submission is acknowledged from
the payload alone (an empty reason keeps the form open) and then decided as the person
who submitted it (the whole flow through bolt: test_slack_app.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fake_slack import FakeSlack

from bot.core.commands import Approve, Deny
from bot.doors.slack.modals import NO_REQUEST, SlackModals
from bot.doors.slack.replies import Reply
from bot.render.slack_blocks import TEXT_BLOCK, TEXT_INPUT

RID = "req-7f3a2c91bd"
WHERE = {"channel": "C0RELEASES", "ts": "1700000000.000100"}


@pytest.fixture(scope="module")
def slack_api() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


@pytest.fixture
def fake(slack_api: FakeSlack) -> FakeSlack:
    """One fake Slack for the module (stopping one takes half a second), emptied per test."""
    slack_api.reset()
    return slack_api


class Decided:
    """The door's `decide`, recording what it is handed."""

    def __init__(self) -> None:
        self.calls: list[tuple[Approve | Deny, str, dict[str, str], Reply]] = []

    def __call__(
        self, command: Approve | Deny, actor: str, here: dict[str, str], reply: Reply
    ) -> None:
        self.calls.append((command, actor, here, reply))


@pytest.fixture
def decided() -> Decided:
    return Decided()


@pytest.fixture
def modals(fake: FakeSlack, decided: Decided) -> SlackModals:
    from slack_sdk import WebClient

    return SlackModals(WebClient(token="xoxb-test", base_url=fake.api_url), decided)


def click(value: str) -> dict[str, Any]:
    return {
        "trigger_id": "1.2.3",
        "user": {"id": "U01ALICE"},
        "container": {"channel_id": WHERE["channel"], "message_ts": WHERE["ts"]},
        "message": {"text": "⏳ m v3 → Production is waiting for 1 approval\nrequest …"},
        "actions": [{"action_id": "deny", "value": value}],
    }


def respond(fake: FakeSlack) -> Any:
    from slack_bolt.context.respond import Respond

    return Respond(response_url=fake.response_url("k"))


def test_a_click_opens_the_form_with_its_trigger_and_where_its_message_is(fake, modals) -> None:
    modals.open_deny(click(RID), respond(fake))
    ((trigger, view),) = fake.opened_views()
    assert trigger == "1.2.3"
    assert json.loads(view["private_metadata"]) == {"request_id": RID, **WHERE}
    assert view["title"]["text"] == "Deny request"
    assert view["blocks"][0]["text"]["text"].startswith(
        "⏳ m v3 → Production is waiting for 1 approval"
    )
    assert fake.responses("k") == []


def test_a_click_that_names_no_request_is_told_so(fake, modals) -> None:
    modals.open_approve(click("nope"), respond(fake))
    assert fake.opened_views() == []
    (call,) = fake.responses("k")
    assert call.body["text"] == "That button does not name a request (`nope`)."


def test_when_slack_does_not_open_the_form_the_person_is_told_what_to_type(fake, modals) -> None:
    fake.fail("views.open", "expired_trigger_id")
    modals.open_deny(click(RID), respond(fake))
    (call,) = fake.responses("k")
    assert (call.body["response_type"], call.body["text"]) == (
        "ephemeral",
        "Slack did not open the form; type `/promobot deny &lt;id&gt; &lt;reason&gt;` instead: "
        f"`/promobot deny {RID} …`.",
    )


def submission(request_id: str, text: str | None, user: str = "U01ALICE") -> dict[str, Any]:
    return {
        "user": {"id": user},
        "view": {
            "private_metadata": json.dumps({"request_id": request_id, **WHERE}),
            "state": {"values": {TEXT_BLOCK: {TEXT_INPUT: {"value": text}}}},
        },
    }


class Ack:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


@pytest.mark.parametrize(
    ("verb", "body", "acked"),
    [
        ("deny", submission(RID, "breaks the dashboards"), {}),
        ("approve", submission(RID, None), {}),
        (
            "deny",
            submission(RID, "   "),
            {
                "response_action": "errors",
                "errors": {TEXT_BLOCK: "Say why it is denied: the requester reads it."},
            },
        ),
        (
            "deny",
            submission("", "why"),
            {"response_action": "errors", "errors": {TEXT_BLOCK: NO_REQUEST}},
        ),
        (
            "approve",
            submission("nope", "ok"),
            {"response_action": "errors", "errors": {TEXT_BLOCK: NO_REQUEST}},
        ),
    ],
    ids=[
        "deny-with-reason",
        "approve-without-comment",
        "deny-without-reason",
        "deny-names-no-request",
        "approve-names-no-request",
    ],
)
def test_a_submission_is_acknowledged_from_the_payload_alone(
    modals, verb: str, body: dict[str, Any], acked: dict[str, Any]
) -> None:
    ack = Ack()
    (modals.ack_deny if verb == "deny" else modals.ack_approve)(ack, body)
    assert ack.calls == [acked]


def test_a_submission_is_decided_as_the_person_who_submitted_it(fake, modals, decided) -> None:
    modals.run_deny(submission(RID, "breaks the dashboards\nsee the graph", user="U01ERIN"))
    modals.run_approve(submission(RID, None, user="U01DAVE"))
    modals.run_deny(submission(RID, ""))  # answered in the ack: the form stays open
    assert [(command, actor, here) for command, actor, here, _ in decided.calls] == [
        (Deny(RID, "breaks the dashboards\nsee the graph"), "slack:U01ERIN", WHERE),
        (Approve(RID, ""), "slack:U01DAVE", WHERE),
    ]
    # What only the person should read goes to them in the request's channel.
    decided.calls[0][3].say("refused: erin may not deny")
    (call,) = fake.api_calls("chat.postEphemeral")
    assert (call.body["channel"], call.body["user"], call.body["text"]) == (
        WHERE["channel"],
        "U01ERIN",
        "refused: erin may not deny",
    )
