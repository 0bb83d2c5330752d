"""`promobot serve` keeps answering while slow clients drip their headers (issue #20).

A real `promobot serve` process, a fake Slack Web API and a SQLite registry. 100
connections each send the start of a request and then one byte a second (a slowloris);
meanwhile `/healthz` and a signed slash command must be answered, and the server must
end every dripping connection itself (its header deadline). Then SIGTERM, with slow
clients connected and a command just acknowledged: the command is carried out, the slow
connections are closed, and the server exits cleanly without waiting them out.

No assertion on time (speed is `make bench`'s `slow_clients` part); the sockets' generous
timeouts make a starved server fail the test instead of hanging it.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import signal
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SERVICE_POLICY
from fake_slack import FakeSlack, slack_signature
from servers import PromobotServe, promobot_env
from slow_clients import Drippers

SECRET = "slow-clients-signing-secret"
SLOW = 100  # dripping connections
PATIENCE = 10.0  # seconds a request may wait for its answer before the test calls it starved


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


@pytest.fixture
def serve(_template_db: Path, fake: FakeSlack, tmp_path: Path) -> Iterator[PromobotServe]:
    db = tmp_path / "mlflow.db"
    shutil.copy(_template_db, db)
    env = promobot_env(
        {
            "MLFLOW_TRACKING_URI": f"sqlite:///{db}",
            "PROMOBOT_POLICY": str(SERVICE_POLICY),
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": "xoxb-slow-clients",
            "SLACK_API_URL": fake.api_url,
            "PROMOBOT_SWEEP_SECONDS": "0",
            "PROMOBOT_AUDIT_SECONDS": "0",
        }
    )
    server = PromobotServe(env, tmp_path / "serve").start()
    try:
        yield server
    finally:
        server.stop()


def get_healthz(server: PromobotServe) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=PATIENCE)
    try:
        conn.request("GET", "/healthz")
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def slash(server: PromobotServe, fake: FakeSlack, text: str, key: str) -> tuple[int, str]:
    """A slash command as Slack sends it: a form post signed with the signing secret."""
    body = urllib.parse.urlencode(
        {
            "team_id": "T0FAKE",
            "channel_id": "C0RELEASES",
            "user_id": "U01BOB",
            "user_name": "bob",
            "command": "/promobot",
            "text": text,
            "api_app_id": "A0PROMOBOT",
            "response_url": fake.response_url(key),
            "trigger_id": "1.2.3",
        }
    ).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": slack_signature(SECRET, timestamp, body),
    }
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=PATIENCE)
    try:
        conn.request("POST", "/slack/events", body=body, headers=headers)
        answer = conn.getresponse()
        return answer.status, answer.read().decode()
    finally:
        conn.close()


def test_healthz_and_signed_commands_are_answered_while_100_clients_drip_headers(
    serve: PromobotServe, fake: FakeSlack
) -> None:
    # refill: each connection the header deadline ends is replaced, so 100 slow clients
    # are there at every round however long a round takes on a loaded machine.
    with Drippers("127.0.0.1", serve.port, count=SLOW, every=1.0, refill=True) as drip:
        for round_ in range(3):
            time.sleep(1.0)  # the clients drip meanwhile
            assert drip.still_open() >= SLOW // 2, drip.still_open()

            status, body = get_healthz(serve)
            assert (status, json.loads(body)) == (200, {"ok": True})

            key = f"slow-{round_}-{secrets.token_hex(3)}"
            status, text = slash(serve, fake, "status sentiment-classifier", key)
            assert status == 200, text
            assert "working on" in json.loads(text)["text"]
            # and the command's answer comes after the ack, as always
            assert "sentiment-classifier" in fake.wait_for_response(key, timeout=30).text

        assert drip.drips > 0
        # No dripping client lasts: each one gets 408 from the header deadline.
        drip.refill = False
        assert drip.wait_all_ended(timeout=60), f"{drip.still_open()} still open"
    assert len(drip.answers) >= SLOW
    assert all(a.startswith(b"HTTP/1.1 408 ") for a in drip.answers), set(drip.answers)


def test_sigterm_finishes_the_acknowledged_command_and_does_not_wait_for_slow_clients(
    serve: PromobotServe, fake: FakeSlack
) -> None:
    assert serve.proc is not None
    key = f"stop-{secrets.token_hex(3)}"
    status, _ = slash(serve, fake, "status sentiment-classifier", key)
    assert status == 200
    with Drippers("127.0.0.1", serve.port, count=SLOW, every=1.0) as drip:
        time.sleep(0.5)  # connected, dripping, and the command's work under way
        os.killpg(serve.proc.pid, signal.SIGTERM)
        assert serve.proc.wait(timeout=60) == 0, serve.log()[-3000:]
        assert drip.wait_all_ended(timeout=3 * PATIENCE), f"{drip.still_open()} still open"
    # Nothing had been read on the slow connections: they were closed at the stop, not
    # waited out until their header deadline (408) or gunicorn's graceful timeout.
    assert drip.answers == [b""] * SLOW, set(drip.answers)
    assert "Forcing close" not in serve.log(), serve.log()[-3000:]
    # The command acknowledged before SIGTERM was carried out and answered.
    assert "sentiment-classifier" in fake.wait_for_response(key, timeout=PATIENCE).text
    serve.proc = None
