"""MLflow 3's webhooks through the gateway (bot/adapters/mlflow/webhooks.py) on a real
SQLite registry: what MLflow holds after each call, as promobot's values (a file store
and MLflow refusing a URL: test_webhooks.py, through the install)."""

from __future__ import annotations

import pytest

from bot.adapters.mlflow.gateway import Registry
from bot.core.ports.registry import RegistryError, WebhookInfo

URL = "https://promobot.example.com/mlflow/webhook"
EVENTS = ("model_version.created", "model_version_alias.created")


@pytest.fixture
def registry(tracking_uri: str, monkeypatch: pytest.MonkeyPatch) -> Registry:
    # MLflow checks a webhook's host in the process that stores it; no DNS here.
    monkeypatch.setenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS", "true")
    return Registry(tracking_uri)


def held(models) -> list[tuple[str, str, tuple[str, ...], str, str]]:
    """The webhooks MLflow holds, read with MLflow's own client."""
    return [
        (h.webhook_id, h.url, tuple(sorted(str(e) for e in h.events)), str(h.status), h.description)
        for h in models.client.list_webhooks()
    ]


def test_created_listed_updated_and_deleted_as_mlflow_holds_them(
    registry: Registry, models
) -> None:
    made = registry.create_webhook("promobot", URL, EVENTS[:1], "s3cret", "promobot's")
    assert made == WebhookInfo(
        webhook_id=made.webhook_id,
        name="promobot",
        url=URL,
        events=("model_version.created",),
        status="ACTIVE",
        description="promobot's",
        created_ms=made.created_ms,
    )
    assert made.created_ms > 0
    assert registry.webhooks() == [made]
    assert held(models) == [
        (made.webhook_id, URL, ("model_version.created",), "ACTIVE", "promobot's")
    ]

    models.client.update_webhook(made.webhook_id, status="DISABLED")
    moved = registry.update_webhook(made.webhook_id, URL + "2", EVENTS, "another", "moved")
    assert (moved.webhook_id, moved.url, moved.events, moved.status) == (
        made.webhook_id,
        URL + "2",
        EVENTS,
        "ACTIVE",
    )
    assert held(models) == [(made.webhook_id, URL + "2", tuple(sorted(EVENTS)), "ACTIVE", "moved")]
    assert models.client.get_webhook(made.webhook_id).secret == "another"

    registry.delete_webhook(made.webhook_id)
    assert (registry.webhooks(), held(models)) == ([], [])


def test_deleting_a_webhook_mlflow_no_longer_has_is_mlflow_refusing(registry: Registry) -> None:
    with pytest.raises(RegistryError) as raised:
        registry.delete_webhook("0" * 32)
    assert (raised.value.kind, raised.value.code) == ("refused", "RESOURCE_DOES_NOT_EXIST")


def test_mlflows_refusal_reads_as_sentences(registry: Registry, tracking_uri: str) -> None:
    with pytest.raises(RegistryError) as raised:
        registry.delete_webhook("0" * 32)
    assert str(raised.value) == (
        f"MLflow at {tracking_uri} refused to delete the webhook {'0' * 32}: "
        f"RESOURCE_DOES_NOT_EXIST: Webhook with ID {'0' * 32} not found. Check the name or id, "
        "and that MLFLOW_TRACKING_URI is the MLflow that holds it."
    )
