"""Every request announced where the approvers are (bot/notifiers/slack.py posts a
request's message, bot/notifiers/slack_announce.py the rest): the service as bot/app.py
wires it with a Slack token, on a real SQLite registry; the fake
Slack Web API over HTTP records what people see; clicks go through the real bolt App
in-process (tests/bolt_helpers.py)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from bolt_helpers import BoltSlack, unescape
from conftest import FIXTURES, Clock, ModelFactory
from fake_slack import Call, FakeSlack
from verification_setup import CHANNEL as VERIFY_CHANNEL
from verification_setup import Watched, watch_factory

from bot.adapters.slack.conversation import asked_in
from bot.app import build_service
from bot.config import Settings
from bot.core.commands import parse
from bot.core.results import Result
from bot.core.service import Context, Service

M = "sentiment-classifier"
POLICY = FIXTURES / "announce_policy.yaml"
MODELS_CHANNEL = "C0MODELS"  # sentiment-classifier's slack_channel
DEFAULT_CHANNEL = "C0DEFAULT"  # PROMOBOT_SLACK_CHANNEL
TYPED_CHANNEL = "C0RELEASES"  # where people type slash commands
BOB, ALICE = "U01BOB", "U01ALICE"
RUN_URL = "https://github.com/acme/models/actions/runs/42"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


def settings_for(tracking_uri: str, fake: FakeSlack, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "mlflow_tracking_uri": tracking_uri,
        "promobot_policy": str(POLICY),
        "slack_bot_token": "xoxb-test",
        "slack_api_url": fake.api_url,
        "promobot_slack_channel": DEFAULT_CHANNEL,
        **changes,
    }
    return Settings(**values)


@pytest.fixture
def service(tracking_uri: str, fake: FakeSlack, clock: Clock) -> Service:
    """The service exactly as bot/app.py builds it where SLACK_BOT_TOKEN is set."""
    return build_service(settings_for(tracking_uri, fake), clock=clock)


def run(service: Service, actor: str, text: str, channel: str = "cli", link: str = "") -> Result:
    parsed = parse(text)
    assert parsed.command is not None, parsed.reply
    return service.handle(parsed.command, Context(actor=actor, channel=channel, link=link))


def posts(fake: FakeSlack, channel: str | None = None) -> list[Call]:
    return [c for c in fake.api_calls("chat.postMessage") if channel in (None, c.body["channel"])]


def in_staging(service: Service, models: ModelFactory, **metrics: float) -> int:
    version = models.version(M, **(metrics or {"accuracy": 0.91, "f1": 0.89}))
    assert run(service, "cli:bob", f"promote {M} v{version} staging").status == "done"
    return version


def slack_ref(models: ModelFactory, request_id: str) -> dict[str, Any]:
    return json.loads(models.model_tags(M)[f"mlflow.promobot.request.{request_id}.slack"])


# ---- a request made outside Slack ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "channel", "link", "asked"),
    [
        ("cli:bob", "cli", "", "Asked in the terminal."),
        ("cli:ci", "ci", RUN_URL, f"Asked by CI: {RUN_URL}"),
    ],
    ids=["the terminal", "CI"],
)
def test_a_request_made_outside_slack_is_posted_in_the_models_channel_with_buttons(
    service: Service,
    models: ModelFactory,
    fake: FakeSlack,
    actor: str,
    channel: str,
    link: str,
    asked: str,
) -> None:
    version = in_staging(service, models)
    fake.reset()

    pending = run(service, actor, f"promote {M} v{version} production", channel, link)

    assert pending.status == "pending" and pending.request_id
    [message] = posts(fake)
    assert message.body["channel"] == MODELS_CHANNEL
    assert f"*{M} v{version} → Production* is waiting for 1 approval from ml-leads" in (
        message.text
    )
    assert asked in message.text
    assert [(b["action_id"], b["value"]) for b in message.actions()] == [
        ("promobot_approve", pending.request_id),
        ("promobot_approve_comment", pending.request_id),
        ("promobot_deny", pending.request_id),
    ]
    # Remembered as a request typed in Slack is, so the notifier and the sweep
    # keep this very message in step.
    assert slack_ref(models, pending.request_id) == {
        "channel": MODELS_CHANNEL,
        "ts": message.answer["ts"],
    }
    assert models.model_tags(M)["mlflow.promobot.slack.posted"] == "1"


def test_a_click_on_the_announced_request_completes_it_and_redraws_that_message(
    service: Service, models: ModelFactory, fake: FakeSlack
) -> None:
    version = in_staging(service, models)
    pending = run(service, "cli:bob", f"promote {M} v{version} production")
    [message] = posts(fake, MODELS_CHANNEL)[-1:]
    slack = BoltSlack(service, fake)
    before = len(posts(fake))

    slack.click(ALICE, message, "promobot_approve", "approve")

    assert models.stage(M, version) == "Production"
    tags = models.tags(M, version)
    assert (tags["requested_by"], tags["approved_by"]) == ("bob@example.com", "alice@example.com")
    assert (tags["promotion_channel"], tags["promotion_request"]) == ("cli", pending.request_id)
    [update] = fake.api_calls("chat.update")
    assert (update.body["channel"], update.body["ts"]) == (MODELS_CHANNEL, message.answer["ts"])
    assert f"*{M} v{version} → Production* done" in update.text
    assert "approved by alice@example.com" in update.text
    assert "Asked in the terminal." in update.text
    assert update.actions() == []
    # Drawn once: the redraw is the announcement, nothing else is posted.
    assert len(posts(fake)) == before
    assert fake.responses() == []


def test_an_approval_in_the_terminal_redraws_the_announced_message_once(
    service: Service, models: ModelFactory, fake: FakeSlack
) -> None:
    version = in_staging(service, models)
    pending = run(service, "github:bob", f"promote {M} v{version} production", "github")
    [message] = posts(fake)[-1:]
    before = len(posts(fake))

    done = run(service, "cli:alice", f"approve {pending.request_id}")

    assert done.status == "done" and models.stage(M, version) == "Production"
    [update] = fake.api_calls("chat.update")
    assert update.body["ts"] == message.answer["ts"]
    assert f"*{M} v{version} → Production* done" in update.text
    assert len(posts(fake)) == before
    assert slack_ref(models, str(pending.request_id))["final"] == "done"


def test_the_sweep_closes_an_announced_request_that_expired_and_redraws_it(
    service: Service, models: ModelFactory, fake: FakeSlack, clock: Clock
) -> None:
    version = in_staging(service, models)
    pending = run(service, "cli:ci", f"promote {M} v{version} production", "ci", RUN_URL)
    [message] = posts(fake)[-1:]
    clock.advance(hours=25)

    assert service.sweep("slack") == 1

    [update] = fake.api_calls("chat.update")
    assert update.body["ts"] == message.answer["ts"]
    assert update.actions() == []
    assert "expired" in update.text
    assert slack_ref(models, str(pending.request_id))["final"] == "closed"
    assert service.sweep("slack") == 0  # drawn once
    assert models.stage(M, version) == "Staging"


# ---- done promotions and rollbacks -------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "channel", "link", "asked"),
    [
        ("cli:bob", "cli", "", "Asked in the terminal."),
        ("cli:ci", "ci", RUN_URL, f"Asked by CI: {RUN_URL}"),
    ],
    ids=["the terminal", "CI"],
)
def test_a_done_promotion_is_announced_with_where_it_was_asked(
    service: Service,
    models: ModelFactory,
    fake: FakeSlack,
    actor: str,
    channel: str,
    link: str,
    asked: str,
) -> None:
    version = models.version(M, accuracy=0.91, f1=0.89)

    done = run(service, actor, f"promote {M} v{version} staging", channel, link)

    assert done.status == "done" and models.stage(M, version) == "Staging"
    [message] = posts(fake)
    assert message.body["channel"] == MODELS_CHANNEL
    assert f"*{M} v{version} → Staging* done" in message.text
    assert asked in message.text
    assert f"models:/{M}/Staging" in message.text
    assert message.actions() == []


def test_a_rollback_is_announced(service: Service, models: ModelFactory, fake: FakeSlack) -> None:
    first = in_staging(service, models)
    second = in_staging(service, models)
    fake.reset()

    done = run(service, "cli:carol", f"rollback {M} staging latency doubled")

    assert done.status == "done" and models.stage(M, first) == "Staging"
    [message] = posts(fake, MODELS_CHANNEL)
    assert f"*{M} v{first} → Staging* rolled back (v{second} moved out)" in message.text
    assert "Asked in the terminal." in message.text


def test_the_cli_announces_through_the_wiring_of_bot_app(
    tracking_uri: str,
    models: ModelFactory,
    fake: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.cli import main

    monkeypatch.setenv("PROMOBOT_POLICY", str(POLICY))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", fake.api_url)
    monkeypatch.delenv("PROMOBOT_SLACK_CHANNEL", raising=False)
    version = models.version(M, accuracy=0.91, f1=0.89)

    assert main(["promote", M, f"v{version}", "staging", "--as", "cli:bob"]) == 0
    assert main(["promote", M, f"v{version}", "production", "--as", "cli:bob", "--json"]) == 0

    request_id = json.loads(capsys.readouterr().out.splitlines()[-1])["request_id"]
    done, asked = posts(fake, MODELS_CHANNEL)
    assert f"*{M} v{version} → Staging* done" in done.text
    assert "is waiting for 1 approval" in asked.text
    assert [b["value"] for b in asked.actions()] == [request_id, request_id, request_id]


# ---- Slack's own requests, no token, Slack failing -----------------------------------------------


def test_a_request_typed_in_slack_is_posted_once_where_it_was_typed(
    service: Service, models: ModelFactory, fake: FakeSlack
) -> None:
    """The model's channel (C0MODELS) is another than the one typed in: the request is
    posted once, where it was typed, and nothing goes to the model's channel."""
    version = models.version(M, accuracy=0.91, f1=0.89)
    slack = BoltSlack(service, fake)

    slack.command(BOB, "/promote", f"{M} v{version} staging", TYPED_CHANNEL, "staged")
    slack.command(BOB, "/promote", f"{M} v{version} production", TYPED_CHANNEL, "asked")

    staged, asked = posts(fake)
    assert staged.body["channel"] == asked.body["channel"] == TYPED_CHANNEL
    assert f"*{M} v{version} → Staging* done" in staged.text
    assert "is waiting for 1 approval" in asked.text and len(asked.actions()) == 3
    assert "Asked" not in asked.text  # it is where it was asked

    slack.click(ALICE, asked, "promobot_approve", "approve")

    assert models.stage(M, version) == "Production"
    assert len(posts(fake)) == 2
    assert posts(fake, MODELS_CHANNEL) == []
    [update] = fake.api_calls("chat.update")
    assert (update.body["channel"], update.body["ts"]) == (TYPED_CHANNEL, asked.answer["ts"])


