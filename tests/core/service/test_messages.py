"""Where a request is shown outside the registry, and the pass that keeps those messages
in step (bot/core/service/messages.py), on a real SQLite registry: what MLflow holds,
and what the pass publishes for the Slack notifier to redraw."""

from __future__ import annotations

import json

import pytest
from service_helpers import M, run

from bot.core import events
from bot.core.service import Service

SHOWN = {"channel": "C0RELEASES", "ts": "1700000000.000100"}


class Published:
    def __init__(self) -> None:
        self.kinds: list[tuple[str, str | None, str]] = []

    def notify(self, event: events.Event) -> None:
        self.kinds.append((event.kind, event.result.request_id, event.ctx.channel))


@pytest.fixture
def published(service: Service) -> Published:
    seen = Published()
    service.events.subscribe(seen)
    return seen


@pytest.fixture
def waiting(service: Service, models, published: Published) -> str:
    """A request for Production, shown in Slack; its id."""
    version = models.version(M, accuracy=0.91, f1=0.874)
    assert (
        run(service, "slack:U01BOB", f"promote {M} v{version} staging candidate").status == "done"
    )
    pending = run(service, "slack:U01BOB", f"promote {M} v{version} production shadow ok")
    assert pending.status == "pending" and pending.request_id
    service.remember_message(M, pending.request_id, "slack", SHOWN)
    published.kinds.clear()
    return pending.request_id


def test_where_a_request_is_shown_is_kept_in_mlflow_and_marks_the_model(service, models) -> None:
    models.version(M, accuracy=0.91, f1=0.874)
    service.remember_message(M, "req-0000aaaaaa", "slack", {**SHOWN, "final": "1"})
    tags = models.model_tags(M)
    assert "mlflow.promobot.slack.posted" not in tags  # a final message needs no pass
    service.remember_message(M, "req-0000bbbbbb", "slack", SHOWN)
    tags = models.model_tags(M)
    assert json.loads(tags["mlflow.promobot.request.req-0000bbbbbb.slack"]) == SHOWN
    assert tags["mlflow.promobot.slack.posted"] == "1"
    assert service.message_ref(M, "req-0000aaaaaa", "slack") == {**SHOWN, "final": "1"}
    assert service.message_ref(M, "req-0000bbbbbb", "teams") is None
    assert service.message_ref("no-such-model", "req-0000bbbbbb", "slack") is None


def test_the_pass_closes_an_expired_request_once(
    service, models, clock, waiting, published
) -> None:
    assert service.sweep("slack") == 0  # still open
    clock.advance(hours=25)
    assert service.sweep("slack") == 1
    state = json.loads(models.model_tags(M)[f"mlflow.promobot.request.{waiting}.state"])
    assert (state["state"], state["by"]) == ("expired", "promobot")
    assert published.kinds == [(events.REQUEST_EXPIRED, waiting, "sweep")]


def test_a_request_decided_where_no_notifier_listened_is_published_after_a_grace(
    service, clock, waiting, published
) -> None:
    assert run(service, "github:alice", f"approve {waiting}").status == "done"
    published.kinds.clear()
    assert service.sweep("slack") == 0  # the deciding door's notifier gets a moment
    clock.advance(seconds=16)
    assert service.sweep("slack") == 1
    assert published.kinds == [(events.REQUEST_DECIDED, waiting, "sweep")]
    # Once the notifier has redrawn it for good, the pass leaves it alone.
    service.remember_message(M, waiting, "slack", {**SHOWN, "final": "1"})
    assert service.sweep("slack") == 0
