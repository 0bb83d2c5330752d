"""The Slack listeners in-process (bot/doors/slack/app.py): signed requests built as bolt's
own BoltRequest objects, dispatched on the App that build_app returns, a real Service on a
SQLite registry, and a WebClient talking to the fake Slack Web API (tests/fake_slack.py),
which records what people would see.

bolt hands the work after the ack to its listener executor; here that executor holds the
work until the test runs it, so each test sees the ack on its own first (no registry work
done, nothing posted), then what the work did. The real-process tests of the same door
are in tests/doors/slack/test_slack_server.py.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
from bolt_helpers import TOKEN, unescape
from fake_slack import Call, FakeSlack
from slack_door import (
    ALICE,
    BOB,
    CHANNEL,
    DAVE,
    ERIN,
    M,
    Slack,
    ack,
    click_body,
    command_body,
    posts,
    run,
)


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


def test_a_request_that_needs_approval_is_posted_with_its_buttons(
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
        ("promobot_approve_comment", None),
        ("promobot_deny", "danger"),
    ]
    request_id = buttons[0]["value"]
    assert {b["value"] for b in buttons} == {request_id} and request_id.startswith("req-")
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


# ---- approve or deny through a modal ----------------------------------------------------------


def opened(fake: FakeSlack) -> tuple[str, dict[str, Any]]:
    (trigger_and_view,) = fake.opened_views()
    return trigger_and_view


def test_deny_opens_a_modal_with_the_clicks_trigger_and_its_reason_denies(
    slack: Slack, fake: FakeSlack, request_message: Call, models: Any
) -> None:
    request_id = request_message.actions()[0]["value"]
    before = models.snapshot(M)

    assert ack(slack.click(ERIN, "promobot_deny", request_message, "deny", "77.88.99")) == {}
    assert fake.opened_views() == []  # opened after the ack
    slack.work.run()

    trigger, view = opened(fake)
    assert trigger == "77.88.99"
    assert (view["type"], view["callback_id"]) == ("modal", "promobot_deny_view")
    assert json.loads(view["private_metadata"]) == {
        "request_id": request_id,
        "channel": CHANNEL,
        "ts": request_message.answer["ts"],
    }
    reason_input = view["blocks"][-1]
    assert reason_input["optional"] is False and reason_input["element"]["max_length"] == 500
    assert models.snapshot(M) == before  # the click alone decides nothing

    answer = slack.submit(ERIN, view, "f1 dropped on the holdout set")

    assert (answer.status, answer.body) == (200, "")  # closes the modal
    assert models.snapshot(M) == before
    slack.work.run()
    (update,) = fake.api_calls("chat.update")
    assert (update.body["channel"], update.body["ts"]) == (CHANNEL, request_message.answer["ts"])
    assert f"{request_id} denied by erin@example.com: f1 dropped on the holdout set" in (
        update.text
    )
    assert update.actions() == []
    outcome = json.loads(models.model_tags(M)[f"mlflow.promobot.request.{request_id}.state"])
    assert (outcome["state"], outcome["by"], outcome["detail"]) == (
        "denied",
        "erin@example.com",
        "f1 dropped on the holdout set",
    )
    assert models.stage(M, 1) == "Staging"


@pytest.mark.parametrize("typed", [None, "", "   \n "], ids=["nothing", "empty", "blank"])
def test_a_denial_without_a_reason_keeps_the_modal_open_and_changes_nothing(
    slack: Slack, fake: FakeSlack, request_message: Call, models: Any, typed: str | None
) -> None:
    ack(slack.click(ERIN, "promobot_deny", request_message, "deny"))
    slack.work.run()
    _, view = opened(fake)
    before = models.snapshot(M)

    answer = ack(slack.submit(ERIN, view, typed))

    assert answer == {
        "response_action": "errors",
        "errors": {"promobot_text": "Say why it is denied: the requester reads it."},
    }
    slack.work.run()
    assert models.snapshot(M) == before
    assert fake.api_calls("chat.update") == []


def test_approve_with_comment_keeps_the_comment_everywhere(
    slack: Slack, fake: FakeSlack, request_message: Call, models: Any
) -> None:
    request_id = request_message.actions()[0]["value"]
    ack(slack.click(ALICE, "promobot_approve_comment", request_message, "approve", "5.5.5"))
    slack.work.run()
    trigger, view = opened(fake)
    assert (trigger, view["callback_id"]) == ("5.5.5", "promobot_approve_view")
    assert view["blocks"][-1]["optional"] is True

    assert ack(slack.submit(ALICE, view, "dashboards checked\nlatency fine")) == {}
    slack.work.run()

    (update,) = fake.api_calls("chat.update")
    assert f"*{M} v1 → Production* done" in update.text
    assert 'approved by alice@example.com ("dashboards checked latency fine")' in update.text
    assert models.stage(M, 1) == "Production"
    approval = json.loads(
        models.model_tags(M)[f"mlflow.promobot.request.{request_id}.approval.alice"]
    )
    assert approval["comment"] == "dashboards checked\nlatency fine"
    assert models.tags(M, 1)["approved_by"] == "alice@example.com"
    assert 'approved by alice@example.com ("dashboards checked latency fine")' in (
        models.description(M, 1)
    )


def test_a_plain_approve_click_still_approves_at_once(
    slack: Slack, fake: FakeSlack, request_message: Call, models: Any
) -> None:
    ack(slack.click(ALICE, "promobot_approve", request_message, "approve"))
    slack.work.run()
    assert fake.opened_views() == []
    assert models.stage(M, 1) == "Production"


def test_a_submission_by_someone_who_may_not_decide_is_refused_to_them_alone(
    slack: Slack, fake: FakeSlack, request_message: Call, models: Any
) -> None:
    ack(slack.click(DAVE, "promobot_deny", request_message, "deny"))
    slack.work.run()
    _, view = opened(fake)
    before = models.snapshot(M)

    ack(slack.submit(DAVE, view, "I do not like it"))
    slack.work.run()

    (whisper,) = fake.api_calls("chat.postEphemeral")
    assert (whisper.body["channel"], whisper.body["user"]) == (CHANNEL, DAVE)
    assert "dave is not in ml-leads, who deny Production" in whisper.text
    assert fake.api_calls("chat.update") == []
    assert models.snapshot(M) == before


@pytest.mark.parametrize("forgery", [f[0] for f in FORGERIES], ids=[f[1] for f in FORGERIES])
def test_a_forged_submission_gets_401_and_changes_nothing(
    slack: Slack, fake: FakeSlack, request_message: Call, models: Any, forgery: dict[str, Any]
) -> None:
    ack(slack.click(ERIN, "promobot_deny", request_message, "deny"))
    slack.work.run()
    _, view = opened(fake)
    before = models.snapshot(M)

    answer = slack.submit(ERIN, view, "forged reason", **forgery)

    assert answer.status == 401
    assert slack.work.run() == 0
    assert models.snapshot(M) == before
    assert fake.api_calls("chat.update") == []


def test_a_modal_that_names_no_request_is_told_so(
    slack: Slack, fake: FakeSlack, request_message: Call, models: Any
) -> None:
    ack(slack.click(ERIN, "promobot_deny", request_message, "deny"))
    slack.work.run()
    _, view = opened(fake)
    before = models.snapshot(M)

    answer = ack(slack.submit(ERIN, {**view, "private_metadata": "not json"}, "a reason"))

    assert answer["response_action"] == "errors"
    assert "names no request" in answer["errors"]["promobot_text"]
    slack.work.run()
    assert models.snapshot(M) == before


# ---- locks ------------------------------------------------------------------------------------


def test_a_lock_from_slack_is_announced_and_refuses_promotions(
    slack: Slack, fake: FakeSlack, service: Any, models: Any
) -> None:
    version = models.version(M, accuracy=0.91, f1=0.89)
    assert run(service, "cli:bob", f"promote {M} v{version} staging candidate").status == "done"

    ack(slack.command(ALICE, "/promobot", f"lock {M} production incident 4711 --for 2h", "lock"))
    slack.work.run()

    (announced,) = fake.api_calls("chat.postMessage")
    assert announced.body["channel"] == CHANNEL
    assert f"*{M} → Production* locked" in announced.text
    assert 'by alice@example.com · "incident 4711" · until 2026-11-25 12:00 UTC' in (announced.text)
    before = models.snapshot(M)

    ack(slack.command(BOB, "/promote", f"{M} v{version} production shadow ok", "refused"))
    slack.work.run()

    (refusal,) = fake.responses("refused")
    assert refusal.body["response_type"] == "ephemeral"
    assert "is locked by alice@example.com since 2026-11-25 10:00 UTC" in refusal.text
    assert "incident 4711" in refusal.text
    assert models.snapshot(M) == before

    ack(slack.command(DAVE, "/promobot", f"lock {M} @champion", "not-allowed"))
    slack.work.run()
    (not_allowed,) = fake.responses("not-allowed")
    assert "dave is not among them" in not_allowed.text
    assert models.snapshot(M) == before
    ack(slack.command(DAVE, "/promobot", f"unlock {M} @champion", "nothing-to-unlock"))
    slack.work.run()
    assert "is not locked; nothing changed" in fake.responses("nothing-to-unlock")[0].text

    ack(slack.command(BOB, "/promobot", f"unlock {M} production", "unlock"))
    slack.work.run()
    unlocked = fake.api_calls("chat.postMessage")[-1]
    assert f"*{M} → Production* unlocked" in unlocked.text
    assert run(service, "cli:x", f"status {M}").locks == ()


def test_through_slack_a_lock_lets_rollbacks_pass_refuses_unlocking_and_ends_by_itself(
    slack: Slack, fake: FakeSlack, service: Any, models: Any, clock: Any
) -> None:
    v1 = models.version(M, accuracy=0.91, f1=0.874)
    v2 = models.version(M, accuracy=0.93, f1=0.89)
    for version in (v1, v2):
        assert run(service, "cli:bob", f"promote {M} v{version} staging ok").status == "done"
        pending = run(service, "cli:bob", f"promote {M} v{version} production shadow ok")
        assert run(service, "cli:alice", f"approve {pending.request_id}").status == "done"
    v3 = models.version(M, accuracy=0.95, f1=0.91)
    assert run(service, "cli:bob", f"promote {M} v{v3} staging ok").status == "done"

    ack(slack.command(ALICE, "/promobot", f"lock {M} @champion tuning", "champion"))
    ack(slack.command(ALICE, "/promobot", f"lock {M} production incident --for 2h", "prod"))
    slack.work.run()
    before = models.snapshot(M)

    # Unlocking by someone the policy does not let is refused, to them alone.
    ack(slack.command(BOB, "/promobot", f"unlock {M} @champion", "bob-unlock"))
    slack.work.run()
    (refused,) = fake.responses("bob-unlock")
    assert refused.body["response_type"] == "ephemeral"
    assert "Only ml-leads (the requesters and approvers of @champion)" in refused.text
    assert models.snapshot(M) == before

    # On-call rolls back through the lock (break-glass), announced in the channel.
    ack(slack.command("U01CAROL", "/rollback", f"{M} production latency doubled", "rb"))
    slack.work.run()
    rolled = fake.api_calls("chat.postMessage")[-1]
    assert f"*{M} v{v1} → Production* rolled back (v{v2} moved out)" in rolled.text
    assert "a rollback passes a lock" in rolled.text
    assert models.stage(M, v1) == "Production"

    # Two hours on, the lock is over without anyone lifting it.
    clock.advance(hours=2, minutes=1)
    ack(slack.command(BOB, "/promote", f"{M} v{v3} production better", "after"))
    slack.work.run()
    request = fake.api_calls("chat.postMessage")[-1]
    assert f"*{M} v{v3} → Production* is waiting for 1 approval" in request.text
    assert [lock.target for lock in run(service, "cli:x", f"status {M}").locks] == ["@champion"]


# ---- a version card's Promote buttons ---------------------------------------------------------


@pytest.fixture
def card(service: Any, models: Any, fake: FakeSlack) -> Call:
    """v1's card, posted in the channel as the Slack announcer posts it."""
    from slack_sdk import WebClient

    from bot.render.slack_blocks import card_blocks

    version = models.version(M, accuracy=0.91, f1=0.89)
    shown = service.version_card(M, version)
    assert shown is not None
    WebClient(token=TOKEN, base_url=fake.api_url).chat_postMessage(
        channel=CHANNEL, text=f"{M} v{version} registered", blocks=card_blocks(shown)
    )
    (posted,) = fake.api_calls("chat.postMessage")
    fake.reset()
    return posted


