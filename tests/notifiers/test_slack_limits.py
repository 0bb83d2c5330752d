"""Every Block Kit payload within Slack's documented limits, where the text grows: the
longest alias a command can name, a long model name, a reason at its longest, a policy
with many metric gates. The fake Slack validates each payload with slack_sdk's models and
refuses, as Slack does, what breaks a limit; the guard of tests/conftest.py fails the
test if it did. The service is wired as bot/app.py wires it with a Slack token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Clock, ModelFactory
from fake_slack import BLOCKS_MAX, Call, FakeSlack, blocks_problem

from bot.adapters.slack.conversation import asked_in
from bot.app import build_service
from bot.config import Settings
from bot.core.commands import parse
from bot.core.commands.words import ALIAS_MAX_LENGTH, MODEL_MAX_LENGTH
from bot.core.results import Result
from bot.core.service import Context, Service
from bot.core.state import REASON_MAX
from bot.render.slack_blocks import card_blocks, decision_modal, promote_block

CHANNEL = "C0MODELS"
ALIAS = "@" + "a" * ALIAS_MAX_LENGTH
MODEL = "long-" + "x" * (MODEL_MAX_LENGTH - 5)
GATES = [f"m{n:03d}" for n in range(150)]  # a checks table of 150 rows


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


@pytest.fixture
def service(tracking_uri: str, fake: FakeSlack, clock: Clock, tmp_path: Path) -> Service:
    policy = {
        "people": {
            "alice": {"email": "alice@example.com", "slack": "U01ALICE"},
            "bob": {"email": "bob@example.com", "slack": "U01BOB"},
        },
        "groups": {"engineers": ["alice", "bob"], "leads": ["alice"]},
        "models": [
            {
                "name": "long-*",
                "slack_channel": CHANNEL,
                "targets": {
                    "staging": {"requesters": ["engineers"], "approvals": 0},
                    "production": {
                        "requesters": ["engineers"],
                        "approvers": ["leads"],
                        "approvals": 1,
                        "metrics": {gate: ">= 0.5" for gate in GATES},
                    },
                    ALIAS: {"requesters": ["engineers"], "approvers": ["leads"], "approvals": 1},
                },
            }
        ],
    }
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    settings = Settings(
        mlflow_tracking_uri=tracking_uri,
        promobot_policy=str(path),
        slack_bot_token="xoxb-test",
        slack_api_url=fake.api_url,
    )
    return build_service(settings, clock=clock)


def run(service: Service, actor: str, text: str) -> Result:
    parsed = parse(text)
    assert parsed.command is not None, parsed.reply
    with asked_in("C0TYPED"):
        return service.handle(parsed.command, Context(actor=actor, channel="slack"))


def buttons(call: Call) -> list[dict[str, Any]]:
    return call.actions()


def test_the_fake_refuses_what_slack_refuses(fake: FakeSlack) -> None:
    """The guard is real: the Promote button as it was drawn before (76 characters for
    the longest alias) and 51 blocks are refused with Slack's error."""
    from slack_sdk import WebClient

    fake.expect_refusals()
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    too_long = promote_block(MODEL, 1, ALIAS.lower())
    too_long["elements"][0]["text"]["text"] = f"Promote to {ALIAS}"
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
    for blocks in ([too_long], [section] * (BLOCKS_MAX + 1)):
        with pytest.raises(Exception, match="invalid_blocks"):
            client.chat_postMessage(channel=CHANNEL, text="t", blocks=blocks)
    assert [r.error for r in fake.refusals] == ["invalid_blocks", "invalid_blocks"]
    assert "text attribute cannot exceed 75 characters" in fake.refusals[0].detail


def test_a_card_with_the_longest_alias_keeps_its_buttons_within_limits(
    service: Service, models: ModelFactory, fake: FakeSlack
) -> None:
    version = models.version(MODEL, **{gate: 0.9 for gate in GATES[:3]})

    assert service.announce_version(MODEL, version) is not None

    [card] = fake.api_calls("chat.postMessage")
    assert card.answer["ok"] is True
    labels = [b["text"]["text"] for b in buttons(card)]
    assert labels[:2] == ["Promote to Staging", "Promote to Production"]
    assert len(labels[2]) == 75 and labels[2].endswith("…")  # clipped, never dropped
    assert buttons(card)[2]["value"] == f"{MODEL} v{version} {ALIAS}"


def test_a_request_with_many_checks_and_a_long_reason_keeps_its_buttons(
    service: Service, models: ModelFactory, fake: FakeSlack
) -> None:
    version = models.version(MODEL, **{gate: 0.9 for gate in GATES})
    reason = ("<!channel> " * REASON_MAX)[: REASON_MAX - 1]

    pending = run(service, "slack:U01BOB", f"promote {MODEL} v{version} production {reason}")
    assert pending.status == "pending" and pending.request_id
    done = run(service, "slack:U01ALICE", f"approve {pending.request_id} {reason}")
    assert done.status == "done"

    [message] = fake.api_calls("chat.postMessage")
    [update] = fake.api_calls("chat.update")
    for call in (message, update):
        assert call.answer["ok"] is True and len(call.blocks) <= BLOCKS_MAX
        assert "<!channel>" not in str(call.blocks)  # what people typed is never markup
    assert len(message.blocks) > 30  # the checks table, in sections of ten fields
    assert message.blocks[-1]["type"] == "actions" and len(buttons(message)) == 3
    assert buttons(update) == []


def test_a_request_for_the_longest_alias_is_posted_and_decided_within_limits(
    service: Service, models: ModelFactory, fake: FakeSlack
) -> None:
    version = models.version(MODEL, auc=0.9)

    pending = run(service, "slack:U01BOB", f"promote {MODEL} v{version} {ALIAS} shadow ok")
    done = run(service, "slack:U01ALICE", f"approve {pending.request_id}")

    assert done.status == "done" and models.aliases(MODEL) == {ALIAS[1:]: version}
    [message] = fake.api_calls("chat.postMessage")
    [update] = fake.api_calls("chat.update")
    assert message.answer["ok"] is True and update.answer["ok"] is True
    assert fake.refusals == []


def test_the_forms_and_every_card_block_pass_slack_sdk_on_their_own(
    service: Service, models: ModelFactory
) -> None:
    from slack_sdk.models.views import View

    version = models.version(MODEL, auc=0.9)
    card = service.version_card(MODEL, version)
    assert card is not None
    assert blocks_problem(card_blocks(card)) is None
    for verb in ("approve", "deny"):
        modal = decision_modal(verb, "req-0123456789", "x" * 5000, {"channel": "C1", "ts": "1.2"})
        View(**modal).to_dict()  # raises on a broken limit
        assert blocks_problem(modal["blocks"]) is None
