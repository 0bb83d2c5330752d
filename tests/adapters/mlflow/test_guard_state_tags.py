"""The guard's bulk delete of promobot's state tags (bot/adapters/mlflow/guard/state_tags.py)
in a real guarded `mlflow server`, on SQLite and PostgreSQL (the session's `guarded_mlflow`),
and the gateway's choice between it and one delete per key (a plain `mlflow server`)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from servers import Guarded

from bot.adapters.mlflow.gateway import Registry
from bot.adapters.mlflow.guard_calls import (
    GUARD_REFUSED,
    STATE_TAGS_MAX_KEYS,
    STATE_TAGS_PATH,
)

pytestmark = pytest.mark.server

STATE = {
    "mlflow.promobot.request.req-0a1b2c": '{"id": "req-0a1b2c"}',
    "mlflow.promobot.event.1.2.req-0a1b2c": '{"kind": "executed"}',
    "promobot.request.req-9f8e7d": '{"id": "req-9f8e7d"}',  # an earlier release's layout
}
THEIRS = {"team": "nlp"}


def model_with_state(guarded: Guarded) -> str:
    """A governed model made by CI, holding promobot's state (written by promobot's
    account) and a tag of the team's own."""
    model = f"governed-{uuid.uuid4().hex[:8]}"
    guarded.ci_versions(model, 1, {})
    with guarded.as_user("promobot") as client:
        for key, value in {**STATE, **THEIRS}.items():
            client.set_registered_model_tag(model, key, value)
    return model


def tags_of(guarded: Guarded, model: str) -> dict[str, str]:
    with guarded.as_user("promobot") as client:
        return dict(client.get_registered_model(model).tags)


def test_the_guard_offers_it_in_its_summary(guarded_mlflow: Guarded) -> None:
    summary = guarded_mlflow.http("eng", "GET", "/api/2.0/promobot/guard").json()
    assert summary["deletes_state_tags"] == STATE_TAGS_PATH


def test_promobots_account_deletes_state_tags_in_one_request(guarded_mlflow: Guarded) -> None:
    model = model_with_state(guarded_mlflow)
    keys = [*STATE, "mlflow.promobot.event.9.9.req-gone"]  # the last is not there: fine
    answer = guarded_mlflow.http("promobot", "POST", STATE_TAGS_PATH, {"name": model, "keys": keys})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"deleted": 4}
    assert tags_of(guarded_mlflow, model) == THEIRS


@pytest.mark.parametrize(
    ("user", "body", "status", "code", "says"),
    [
        ("eng", None, 403, "PERMISSION_DENIED", GUARD_REFUSED),
        (None, None, 401, None, ""),
        ("promobot", {"keys": [*STATE, "team"]}, 400, "INVALID_PARAMETER_VALUE", "'team'"),
        (
            "promobot",
            {"keys": ["mlflow.promobot.x"] * (STATE_TAGS_MAX_KEYS + 1)},
            400,
            "INVALID_PARAMETER_VALUE",
            f"at most {STATE_TAGS_MAX_KEYS}",
        ),
        ("promobot", {"keys": "mlflow.promobot.x"}, 400, "INVALID_PARAMETER_VALUE", "`keys`"),
        ("promobot", {"name": ["a"]}, 400, "INVALID_PARAMETER_VALUE", "`name`"),
        ("promobot", {"name": "governed-none"}, 404, "RESOURCE_DOES_NOT_EXIST", "governed-none"),
    ],
    ids=[
        "not-a-service-account",
        "no-credentials",
        "a-key-not-promobots",
        "too-many-keys",
        "keys-not-a-list",
        "name-not-a-string",
        "unknown-model",
    ],
)
def test_what_it_refuses_deletes_nothing(
    guarded_mlflow: Guarded,
    user: str | None,
    body: dict[str, Any] | None,
    status: int,
    code: str | None,
    says: str,
) -> None:
    model = model_with_state(guarded_mlflow)
    sent = {"name": model, "keys": list(STATE), **(body or {})}
    answer = guarded_mlflow.http(user, "POST", STATE_TAGS_PATH, sent)
    assert answer.status_code == status, answer.text
    if code is not None:
        assert answer.json()["error_code"] == code
        assert says in answer.json()["message"]
    assert tags_of(guarded_mlflow, model) == {**STATE, **THEIRS}


def _per_key_forbidden(model: str, key: str) -> None:
    raise AssertionError(f"deleted {key} of {model} one by one")


def test_the_gateway_deletes_through_the_guard_when_it_offers_it(
    guarded_mlflow: Guarded, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = model_with_state(guarded_mlflow)
    with guarded_mlflow.as_user("promobot"):
        registry = Registry(guarded_mlflow.url)
        monkeypatch.setattr(registry, "delete_model_tag", _per_key_forbidden)
        registry.delete_model_tags(model, list(STATE))
    assert tags_of(guarded_mlflow, model) == THEIRS


def test_the_gateway_deletes_one_by_one_on_a_plain_server(mlflow_server: Any) -> None:
    from mlflow import MlflowClient

    model = f"plain-{uuid.uuid4().hex[:8]}"
    client = MlflowClient(tracking_uri=mlflow_server.url)
    client.create_registered_model(model, tags={**STATE, **THEIRS})
    registry = Registry(mlflow_server.url)
    registry.delete_model_tags(model, list(STATE))
    assert dict(client.get_registered_model(model).tags) == THEIRS
    assert registry._state_tags_path == ""  # asked once: the server offers no bulk delete
