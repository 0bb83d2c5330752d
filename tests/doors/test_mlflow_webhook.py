"""POST /mlflow/webhook in-process (bot/doors/mlflow_webhook.py), on the WSGI app of
`promobot serve` and a real SQLite registry: good, forged, stale, unsigned and replayed
deliveries. Deliveries are signed with MLflow's own signing function, so the check is
the one MLflow's server satisfies."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

import pytest
from mlflow.webhooks.delivery import _generate_hmac_signature
from service_helpers import M

from bot.doors.mlflow_webhook import MlflowWebhookDoor
from bot.doors.slack.http_app import wsgi_app

SECRET = "whsec-0123456789abcdef0123456789abcdef"
NOW = 1_800_000_000


class Later(Executor):
    """Holds the work submitted after an answer until the test runs it."""

    def __init__(self) -> None:
        self.queued: list[Callable[[], Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.queued.append(lambda: fn(*args, **kwargs))
        return Future()

    def run(self) -> None:
        while self.queued:
            self.queued.pop(0)()


class Announced:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def __call__(self, model: str, version: int) -> None:
        self.calls.append((model, version))


def no_slack(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    raise AssertionError("a webhook delivery reached the Slack door")


@pytest.fixture
def later() -> Later:
    return Later()


@pytest.fixture
def announced(service) -> Announced:
    recorder = Announced()
    service.announce_version = recorder
    return recorder


@pytest.fixture
def app(service, later) -> Callable[..., Any]:
    door = MlflowWebhookDoor(SECRET, lambda: service, later, clock=lambda: NOW)
    return wsgi_app(no_slack, door)


def body_of(version: int, model: str = M) -> bytes:
    """A body as MLflow's server writes it (json.dumps of entity, action, timestamp, data)."""
    payload = {
        "entity": "model_version",
        "action": "created",
        "timestamp": "2027-01-15T08:00:00.000000+00:00",
        "data": {
            "name": model,
            "version": str(version),
            "source": "models:/m-0123",
            "run_id": "abc",
            "tags": {},
            "description": None,
        },
    }
    return json.dumps(payload).encode()


def signed(body: bytes, delivery_id: str = "3f1c", at: int = NOW, secret: str = SECRET) -> dict:
    stamp = str(at)
    return {
        "X-MLflow-Delivery-Id": delivery_id,
        "X-MLflow-Timestamp": stamp,
        "X-MLflow-Signature": _generate_hmac_signature(secret, delivery_id, stamp, body.decode()),
    }


def post(
    app: Callable[..., Any], body: bytes, headers: dict[str, str], method: str = "POST"
) -> tuple[int, dict[str, Any]]:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": "/mlflow/webhook",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    answered: list[str] = []
    chunks = app(environ, lambda status, headers: answered.append(status))
    text = b"".join(chunks)
    return int(answered[0].split()[0]), json.loads(text) if text else {}


def delivery_tags(models) -> dict[str, str]:
    return {
        k: v for k, v in models.model_tags(M).items() if k.startswith("mlflow.promobot.webhook.")
    }


def test_a_good_delivery_is_answered_at_once_and_handled_after(
    app, later, announced, models, two_versions
) -> None:
    _, v2 = two_versions
    body = body_of(v2)

    assert post(app, body, signed(body)) == (200, {"ok": True})
    # Answered before any work: nothing read or written yet.
    assert announced.calls == [] and delivery_tags(models) == {}
    assert len(later.queued) == 1

    later.run()
    assert announced.calls == [(M, v2)]
    assert list(delivery_tags(models)) == ["mlflow.promobot.webhook.3f1c"]


def test_the_signature_is_mlflows_construction(app, later, two_versions) -> None:
    """v1 + base64 of HMAC-SHA256 over "{delivery id}.{timestamp}.{body}", built here by
    hand: the door accepts exactly what the documented recipe makes."""
    import base64
    import hashlib
    import hmac

    body = body_of(two_versions[1])
    mac = hmac.new(SECRET.encode(), b"id-7." + str(NOW).encode() + b"." + body, hashlib.sha256)
    headers = {
        "X-MLflow-Delivery-Id": "id-7",
        "X-MLflow-Timestamp": str(NOW),
        "X-MLflow-Signature": "v1," + base64.b64encode(mac.digest()).decode(),
    }
    assert headers == signed(body, "id-7")
    assert post(app, body, headers)[0] == 200
    # A second signature beside it (a secret being rotated) is looked at too.
    rotating = {**headers, "X-MLflow-Signature": "v1,AAAA " + headers["X-MLflow-Signature"]}
    assert post(app, body, rotating)[0] == 200


@pytest.mark.parametrize(
    "forge",
    [
        lambda body: (body, signed(body, secret="not-the-secret")),
        lambda body: (body.replace(b'"version": "2"', b'"version": "1"'), signed(body)),
        lambda body: (body, {**signed(body), "X-MLflow-Delivery-Id": "another-id"}),
        lambda body: (body, {**signed(body), "X-MLflow-Timestamp": str(NOW - 1)}),
        lambda body: (body, {**signed(body), "X-MLflow-Signature": "v0," + "A" * 44}),
        lambda body: (body, {**signed(body), "X-MLflow-Signature": "garbage"}),
    ],
    ids=["wrong-secret", "body-changed", "id-changed", "time-changed", "v0", "garbage"],
)
def test_a_forged_delivery_gets_401_and_nothing_happens(
    app, later, announced, models, two_versions, forge
) -> None:
    body, headers = forge(body_of(two_versions[1]))
    assert post(app, body, headers) == (
        401,
        {"ok": False, "error": "the signature does not match"},
    )
    assert later.queued == []
    later.run()
    assert announced.calls == [] and delivery_tags(models) == {}


