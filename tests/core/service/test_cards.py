"""A new version's card (bot/core/service/cards.py): `Service.version_card` and
`Service.announce_version`, on a real SQLite registry under the service tests' policy."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import ModelFactory
from service_helpers import M, run, to_production

from bot.core import events
from bot.core.results import MetricRow
from bot.core.service import Service

COMMIT = "0123456789abcdef0123456789abcdef01234567"
RUN_URL = "https://github.com/acme/models/actions/runs/42"


class Recorder:
    def __init__(self) -> None:
        self.seen: list[events.Event] = []

    def notify(self, event: events.Event) -> None:
        self.seen.append(event)


def registered_by_ci(models: ModelFactory, **metrics: float) -> int:
    """A version with the tags `promobot register` writes."""
    version = models.version(M, **metrics)
    for key, value in {
        "git_commit": COMMIT,
        "git_branch": "tune-threshold",
        "git_pull_request": "7",
        "ci_run_url": RUN_URL,
    }.items():
        models.client.set_model_version_tag(M, str(version), key, value)
    return version


def test_the_card_holds_where_the_version_came_from_its_metrics_and_what_is_next(
    service: Service, models: ModelFactory
) -> None:
    held = models.version(M, accuracy=0.88, f1=0.86, precision=0.8)
    assert to_production(service, held).status == "done"
    new = registered_by_ci(models, accuracy=0.91, f1=0.89, recall=0.7)

    card = service.version_card(M, new)

    assert card is not None
    assert (card.status, card.action, card.model, card.version) == ("done", "registered", M, new)
    version = models.client.get_model_version(M, str(new))
    assert card.extra == {
        "run_id": version.run_id,
        "git_commit": COMMIT,
        "git_branch": "tune-threshold",
        "git_pull_request": "7",
        "ci_run_url": RUN_URL,
        "production_version": held,
        "production_label": "Production",
        "next_targets": ["staging", "production", "archived", "@champion"],
    }
    # The production rule's gated metrics first, then the rest (as a request's table).
    assert list(card.metrics) == [
        MetricRow("accuracy", 0.91, 0.88),
        MetricRow("f1", 0.89, 0.86),
        MetricRow("precision", None, 0.8),
        MetricRow("recall", 0.7, None),
    ]
    assert [(s.command, s.click) for s in card.next_steps][:2] == [
        (f"promote {M} v{new} staging", "Promote to Staging"),
        (f"promote {M} v{new} production", "Promote to Production"),
    ]
    assert card.to_json()["data"]["next_targets"][0] == "staging"


def test_the_targets_a_version_holds_are_not_offered_again(
    service: Service, models: ModelFactory
) -> None:
    version = models.version(M, accuracy=0.91, f1=0.89)
    assert run(service, "slack:U01BOB", f"promote {M} v{version} staging").status == "done"
    assert run(service, "github:alice", f"promote {M} v{version} @champion").status == "done"

    card = service.version_card(M, f"v{version}")

    assert card is not None
    assert card.extra["next_targets"] == ["production", "archived"]
    # Nothing in Production: the metrics stand alone.
    assert card.extra["production_version"] is None
    assert all(row.current is None for row in card.metrics)


def test_a_version_without_ci_tags_or_metrics_still_has_a_card(
    service: Service, models: ModelFactory
) -> None:
    version = models.version(M)

    card = service.version_card(M, str(version))

    assert card is not None
    assert {k: card.extra[k] for k in ("git_commit", "git_pull_request", "ci_run_url")} == {
        "git_commit": "",
        "git_pull_request": "",
        "ci_run_url": "",
    }
    # The gated metrics are shown even when the run did not log them: the gates will ask.
    assert list(card.metrics) == [MetricRow("accuracy", None, None), MetricRow("f1", None, None)]


@pytest.mark.parametrize(
    ("model", "version"),
    [("churn-model", 1), (M, 9), (M, "latest"), (M, 0)],
    ids=["not governed", "no such version", "not a number", "zero"],
)
def test_no_card_and_nothing_announced_without_a_governed_version(
    service: Service, models: ModelFactory, model: str, version: Any
) -> None:
    models.version(M, accuracy=0.9)
    models.version("churn-model", accuracy=0.9)
    recorder = Recorder()
    service.events.subscribe(recorder)

    assert service.version_card(model, version) is None
    assert service.announce_version(model, version) is None
    assert recorder.seen == []


def test_announcing_a_version_publishes_its_card_and_writes_nothing(
    service: Service, models: ModelFactory
) -> None:
    version = registered_by_ci(models, accuracy=0.91, f1=0.89)
    before = models.snapshot(M)
    recorder = Recorder()
    service.events.subscribe(recorder, (events.VERSION_REGISTERED,))

    card = service.announce_version(M, version)

    [event] = recorder.seen
    assert event.kind == "version_registered"
    assert event.result is card
    assert (event.ctx.actor, event.ctx.channel) == ("promobot", "mlflow")
    assert models.snapshot(M) == before