def promote_click(slack: Slack, user: str, card: Call, value: str, key: str) -> Any:
    """A click on the card's button whose value is `value` (any value: a forged one too)."""
    body = click_body(user, "promobot_promote", card, slack.fake.response_url(key))
    payload = json.loads(urllib.parse.parse_qs(body)["payload"][0])
    payload["actions"][0]["value"] = value
    return slack.post(urllib.parse.urlencode({"payload": json.dumps(payload)}))


def test_a_promote_button_promotes_as_the_person_who_clicked(
    slack: Slack, fake: FakeSlack, card: Call, models: Any
) -> None:
    assert [b["value"] for b in card.actions()] == [
        f"{M} v1 staging",
        f"{M} v1 production",
        f"{M} v1 archived",
        f"{M} v1 @champion",
    ]

    answer = promote_click(slack, BOB, card, f"{M} v1 staging", "card")

    assert (answer.status, answer.body) == (200, "")
    assert models.stage(M, 1) == "None"  # the work waits for the ack
    slack.work.run()
    assert models.stage(M, 1) == "Staging"
    tags = models.tags(M, 1)
    assert (tags["requested_by"], tags["promotion_channel"]) == ("bob@example.com", "slack")
    (done,) = posts(fake)
    assert (done.method, done.body["channel"]) == ("chat.postMessage", CHANNEL)
    assert f"*{M} v1 → Staging* done" in done.text
    assert fake.responses() == []


