"""What the Slack door says, and to whom (bot/doors/slack/replies.py): each kind of
outcome answered privately, in the channel, or not at all because the channel already
shows it; sent to the fake Slack's response URLs, which check every payload as Slack
does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fake_slack import FakeSlack

from bot.adapters.slack.conversation import Asked
from bot.core.commands import USAGE
from bot.core.results import MoveResult, Result
from bot.doors.slack.replies import NOT_POSTED, Reply, Whisper, answer

RID = "req-7f3a2c91bd"


@pytest.fixture(scope="module")
def slack_api() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


@pytest.fixture
def fake(slack_api: FakeSlack) -> FakeSlack:
    """One fake Slack for the module (stopping one takes half a second), emptied per test."""
    slack_api.reset()
    return slack_api


HERE, THERE = "C0HERE", "C0THERE"
ASKED = {"model": "m", "version": 3, "target": "Production"}


def result(status: str, action: str = "promote", **fields: Any) -> Result:
    return MoveResult(status=status, action=action, **{**ASKED, **fields})


WAITING = result("pending", request_id=RID, approvals_required=1, approvers=("ml-leads",))


def said(fake: FakeSlack) -> list[tuple[str, str]]:
    """(response_type, text) of everything the person or the channel was told."""
    return [(c.body["response_type"], c.body["text"]) for c in fake.responses("k")]


def reply_to(fake: FakeSlack) -> Reply:
    from slack_bolt.context.respond import Respond

    return Reply(Respond(response_url=fake.response_url("k")))


@pytest.mark.parametrize(
    ("outcome", "shown", "clicked", "told"),
    [
        (WAITING, {"channel": HERE, "ts": "1.2"}, False, []),
        (
            WAITING,
            {"channel": THERE, "ts": "1.2"},
            False,
            [("ephemeral", f"⏳ {RID} waits for approval in <#{THERE}>.")],
        ),
        (
            result("pending", action="approve", request_id=RID, message="1 of 2 approvals."),
            None,
            True,
            [("ephemeral", "✅ 1 of 2 approvals.")],
        ),
        (
            result("pending", action="approve", request_id=RID),
            None,
            False,
            [("ephemeral", "✅ Your approval is recorded.")],
        ),
        (
            result("done", action="approve", request_id=RID),
            {"channel": HERE, "ts": "1.2"},
            True,
            [],
        ),
        (result("done", action="approve", request_id=RID), None, True, []),
        (result("done", action="promote"), {"channel": HERE, "ts": "1.2"}, False, []),
        (result("done", action="lock"), None, False, [("in_channel", None)]),
        (result("done", action="promote", dry_run=True), None, False, [("ephemeral", None)]),
        (result("done", action="promote", already=True), None, False, [("ephemeral", None)]),
    ],
    ids=[
        "request-shown-here",
        "request-shown-in-its-models-channel",
        "approval-counted",
        "approval-counted-without-a-message",
        "decision-clicked-shown-here",
        "decision-clicked-its-message-shows-it",
        "promotion-shown-here",
        "lock-told-in-the-channel",
        "dry-run-privately",
        "nothing-to-do-privately",
    ],
)
def test_who_hears_what(
    fake: FakeSlack, outcome: Result, shown: dict[str, str] | None, clicked: bool, told: list
) -> None:
    answer(outcome, Asked(HERE, shown), reply_to(fake), clicked=clicked)
    heard = said(fake)
    assert [kind for kind, _ in heard] == [kind for kind, _ in told]
    for (_, text), (_, expected) in zip(heard, told, strict=True):
        if expected is not None:
            assert text == expected


def test_a_request_nobody_could_post_goes_to_the_person_with_what_approvers_type(
    fake: FakeSlack,
) -> None:
    answer(WAITING, Asked(HERE, None), reply_to(fake))
    (call,) = fake.responses("k")
    assert (call.body["response_type"], call.body["replace_original"]) == ("ephemeral", False)
    assert (
        call.text.endswith(NOT_POSTED.replace("<", "&lt;").replace(">", "&gt;"))
        or NOT_POSTED in call.text
    )


def test_a_typed_decision_not_shown_here_is_answered_privately(fake: FakeSlack) -> None:
    answer(result("done", action="deny", request_id=RID), Asked(HERE, None), reply_to(fake))
    assert [kind for kind, _ in said(fake)] == ["ephemeral"]


def test_a_refusal_of_what_was_typed_shows_how_the_command_is_written(fake: FakeSlack) -> None:
    refused = result("refused", reasons=("m has no version 3.",))
    answer(refused, Asked(HERE), reply_to(fake))
    (call,) = fake.responses("k")
    assert call.body["response_type"] == "ephemeral"
    usage = USAGE["promote"].replace("<", "&lt;").replace(">", "&gt;")  # escaped for mrkdwn
    assert f"Usage: `{usage}` · `/promobot help promote` explains it" in call.text
    fake.calls.clear()
    answer(refused, Asked(HERE), reply_to(fake), clicked=True)  # a button: no usage
    (call,) = fake.responses("k")
    assert "Usage:" not in call.text


def test_what_is_typed_is_escaped_and_promobots_markup_is_not(fake: FakeSlack) -> None:
    reply_to(fake).say("<!channel> & you", markup=" <#C0HERE>.")
    (call,) = fake.responses("k")
    assert call.body["text"] == "&lt;!channel&gt; &amp; you <#C0HERE>."


def test_a_lost_answer_is_logged_never_raised(caplog) -> None:
    def gone(**message: Any) -> None:
        raise OSError("the response_url expired")

    Reply(gone).say("hello")
    assert [r.getMessage() for r in caplog.records if r.name == "promobot.slack"] == [
        "could not answer through the response_url"
    ]


def test_a_modals_private_answer_is_an_ephemeral_message_in_the_requests_channel(
    fake: FakeSlack,
) -> None:
    from slack_sdk import WebClient

    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    Reply(Whisper(client, HERE, "U01BOB")).say("✅ recorded")
    Reply(Whisper(client, HERE, "U01BOB")).in_channel(
        result("done", action="approve", request_id=RID)
    )
    Reply(Whisper(client, "", "U01BOB")).say("nowhere to say it")
    (call,) = fake.api_calls("chat.postEphemeral")
    assert (call.body["channel"], call.body["user"], call.body["text"]) == (
        HERE,
        "U01BOB",
        "✅ recorded",
    )
