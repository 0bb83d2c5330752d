"""Every name promobot gives its state in MLflow (bot/core/state/keys.py): tag keys in the
layout docs/contract.md names, either layout read, keys that sort in the order they were
written, and the lock a request id names."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.core.state import keys

AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
MS = "1795600800000"  # AT in milliseconds


@pytest.mark.parametrize(
    ("key", "written"),
    [
        (keys.request_key("req-1"), "mlflow.promobot.request.req-1"),
        (keys.state_key("req-1"), "mlflow.promobot.request.req-1.state"),
        (keys.message_key("req-1", "slack"), "mlflow.promobot.request.req-1.slack"),
        (keys.approval_key("req-1", "alice"), "mlflow.promobot.request.req-1.approval.alice"),
        (keys.drift_key("production"), "mlflow.promobot.drift.production"),
        (keys.verification_key("req-1"), "mlflow.promobot.verification.req-1"),
        (keys.delivery_key("d-1"), "mlflow.promobot.webhook.d-1"),
        (keys.deployment_tag("Production"), "github_deployment.Production"),
        (keys.deployment_tag("@champion"), "github_deployment.champion"),
        (keys.lock_model_name("8b4e"), "promobot-lock.8b4e"),
    ],
    ids=[
        "request",
        "outcome",
        "door-message",
        "approval",
        "drift",
        "verification",
        "webhook-delivery",
        "deployment-stage",
        "deployment-alias-without-at",
        "lock-model",
    ],
)
def test_each_fact_has_its_key(key: str, written: str) -> None:
    assert key == written


def test_a_request_is_looked_for_in_the_current_layout_then_the_legacy_one() -> None:
    assert keys.request_keys("req-1") == ("mlflow.promobot.request.req-1", "promobot.request.req-1")


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("alice", "alice"),
        ("a b/c.d-e_f", "a b/c.d-e_f"),
        ("bob@example.com", "bob_example.com_a460e37bf4"),
        ("slack:U01BOB", "slack_U01BOB_de726adb1f"),
        ("@champion", "_champion_5c9b7ae76c"),
        ("a" * 81, "a" * 60 + "_5832a02d8a"),
    ],
    ids=["plain", "every-safe-character", "email", "handle", "alias", "too-long"],
)
def test_a_tag_key_part_is_kept_when_safe_else_made_safe_and_unique(text: str, part: str) -> None:
    assert keys.safe_tag_part(text) == part
    assert re.fullmatch(r"[A-Za-z0-9_\-. /]{1,80}", part)


def test_a_target_lock_is_named_by_4_hex_digits_request_ids_begin_with() -> None:
    assert keys.mutex_bucket("sentiment-classifier", "production") == "8b4e"
    assert keys.mutex_bucket("sentiment-classifier", "staging") != "8b4e"


@pytest.mark.parametrize(
    ("request_id", "bucket"),
    [("req-8b4e495d52", "8b4e"), ("req-abcdef", None), ("req-8b4e495d5", None), ("typed", None)],
    ids=["made-by-promobot", "short", "one-digit-short", "not-an-id"],
)
def test_the_lock_a_request_id_names(request_id: str, bucket: str | None) -> None:
    assert keys.request_bucket(request_id) == bucket


@pytest.mark.parametrize(
    ("key", "rid"),
    [
        ("mlflow.promobot.request.req-1", "req-1"),
        ("promobot.request.req-1", "req-1"),
        ("mlflow.promobot.request.req-1.state", None),
        ("mlflow.promobot.request.", None),
        ("mlflow.promobot.event.1.2.req-1", None),
    ],
    ids=["current", "legacy", "its-outcome", "no-id", "an-event"],
)
def test_the_request_id_of_a_requests_own_key(key: str, rid: str | None) -> None:
    assert keys.request_id_of(key) == rid


def test_event_and_lock_keys_carry_when_they_were_written() -> None:
    event = keys.event_key(AT, "req-1")
    lock = keys.target_lock_key(AT, "@champion")
    assert re.fullmatch(rf"mlflow\.promobot\.event\.{MS}\.[0-9]{{20}}\.req-1", event)
    assert re.fullmatch(rf"mlflow\.promobot\.target-lock\.{MS}\.[0-9]{{20}}\.alias-champion", lock)
    assert keys.sequence(event)[0] == keys.sequence(lock)[0] == int(MS)


@pytest.mark.parametrize(
    ("key", "order"),
    [
        ("promobot.event.5.6.req-1", (5, 6)),
        ("mlflow.promobot.target-lock.7.8.production", (7, 8)),
        ("mlflow.promobot.event.x.y.req-1", (0, 0)),
        ("mlflow.promobot.event.5", (0, 0)),
        ("mlflow.promobot.request.req-1", (0, 0)),
    ],
    ids=["legacy-event", "target-lock", "not-numbers", "too-short", "not-sequenced"],
)
def test_sequence(key: str, order: tuple[int, int]) -> None:
    assert keys.sequence(key) == order


def test_events_of_both_layouts_sort_by_when_not_by_prefix() -> None:
    tags = {
        "mlflow.promobot.event.0000000000002.00000000000000000001.b": "",
        "promobot.event.0000000000001.00000000000000000009.a": "",
        "mlflow.promobot.request.req-1": "",
        "mlflow.promobot.event.0000000000002.00000000000000000000.c": "",
    }
    assert keys.event_keys(tags) == [
        "promobot.event.0000000000001.00000000000000000009.a",
        "mlflow.promobot.event.0000000000002.00000000000000000000.c",
        "mlflow.promobot.event.0000000000002.00000000000000000001.b",
    ]