@pytest.mark.parametrize("age", [301, -301, 3600])
def test_a_stale_delivery_gets_401_however_well_signed(app, later, two_versions, age) -> None:
    body = body_of(two_versions[1])
    status, answer = post(app, body, signed(body, at=NOW - age))
    assert status == 401
    assert answer["error"] == "stale: the timestamp is more than five minutes from now"
    assert later.queued == []


@pytest.mark.parametrize(
    "stamp",
    [
        "²",  # str.isdigit() takes it, int() refuses it
        "1" * 5000,  # int() refuses more than 4,300 digits
        str(NOW) + "0" * 20,
        "١٨٠٠٠٠٠٠٠٠",  # Arabic-Indic digits: int() reads them as NOW
        f"+{NOW}",
        f"{NOW:_}",
        f"{NOW}.5",
        "-1",
        "0x6b49d200",
    ],
    ids=[
        "superscript-two",
        "5000-digits",
        "too-long",
        "arabic-indic",
        "plus",
        "underscores",
        "fraction",
        "negative",
        "hex",
    ],
)
def test_a_timestamp_that_is_not_unix_seconds_gets_401_before_any_work(
    app, later, two_versions, stamp
) -> None:
    """Checked before the signature, as ASCII digits of bounded length: never a 500 and a
    traceback for whoever can reach the port, signed or not."""
    body = body_of(two_versions[1])
    headers = {**signed(body), "X-MLflow-Timestamp": stamp}
    headers["X-MLflow-Signature"] = _generate_hmac_signature(
        SECRET, headers["X-MLflow-Delivery-Id"], stamp, body.decode()
    )
    assert post(app, body, headers) == (
        401,
        {"ok": False, "error": "the timestamp is not Unix seconds"},
    )
    assert later.queued == []


def test_a_delivery_within_five_minutes_is_accepted(app, later, two_versions) -> None:
    body = body_of(two_versions[1])
    assert post(app, body, signed(body, "a", at=NOW - 299))[0] == 200
    assert post(app, body, signed(body, "b", at=NOW + 299))[0] == 200
    assert len(later.queued) == 2


@pytest.mark.parametrize(
    "missing", ["X-MLflow-Signature", "X-MLflow-Timestamp", "X-MLflow-Delivery-Id", "all"]
)
def test_an_unsigned_delivery_gets_401(app, later, two_versions, missing) -> None:
    body = body_of(two_versions[1])
    headers = {} if missing == "all" else signed(body)
    headers.pop(missing, None)
    status, answer = post(app, body, headers)
    assert status == 401
    assert answer["error"].startswith("unsigned: X-MLflow-Signature, X-MLflow-Timestamp")
    assert later.queued == []


def test_a_replayed_delivery_is_acknowledged_and_ignored(
    app, later, announced, models, two_versions, caplog
) -> None:
    _, v2 = two_versions
    body = body_of(v2)
    headers = signed(body, "5d2e")
    assert post(app, body, headers) == (200, {"ok": True})
    later.run()

    caplog.set_level("INFO", logger="promobot.webhooks")
    assert post(app, body, headers) == (200, {"ok": True})
    later.run()

    assert announced.calls == [(M, v2)]
    assert list(delivery_tags(models)) == ["mlflow.promobot.webhook.5d2e"]
    assert f"model_version.created on {M}: delivery 5d2e seen before; ignored" in caplog.text


def test_without_a_secret_every_delivery_gets_401(service, later, two_versions) -> None:
    app = wsgi_app(no_slack, MlflowWebhookDoor("", lambda: service, later, clock=lambda: NOW))
    body = body_of(two_versions[1])
    status, answer = post(app, body, signed(body))
    assert status == 401
    assert "PROMOBOT_MLFLOW_WEBHOOK_SECRET is not set" in answer["error"]
    assert later.queued == []


def test_other_methods_sizes_and_bodies(app, later) -> None:
    assert post(app, b"", {}, method="GET")[0] == 405
    assert post(app, b"x" * 1_000_001, {})[0] == 413
    not_an_event = b'{"hello": "world"}'
    assert post(app, not_an_event, signed(not_an_event)) == (
        400,
        {"ok": False, "error": "the body is not an MLflow event"},
    )
    assert post(app, b"[1, 2", signed(b"[1, 2"))[0] == 400
    assert later.queued == []


def test_work_that_fails_is_logged_and_goes_no_further(later, caplog, monkeypatch) -> None:
    from conftest import SERVICE_POLICY

    from bot.adapters.mlflow.gateway import Registry
    from bot.core.policy import load_policy
    from bot.core.service import Service

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    down = Service(Registry("http://127.0.0.1:9", lock_wait_s=1), load_policy(SERVICE_POLICY))
    app = wsgi_app(no_slack, MlflowWebhookDoor(SECRET, lambda: down, later, clock=lambda: NOW))
    body = body_of(3)

    assert post(app, body, signed(body)) == (200, {"ok": True})
    later.run()

    assert "mlflow webhook 3f1c failed: MLflow is unreachable at http://127.0.0.1:9" in caplog.text