@pytest.mark.parametrize(
    ("user", "value", "why"),
    [
        (DAVE, f"{M} v1 @champion", "dave is not in ml-leads"),
        (BOB, f"{M} v1 production", "A reason is required to promote to Production"),
    ],
    ids=["not allowed", "the policy wants a reason"],
)
def test_a_refused_promote_click_is_answered_to_the_clicker_alone(
    slack: Slack, fake: FakeSlack, card: Call, models: Any, user: str, value: str, why: str
) -> None:
    before = models.snapshot(M)

    ack(promote_click(slack, user, card, value, "refused"))
    slack.work.run()

    (reply,) = fake.responses("refused")
    assert reply.body["response_type"] == "ephemeral"
    assert reply.body["replace_original"] is False
    assert why in unescape(reply.text)
    assert fake.api_calls() == []
    assert models.snapshot(M) == before


@pytest.mark.parametrize(
    "value",
    [f"{M} v1 staging and more", f"{M} staging", "", f"{M} v1 --dry-run"],
    ids=["a reason", "no version", "empty", "a flag"],
)
def test_a_button_that_names_no_promotion_does_nothing(
    slack: Slack, fake: FakeSlack, card: Call, models: Any, value: str
) -> None:
    before = models.snapshot(M)

    ack(promote_click(slack, BOB, card, value, "odd"))
    slack.work.run()

    (reply,) = fake.responses("odd")
    assert "That button does not name a promotion" in reply.text
    assert fake.api_calls() == []
    assert models.snapshot(M) == before
