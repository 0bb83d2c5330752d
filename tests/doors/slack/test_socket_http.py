"""What `promobot serve --socket-mode` serves on --port (bot/doors/slack/socket_http.py), over
real HTTP on 127.0.0.1: /healthz, and MLflow's signed deliveries once the door is built."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import ThreadingHTTPServer

import pytest
from mlflow.webhooks.delivery import _generate_hmac_signature
from service_helpers import M

from bot.doors.mlflow_webhook import MlflowWebhookDoor
from bot.doors.slack.socket_http import socket_mode_http

SECRET = "socket-mode-secret-0123456789"


@pytest.fixture
def served() -> list[MlflowWebhookDoor]:
    return []


@pytest.fixture
def url(served) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), socket_mode_http(served))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def call(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_healthz_and_unknown_paths(url) -> None:
    assert call(f"{url}/healthz") == (200, b'{"ok": true}')
    assert call(f"{url}/slack/events")[0] == 404
    assert call(f"{url}/elsewhere", "POST", b"{}")[0] == 404


def test_deliveries_wait_for_the_door_then_are_verified_and_handled(
    url, served, service, models, two_versions
) -> None:
    _, v2 = two_versions
    announced: list[tuple[str, int]] = []
    service.announce_version = lambda model, version: announced.append((model, version))
    body = json.dumps(
        {"entity": "model_version", "action": "created", "data": {"name": M, "version": str(v2)}}
    ).encode()
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-MLflow-Delivery-Id": "sock-1",
        "X-MLflow-Timestamp": stamp,
        "X-MLflow-Signature": _generate_hmac_signature(SECRET, "sock-1", stamp, body.decode()),
    }
    # Before the door is built MLflow hears 503, which it retries.
    assert call(f"{url}/mlflow/webhook", "POST", body, headers)[0] == 503

    with ThreadPoolExecutor(max_workers=1) as executor:
        served.append(MlflowWebhookDoor(SECRET, lambda: service, executor))
        forged = {**headers, "X-MLflow-Signature": "v1,AAAA"}
        assert call(f"{url}/mlflow/webhook", "POST", body, forged)[0] == 401
        assert call(f"{url}/mlflow/webhook", "POST", body, headers) == (200, b'{"ok": true}')
    # Leaving the executor waited for the work.
    assert announced == [(M, v2)]
    assert "mlflow.promobot.webhook.sock-1" in models.model_tags(M)
