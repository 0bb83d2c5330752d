"""Keeping a request's Slack message in step: the Slack notifier, subscribed to the
service's events (a decision made on GitHub or in the CLI), and the scheduled pass
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

from bot.config import Settings
from bot.core.commands import Approve, Deny, parse
from bot.core.results import Result
from bot.core.service import Context, Service
from bot.notifiers.slack import (
    DOOR,
    KINDS,
    SlackRequestSync,
    api_base_url,
    update_request_message,
    web_client,
)
from bot.render.slack_blocks import fallback_text, result_blocks

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
    """The service as bot/app.py wires it where a Slack token is set."""
    service.events.subscribe(SlackRequestSync(service, web_client(settings)), KINDS)
    return service


@pytest.fixture
def quiet(service_factory: Any) -> Service:
    """A second service on the same registry with no notifier: a door with no Slack token."""
    return service_factory()


def ask(service: Service, text: str, actor: str) -> Result:
    command = parse(text).command
    assert command is not None, text
    return service.handle(command, Context(actor=actor, channel="slack"))


def post_request(service: Service, settings: Settings, result: Result) -> dict[str, str]:
    """What the Slack door does with a pending request: post it, remember where."""
    assert result.status == "pending" and result.request_id and result.model
    answer = web_client(settings).chat_postMessage(
        channel=CHANNEL, text=fallback_text(result), blocks=result_blocks(result, buttons=True)
    )
    ref = {"channel": answer["channel"], "ts": answer["ts"]}
    service.remember_message(result.model, result.request_id, DOOR, ref)
    return ref


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
    post_request(service, settings, result)
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
    post_request(service, settings, request)
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
