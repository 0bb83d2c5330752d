"""A request's Slack message and its one owner: the Slack notifier posts it when the
request is made, wherever it is made, and keeps it in step with the service's events (a
decision made on GitHub, in the CLI or in Slack) and the scheduled pass
(`Service.sweep`). Real SQLite registry, the fake Slack Web API over HTTP, the test
clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Clock, ModelFactory
from fake_slack import Call, FakeSlack
from service_helpers import to_legacy_layout

from bot.adapters.slack.client import api_base_url, web_client
from bot.adapters.slack.conversation import asked_in
from bot.config import Settings
from bot.core.commands import Approve, Deny, parse
from bot.core.results import Result
from bot.core.service import Context, Service
from bot.notifiers.slack import KINDS, SlackRequestMessages, model_channels, update_request_message

POSTED_TAG = "mlflow.promobot.slack.posted"

CHANNEL = "C0RELEASES"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


@pytest.fixture
def settings(fake: FakeSlack) -> Settings:
    # Without the trailing "/": the door adds it, as slack_sdk needs.
    return Settings(slack_bot_token="xoxb-test", slack_api_url=fake.api_url.rstrip("/"))


@pytest.fixture
def service(service: Service, settings: Settings) -> Service:
    """The service with the request messages' notifier, as bot/app.py wires it where a
    Slack token is set (every model announced in CHANNEL)."""
    channels = model_channels(service.policy, CHANNEL)
    notifier = SlackRequestMessages(service, web_client(settings), channels)
    service.events.subscribe(notifier, KINDS)
    return service


@pytest.fixture
def quiet(service_factory: Any) -> Service:
    """A second service on the same registry with no notifier: a door with no Slack token."""
    return service_factory()


def ask(service: Service, text: str, actor: str) -> Result:
    command = parse(text).command
    assert command is not None, text
    return service.handle(command, Context(actor=actor, channel="slack"))


def pending_production(service: Service, models: ModelFactory, settings: Settings) -> Result:
    version = models.version("sentiment-classifier", accuracy=0.91, f1=0.89)
    assert ask(service, f"promote sentiment-classifier v{version} staging", "cli:bob").status == (
        "done"
    )
    result = ask(
        service,
        f"promote sentiment-classifier v{version} production passed shadow test",
        "slack:U01BOB",
    )
    assert result.status == "pending" and result.request_id
    return result


def updates(fake: FakeSlack) -> list[Call]:
    return fake.api_calls("chat.update")


def ref_of(models: ModelFactory, result: Result) -> dict[str, Any]:
    assert result.model
    return json.loads(
        models.model_tags(result.model)[f"mlflow.promobot.request.{result.request_id}.slack"]
    )


def test_api_url_always_ends_with_a_slash() -> None:
    assert api_base_url("http://127.0.0.1:9/api") == "http://127.0.0.1:9/api/"
    assert api_base_url("https://slack.com/api/") == "https://slack.com/api/"
    assert api_base_url("") == "https://slack.com/api/"


def test_an_approval_on_github_redraws_the_message_in_its_final_state_once(
    service: Service, models: ModelFactory, settings: Settings, fake: FakeSlack
) -> None:
    request = pending_production(service, models, settings)
    assert request.request_id
    decided = service.handle(Approve(request.request_id), Context(actor="github:alice"))
    assert decided.status == "done"
    again = service.handle(Approve(request.request_id), Context(actor="github:alice"))
    assert again.already
    assert update_request_message(service, web_client(settings), decided) is None  # drawn

    [update] = updates(fake)
    ref = ref_of(models, request)
    assert (update.body["channel"], update.body["ts"]) == (CHANNEL, ref["ts"])
    assert f"*sentiment-classifier v{request.version} → Production* done" in update.text
    assert "approved by alice@example.com" in update.text
    assert update.actions() == []
    assert ref["final"] == "done"


def test_a_denial_on_github_redraws_the_message_as_denied(
    service: Service, models: ModelFactory, settings: Settings, fake: FakeSlack
) -> None:
    request = pending_production(service, models, settings)
    assert request.request_id
    denied = service.handle(
        Deny(request.request_id, "holdout set regressed"), Context(actor="github:erin")
    )
    assert denied.status == "done"

    [update] = updates(fake)
    assert f"*sentiment-classifier v{request.version} → Production* denied" in update.text
    assert "holdout set regressed" in update.text
    assert update.actions() == []
    assert ref_of(models, request)["final"] == "denied"


def test_a_refused_approval_leaves_the_message_alone(
    service: Service, models: ModelFactory, settings: Settings, fake: FakeSlack
) -> None:
    request = pending_production(service, models, settings)
    assert request.request_id
    refused = service.handle(Approve(request.request_id), Context(actor="github:bob"))
    assert refused.status == "refused"

    assert updates(fake) == []
    assert "final" not in ref_of(models, request)


def test_a_partial_approval_redraws_the_count_and_keeps_the_buttons(
    service: Service, models: ModelFactory, settings: Settings, fake: FakeSlack
) -> None:
    version = models.version("fraud-detector", auc=0.93)
    request = ask(service, f"promote fraud-detector v{version} production", "slack:U01BOB")
    assert request.request_id
    partial = service.handle(Approve(request.request_id), Context(actor="github:alice"))
    assert partial.status == "pending"

    [update] = updates(fake)
    assert "is waiting for 1 approval from ml-leads" in update.text
    assert "approved by alice@example.com" in update.text
    assert [a["action_id"] for a in update.actions()] == [
        "promobot_approve",
        "promobot_approve_comment",
        "promobot_deny",
    ]
    assert "final" not in ref_of(models, request)


def test_sync_is_best_effort_when_slack_fails(
    service: Service, models: ModelFactory, settings: Settings, fake: FakeSlack
) -> None:
    request = pending_production(service, models, settings)
    assert request.request_id
    fake.fail("chat.update", "message_not_found")
    decided = service.handle(Approve(request.request_id), Context(actor="github:alice"))
    assert decided.status == "done"  # the notifier's failure is logged, never raised
    assert models.stage("sentiment-classifier", decided.version or 0) == "Production"

    assert len(updates(fake)) == 1
    assert "final" not in ref_of(models, request)  # so the sweeper tries again


def test_the_sweeper_closes_an_expired_request_and_redraws_it_once(
    service: Service, models: ModelFactory, settings: Settings, fake: FakeSlack, clock: Clock
) -> None:
    request = pending_production(service, models, settings)
    assert service.sweep("slack") == 0  # still open

    clock.advance(hours=25)

    assert service.sweep("slack") == 1
    assert service.sweep("slack") == 0
    [update] = updates(fake)
    assert f"{request.request_id} expired" in update.text
    assert update.actions() == []
    tags = models.model_tags("sentiment-classifier")
    assert (
        json.loads(tags[f"mlflow.promobot.request.{request.request_id}.state"])["state"]
        == "expired"
    )
    assert tags[POSTED_TAG] == "1"
    assert request.version and models.stage("sentiment-classifier", request.version) == "Staging"


def test_the_sweeper_redraws_a_request_decided_where_slack_was_not_told(
    service: Service,
    quiet: Service,
    models: ModelFactory,
    settings: Settings,
    fake: FakeSlack,
    clock: Clock,
) -> None:
    request = pending_production(service, models, settings)
    assert request.request_id
    quiet.handle(Approve(request.request_id), Context(actor="cli:alice"))

    assert service.sweep("slack") == 0  # the deciding door gets a moment to draw it
    clock.advance(minutes=1)
    assert service.sweep("slack") == 1
    assert service.sweep("slack") == 0

    [update] = updates(fake)
    assert f"*sentiment-classifier v{request.version} → Production* done" in update.text
    assert update.actions() == []


def test_the_sweeper_keeps_a_message_posted_before_the_upgrade_in_step(
    service: Service,
    quiet: Service,
    models: ModelFactory,
    settings: Settings,
    fake: FakeSlack,
    clock: Clock,
) -> None:
    """A message recorded under `promobot.request.<id>.slack`, on a model marked
    `promobot.slack.posted` (the tag layout before `mlflow.promobot.`): the pass still
    finds it, redraws it once, and records its final state under the current key."""
    request = pending_production(service, models, settings)
    assert request.request_id
    rid = request.request_id
    legacy = to_legacy_layout(models.client, "sentiment-classifier")
    assert legacy["promobot.slack.posted"] == "1"
    posted = json.loads(legacy[f"promobot.request.{rid}.slack"])
    quiet.handle(Approve(rid), Context(actor="cli:alice"))
    clock.advance(minutes=1)

    assert service.sweep("slack") == 1
    assert service.sweep("slack") == 0  # the final ref under the current key wins

    [update] = updates(fake)
    assert update.actions() == []
    assert (update.body["channel"], update.body["ts"]) == (posted["channel"], posted["ts"])
    assert ref_of(models, request)["final"]
    tags = models.model_tags("sentiment-classifier")
    assert json.loads(tags[f"promobot.request.{rid}.slack"]) == posted  # left as it was


# ---- where a request's message goes ----------------------------------------------------------

TYPED = "C0TYPED"


def test_a_request_made_through_slack_is_posted_where_it_was_typed_and_remembered(
    service: Service, models: ModelFactory, fake: FakeSlack
) -> None:
    version = models.version("fraud-detector", auc=0.93)

    with asked_in(TYPED) as asked:
        request = ask(service, f"promote fraud-detector v{version} production", "slack:U01BOB")

    [message] = fake.api_calls("chat.postMessage")
    assert message.body["channel"] == TYPED
    assert asked.shown == {"channel": TYPED, "ts": message.answer["ts"]}
    assert ref_of(models, request) == asked.shown
    assert len(message.actions()) == 3


def test_where_slack_refuses_the_typed_channel_the_models_channel_gets_it(
    service: Service, models: ModelFactory, fake: FakeSlack
) -> None:
    fake.fail("chat.postMessage", "not_in_channel", channel=TYPED)
    version = models.version("fraud-detector", auc=0.93)

    with asked_in(TYPED) as asked:
        request = ask(service, f"promote fraud-detector v{version} production", "slack:U01BOB")

    refused, message = fake.api_calls("chat.postMessage")
    assert (refused.answer["error"], message.body["channel"]) == ("not_in_channel", CHANNEL)
    assert (
        asked.shown == ref_of(models, request) == {"channel": CHANNEL, "ts": message.answer["ts"]}
    )


def test_two_approvals_typed_in_slack_update_the_one_message_in_place(
    service: Service, models: ModelFactory, fake: FakeSlack
) -> None:
    """The quorum of two: each approval redraws the same message (no copy is posted), and
    the last one leaves it without buttons."""
    version = models.version("fraud-detector", auc=0.93)
    with asked_in(TYPED):
        request = ask(service, f"promote fraud-detector v{version} production", "slack:U01BOB")
    assert request.request_id
    [message] = fake.api_calls("chat.postMessage")

    for actor, comment in (("slack:U01ALICE", "dashboards fine"), ("slack:U01ERIN", "ok")):
        with asked_in(TYPED):
            service.handle(Approve(request.request_id, comment), Context(actor, "slack"))

    assert fake.api_calls("chat.postMessage") == [message]
    first, last = updates(fake)
    assert {u.body["ts"] for u in (first, last)} == {message.answer["ts"]}
    assert len(first.actions()) == 3 and "is waiting for 1 approval" in first.text
    assert last.actions() == [] and "done" in last.text
    assert ref_of(models, request)["final"] == "done"
