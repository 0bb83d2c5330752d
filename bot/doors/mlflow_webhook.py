"""The MLflow webhook door of `promobot serve`: `POST /mlflow/webhook`.

MLflow 3 (mlflow/webhooks/delivery.py) posts a JSON body `{"entity", "action",
"timestamp", "data"}` with three headers:

    X-MLflow-Delivery-Id   a fresh UUID per delivery (its retries resend the same one)
    X-MLflow-Timestamp     Unix seconds, when it was sent
    X-MLflow-Signature     `v1,` + base64(HMAC-SHA256(secret, "{id}.{timestamp}.{body}"))

A delivery is answered before any work: 401 when it is unsigned, wrongly signed, or more
than five minutes from now (either way), or when PROMOBOT_MLFLOW_WEBHOOK_SECRET is not
set; 400 when a signed body is not an event; otherwise 200 at once, and the work (one
call into the service, which ignores a delivery id it has seen) runs afterwards in the
process's work threads, as Slack's commands do. MLflow retries only 429 and 5xx answers,
so none of these is delivered again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from bot.core.ports.registry import RegistryError
from bot.core.service.webhooks import Delivery

if TYPE_CHECKING:
    from bot.core.service import Service
    from bot.core.service.webhooks import Delivery

log = logging.getLogger("promobot.webhooks")

WEBHOOK_PATH = "/mlflow/webhook"
MAX_AGE_S = 300  # five minutes, as Slack's requests
BODY_MAX = 1_000_000  # MLflow's payloads are a few hundred bytes
SIGNATURE, TIMESTAMP, DELIVERY_ID = (
    "x-mlflow-signature",
    "x-mlflow-timestamp",
    "x-mlflow-delivery-id",
)
_ID_MAX = 128
# Unix seconds as MLflow sends them: ASCII digits only (`str.isdigit` also takes `²` and
# other digits `int` refuses), and few enough of them that `int` never refuses the length
# (over 4,300 digits it raises) or does real work before the signature is checked.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def signature_problem(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> str:
    """Why a delivery cannot be trusted ("" when it can). `headers` have lower-case
    names. Pure: the clock is given."""
    if not secret:
        return "webhooks are not set up here (PROMOBOT_MLFLOW_WEBHOOK_SECRET is not set)"
    given = headers.get(SIGNATURE, "").strip()
    stamp = headers.get(TIMESTAMP, "").strip()
    delivery_id = headers.get(DELIVERY_ID, "").strip()
    if not (given and stamp and delivery_id):
        return (
            "unsigned: X-MLflow-Signature, X-MLflow-Timestamp and X-MLflow-Delivery-Id are required"
        )
    if len(delivery_id) > _ID_MAX:
        return "the delivery id is too long"
    if not _TIMESTAMP.fullmatch(stamp):
        return "the timestamp is not Unix seconds"
    if abs(now - int(stamp)) > MAX_AGE_S:
        return "stale: the timestamp is more than five minutes from now"
    signed = f"{delivery_id}.{stamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    # Standard Webhooks allows several signatures, space-separated (a secret rotating).
    for entry in given.split():
        version, _, value = entry.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected.encode()):
            return ""
    return "the signature does not match"


def read_delivery(headers: Mapping[str, str], body: bytes) -> Delivery | None:
    """The delivery a verified body holds, or None when it is not an MLflow event."""

    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    entity, action, data = payload.get("entity"), payload.get("action"), payload.get("data")
    if not isinstance(entity, str) or not isinstance(action, str) or not isinstance(data, dict):
        return None
    return Delivery(headers[DELIVERY_ID].strip(), f"{entity}.{action}", data)


class MlflowWebhookDoor:
    """Verifies, answers, and hands the delivery to the service after the answer."""

    def __init__(
        self,
        secret: str,
        services: Callable[[], Service],
        executor: Executor,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.secret = secret
        self.services = services
        self.executor = executor
        self.clock = clock

    def receive(self, headers: Mapping[str, str], body: bytes) -> tuple[str, dict[str, Any]]:
        """(HTTP status, JSON answer) for one POST; the work is queued, not done."""
        problem = signature_problem(self.secret, headers, body, self.clock())
        if problem:
            log.warning("mlflow webhook refused (401): %s", problem)
            return "401 Unauthorized", {"ok": False, "error": problem}
        delivery = read_delivery(headers, body)
        if delivery is None:
            log.warning("mlflow webhook refused (400): the body is not an MLflow event")
            return "400 Bad Request", {"ok": False, "error": "the body is not an MLflow event"}
        log.info("mlflow webhook %s: %s verified", delivery.delivery_id, delivery.event)
        self.executor.submit(self.work, delivery)
        return "200 OK", {"ok": True}

    def work(self, delivery: Delivery) -> None:

        try:
            done = self.services().receive_webhook(delivery)
        except RegistryError as exc:
            log.warning("mlflow webhook %s failed: %s", delivery.delivery_id, exc)
            return
        except Exception:
            log.exception("mlflow webhook %s failed", delivery.delivery_id)
            return
        log.info("mlflow webhook %s: %s", delivery.delivery_id, done)

    # ---- WSGI ---------------------------------------------------------------------------

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD", "GET").upper() != "POST":
            return _answer(start_response, "405 Method Not Allowed", {"ok": False}, allow="POST")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > BODY_MAX:
            return _answer(start_response, "413 Content Too Large", {"ok": False})
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        status, answer = self.receive(headers, body)
        return _answer(start_response, status, answer)


def _answer(
    start_response: Callable[..., Any], status: str, answer: dict[str, Any], *, allow: str = ""
) -> list[bytes]:
    body = json.dumps(answer).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
    ]
    if allow:
        headers.append(("Allow", allow))
    start_response(status, headers)
    return [body]