def test_without_a_slack_token_nothing_is_posted_and_nothing_fails(
    tracking_uri: str, models: ModelFactory, fake: FakeSlack, clock: Clock
) -> None:
    service = build_service(settings_for(tracking_uri, fake, slack_bot_token=None), clock=clock)
    version = in_staging(service, models)

    pending = run(service, "github:bob", f"promote {M} v{version} production", "github")
    done = run(service, "cli:alice", f"approve {pending.request_id}")

    assert (pending.status, done.status) == ("pending", "done")
    assert models.stage(M, version) == "Production"
    assert fake.calls == []
    assert f"mlflow.promobot.request.{pending.request_id}.slack" not in models.model_tags(M)


def test_slack_failing_never_stops_a_promotion_or_a_request(
    service: Service, models: ModelFactory, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("chat.postMessage", "channel_not_found")
    version = models.version(M, accuracy=0.91, f1=0.89)

    with caplog.at_level(logging.WARNING, logger="promobot.slack"):
        staged = run(service, "cli:bob", f"promote {M} v{version} staging")
        pending = run(service, "cli:bob", f"promote {M} v{version} production")

    assert staged.status == "done" and models.stage(M, version) == "Staging"
    assert pending.status == "pending"
    tags = models.model_tags(M)
    assert f"mlflow.promobot.request.{pending.request_id}" in tags
    assert f"mlflow.promobot.request.{pending.request_id}.slack" not in tags
    assert f"could not announce executed of {M} in {MODELS_CHANNEL}" in caplog.text
    assert f"could not announce request_made of {M} in {MODELS_CHANNEL}" in caplog.text
    assert "channel_not_found" in caplog.text


# ---- which channel -------------------------------------------------------------------------------


def test_a_model_whose_entry_names_no_channel_is_announced_in_the_default_one(
    service: Service, models: ModelFactory, fake: FakeSlack
) -> None:
    version = models.version("fraud-detector", auc=0.9)

    assert run(service, "cli:bob", f"promote fraud-detector v{version} staging").status == "done"

    [message] = posts(fake)
    assert message.body["channel"] == DEFAULT_CHANNEL
    assert f"*fraud-detector v{version} → Staging* done" in message.text


def test_without_a_default_channel_such_a_model_is_announced_nowhere(
    tracking_uri: str, models: ModelFactory, fake: FakeSlack, clock: Clock
) -> None:
    service = build_service(
        settings_for(tracking_uri, fake, promobot_slack_channel=""), clock=clock
    )
    version = models.version("fraud-detector", auc=0.9)

    assert run(service, "cli:bob", f"promote fraud-detector v{version} staging").status == "done"

    assert posts(fake) == []


# ---- drift ---------------------------------------------------------------------------------------


def test_drift_found_posts_the_findings_and_the_commands_that_put_them_right(
    service: Service, models: ModelFactory, fake: FakeSlack
) -> None:
    recorded = in_staging(service, models)
    outside = models.version(M, accuracy=0.5, f1=0.5)
    models.client.transition_model_version_stage(M, str(outside), "Staging")
    fake.reset()

    found = service.drift_scan.report_new(M)

    assert {f.kind for f in found} == {"outside", "mirror"}
    [message] = posts(fake)
    assert message.body["channel"] == MODELS_CHANNEL
    text = unescape(message.text)
    assert f"⚠️ *{M}*: Staging changed outside promobot" in text
    assert f"⚠ Staging holds v{outside}, but promobot last put v{recorded} there" in text
    assert f"`rollback {M} staging <reason>`" in text
    assert f"`promote {M} v{outside} staging <reason>`" in text
    assert f"its alias @staging names v{recorded}" in text
    assert message.actions() == []

    assert service.drift_scan.report_new(M) == []  # reported once
    assert len(posts(fake)) == 1


# ---- a new version's card ------------------------------------------------------------------------


def card_message(service: Service, fake: FakeSlack, version: int) -> Call:
    fake.reset()
    assert service.announce_version(M, version) is not None
    [card] = posts(fake)
    return card


def test_a_new_versions_card_is_posted_with_a_promote_button_per_next_target(
    service: Service, models: ModelFactory, fake: FakeSlack
) -> None:
    version = models.version(M, accuracy=0.91, f1=0.89)
    models.client.set_model_version_tag(M, str(version), "git_commit", "ab" * 20)
    models.client.set_model_version_tag(M, str(version), "git_pull_request", "7")

    card = card_message(service, fake, version)

    assert card.body["channel"] == MODELS_CHANNEL
    assert f"📦 *{M} v{version}* registered" in card.text
    assert "commit `abababababab`" in card.text and "pull request #7" in card.text
    buttons = card.actions()
    assert [(b["action_id"], b["value"], b["text"]["text"]) for b in buttons] == [
        ("promobot_promote", f"{M} v{version} staging", "Promote to Staging"),
        ("promobot_promote", f"{M} v{version} production", "Promote to Production"),
        ("promobot_promote", f"{M} v{version} @champion", "Promote to @champion"),
    ]
    assert card.answer["ok"] is True  # Slack's rules: one action_id per block


def test_a_click_on_a_card_promotes_as_the_clicker_then_asks_for_approval(
    service: Service, models: ModelFactory, fake: FakeSlack
) -> None:
    version = models.version(M, accuracy=0.91, f1=0.89)
    card = card_message(service, fake, version)
    slack = BoltSlack(service, fake)

    slack.click(BOB, card, "promobot_promote", "staging", f"{M} v{version} staging")

    assert models.stage(M, version) == "Staging"
    tags = models.tags(M, version)
    assert (tags["requested_by"], tags["promotion_channel"]) == ("bob@example.com", "slack")
    [done] = posts(fake)[1:]
    assert done.body["channel"] == MODELS_CHANNEL
    assert f"*{M} v{version} → Staging* done" in done.text

    slack.click(BOB, card, "promobot_promote", "production", f"{M} v{version} production")

    [asked] = posts(fake)[2:]  # once, in the card's channel
    assert asked.body["channel"] == MODELS_CHANNEL
    assert f"*{M} v{version} → Production* is waiting for 1 approval" in asked.text
    request_id = asked.actions()[0]["value"]
    assert slack_ref(models, request_id)["ts"] == asked.answer["ts"]

    slack.click(ALICE, asked, "promobot_approve", "approve")

    assert models.stage(M, version) == "Production"
    assert models.tags(M, version)["approved_by"] == "alice@example.com"
    assert len(posts(fake)) == 3
    assert fake.responses() == []


# ---- verification ------------------------------------------------------------------------------


@pytest.fixture
def watch(
    tracking_uri: str, models: ModelFactory, prometheus: Any, exporter: Any, clock: Clock
) -> Iterator[Callable[..., Watched]]:
    yield from watch_factory(tracking_uri, models, prometheus, exporter, clock)


def test_a_passed_verification_is_announced_in_the_models_channel_even_if_typed_in_slack(
    watch: Callable[..., Watched],
) -> None:
    w = watch("watch-slack-passed", good=0.001, bad=0.005)
    typed = Context(actor="slack:U01BOB", channel="slack")
    with asked_in(TYPED_CHANNEL):  # as the Slack door runs it
        assert w.do(f"promote {w.name} v2 production shadow ok", typed).status == "done"
    [done] = w.posts()  # where it was typed
    assert done.body["channel"] == TYPED_CHANNEL

    w.until("passed")

    [post] = w.posts()[1:]
    assert post.body["channel"] == VERIFY_CHANNEL
    assert post.text.splitlines()[:2] == [
        f"✅ {w.name} v2 on Production passed verification",
        f"promoted by bob@example.com · request `{post.text.split('`')[1]}` · 3 runs",
    ]
    blocks = post.blocks
    assert blocks[0]["text"]["text"] == f"✅ *{w.name} v2 on Production* passed verification"
    assert "Promoted in Slack." in post.text
    fields = [f["text"] for b in blocks for f in b.get("fields", [])]
    assert fields == [
        "*check*",
        "*last figure*",
        "✅ error rate &lt; 0.02",
        "0.005",
        "✅ p99 latency &lt; 0.5",
        "0.1",
    ]
    assert w.models.tags(w.name, 2)["verification"] == "passed"
    assert w.comments() == []  # GitHub hears only of failures
    assert w.github.statuses_of(1001) == ["success"]
