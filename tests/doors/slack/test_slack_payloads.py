"""What Slack's signed payloads say (bot/doors/slack/payloads.py): the command a slash
command, a click or a modal stands for, who acted (always the payload's user), and where
the message is. Pure: payloads in, commands out."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.core.commands import Approve, Deny, Promote, Target, VersionSpec
from bot.doors.slack.payloads import (
    clicked_decision,
    clicked_promotion,
    clicker,
    command_text,
    submitted,
    submitted_request_id,
    typed_by,
    where,
)
from bot.render.slack_blocks import TEXT_BLOCK, TEXT_INPUT

RID = "req-7f3a2c91bd"


@pytest.mark.parametrize(
    ("slash", "text", "words"),
    [
        ("/promote", "m v3 production passed", "promote m v3 production passed"),
        ("/rollback", "  ", "rollback"),
        ("/promobot", "status m", "status m"),
        ("/promobot", "", "help"),
        ("/promobot", None, "help"),
        ("/elsewhere", "status m", "status m"),
    ],
    ids=[
        "promote",
        "rollback-alone",
        "umbrella",
        "umbrella-alone-is-help",
        "no-text",
        "unknown-slash",
    ],
)
def test_the_words_a_slash_command_stands_for(slash: str, text: str | None, words: str) -> None:
    assert command_text(slash, text) == words  # type: ignore[arg-type]


def test_the_actor_is_the_payloads_user_never_a_name_in_the_text() -> None:
    assert (
        typed_by({"user_id": "U01BOB", "user_name": "alice", "text": "--as github:alice"})
        == "slack:U01BOB"
    )
    assert clicker({"user": {"id": "U01ALICE", "username": "bob"}}) == "slack:U01ALICE"
    assert (typed_by({}), clicker({"user": None})) == ("slack:", "slack:")


@pytest.mark.parametrize(
    ("body", "found"),
    [
        (
            {"container": {"channel_id": "C1", "message_ts": "1.2"}, "channel": {"id": "C9"}},
            {"channel": "C1", "ts": "1.2"},
        ),
        ({"channel": {"id": "C2"}, "message": {"ts": "3.4"}}, {"channel": "C2", "ts": "3.4"}),
        ({}, {"channel": "", "ts": ""}),
    ],
    ids=["container-first", "channel-and-message", "nothing"],
)
def test_where_a_button_was_clicked(body: dict[str, Any], found: dict[str, str]) -> None:
    assert where(body) == found


def click(value: str) -> dict[str, Any]:
    return {"actions": [{"action_id": "x", "value": value}]}


@pytest.mark.parametrize(
    ("body", "verb", "decision"),
    [
        (click(RID), "approve", Approve(RID)),
        (click(RID.upper()), "deny", Deny(RID)),
        (click("req-nope"), "approve", None),
        (click(f"{RID} extra words"), "deny", Deny(RID, "extra words")),
        ({}, "approve", None),
    ],
    ids=["approve", "deny-lower-cased", "not-a-request", "value-with-words", "no-actions"],
)
def test_the_decision_a_button_stands_for(
    body: dict[str, Any], verb: str, decision: object
) -> None:
    assert clicked_decision(body, verb) == decision


@pytest.mark.parametrize(
    ("value", "promotion"),
    [
        (
            "m v3 production",
            Promote("m", VersionSpec("number", "3"), Target("stage", "Production")),
        ),
        (
            "m  v3   production",
            Promote("m", VersionSpec("number", "3"), Target("stage", "Production")),
        ),
        (
            "m latest @champion",
            Promote("m", VersionSpec("latest", "latest"), Target("alias", "champion")),
        ),
        ("m v3 production now", None),
        ("m v3 production --dry-run", None),
        ("m production x", None),
        ("m v3", None),
    ],
    ids=[
        "as-the-card-wrote-it",
        "spaces-squeezed",
        "alias",
        "a-reason",
        "a-flag",
        "no-version",
        "no-target",
    ],
)
def test_a_cards_promote_button_is_exactly_model_version_target(
    value: str, promotion: Promote | None
) -> None:
    assert clicked_promotion(click(value)) == (promotion, " ".join(value.split()))


def submission(meta: object, text: str | None) -> dict[str, Any]:
    private = meta if isinstance(meta, str) else json.dumps(meta)
    state = {"values": {TEXT_BLOCK: {TEXT_INPUT: {"type": "plain_text_input", "value": text}}}}
    return {"view": {"private_metadata": private, "state": state}}


HERE = {"request_id": RID, "channel": "C1", "ts": "1.2"}


@pytest.mark.parametrize(
    ("body", "verb", "command", "here"),
    [
        (
            submission(HERE, "line one\nline two"),
            "approve",
            Approve(RID, "line one\nline two"),
            {"channel": "C1", "ts": "1.2"},
        ),
        (submission(HERE, "not yet"), "deny", Deny(RID, "not yet"), {"channel": "C1", "ts": "1.2"}),
        (submission(HERE, "  "), "deny", None, {"channel": "C1", "ts": "1.2"}),
        (
            submission({"request_id": RID}, None),
            "approve",
            Approve(RID, ""),
            {"channel": "", "ts": ""},
        ),
        (submission({"request_id": "nope"}, "x"), "approve", None, {"channel": "", "ts": ""}),
        (submission("not json", "x"), "approve", None, {"channel": "", "ts": ""}),
        (submission([RID], "x"), "approve", None, {"channel": "", "ts": ""}),
    ],
    ids=[
        "approve-with-comment-on-lines",
        "deny-with-reason",
        "deny-without-reason",
        "approve-without-comment",
        "no-request",
        "metadata-not-json",
        "metadata-not-an-object",
    ],
)
def test_what_a_modal_submission_stands_for(
    body: dict[str, Any], verb: str, command: object, here: dict[str, str]
) -> None:
    assert submitted(body, verb) == (command, here)


def test_a_submitted_text_is_cut_to_the_forms_500_characters() -> None:
    command, _ = submitted(submission(HERE, "x" * 4000), "deny")
    assert isinstance(command, Deny) and command.reason == "x" * 500


def test_the_request_a_modal_names() -> None:
    assert submitted_request_id(submission(HERE, "")) == RID
    assert submitted_request_id({}) == ""
