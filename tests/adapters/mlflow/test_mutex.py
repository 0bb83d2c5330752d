"""The lock of one target (bot/adapters/mlflow/mutex.py), through the gateway on a real
SQLite registry: a registered model of its own while a command holds it, refused to a
second taker, let go whatever happens, and taken over once its holder's time is up."""

from __future__ import annotations

import pytest

from bot.adapters.mlflow.gateway import Registry
from bot.core.ports.registry import MutexBusy
from bot.core.state import mutex_bucket

BUCKET = mutex_bucket("sentiment-classifier", "production")
LOCK = f"promobot-lock.{BUCKET}"


def lock_models(models) -> dict[str, dict[str, str]]:
    """promobot's lock models in MLflow, with their tags."""
    return {
        rm.name: dict(rm.tags)
        for rm in models.client.search_registered_models()
        if rm.name.startswith("promobot-lock.")
    }


def test_the_lock_is_a_model_of_its_own_while_held_and_gone_after(tracking_uri, models) -> None:
    registry = Registry(tracking_uri)
    with registry.mutex(BUCKET, "sentiment-classifier", "production") as owner:
        tags = lock_models(models)[LOCK]
        assert tags["promobot.lock.owner"] == owner
        assert (tags["promobot.lock.model"], tags["promobot.lock.target"]) == (
            "sentiment-classifier",
            "production",
        )
        assert float(tags["promobot.lock.expires"]) > 0
    assert lock_models(models) == {}


def test_a_second_taker_is_told_who_holds_it(tracking_uri, models) -> None:
    holder = Registry(tracking_uri)
    other = Registry(tracking_uri, lock_wait_s=0)
    with holder.mutex(BUCKET, "sentiment-classifier", "production") as owner:
        with (
            pytest.raises(MutexBusy) as raised,
            other.mutex(BUCKET, "sentiment-classifier", "production"),
        ):
            pytest.fail("two holders at once")
        assert str(raised.value) == (
            f"another promotion of sentiment-classifier production is in progress ({owner}); "
            "try again in a minute"
        )
        assert raised.value.kind == "conflict"
    assert lock_models(models) == {}


def test_a_failing_block_lets_go_of_the_lock(tracking_uri, models) -> None:
    registry = Registry(tracking_uri)
    with (
        pytest.raises(ValueError, match="the command failed"),
        registry.mutex(BUCKET, "sentiment-classifier", "production"),
    ):
        raise ValueError("the command failed")
    assert lock_models(models) == {}


def test_a_lock_left_by_a_dead_process_is_taken_over_and_the_takeover_recorded(
    tracking_uri, models
) -> None:
    dead = "gone-host:4242:deadbeef"
    models.client.create_registered_model(
        LOCK, tags={"promobot.lock.owner": dead, "promobot.lock.expires": "1.000"}
    )
    registry = Registry(tracking_uri, lock_wait_s=0)
    with registry.mutex(BUCKET, "sentiment-classifier", "production") as owner:
        assert owner != dead
        assert lock_models(models)[LOCK]["promobot.lock.owner"] == owner
    left = lock_models(models)
    (marker,) = left
    assert marker.startswith(f"{LOCK}.broken-")
    assert left[marker] == {"promobot.lock.broken": dead}
