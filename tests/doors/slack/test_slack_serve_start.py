"""`promobot serve` refuses to start on a broken setup: a sentence, a non-zero exit, and no
server left behind. Real processes; Slack's auth.test answered by the fake."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, SERVICE_POLICY
from fake_slack import FakeSlack
from servers import free_port

PROMOBOT = Path(sys.executable).with_name("promobot")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


def serve(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PROMOBOT_", "MLFLOW_"))
    }
    return subprocess.run(
        [str(PROMOBOT), "serve", "--host", "127.0.0.1", "--port", str(free_port()), *args],
        env={**clean, **env},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def good_env(fake: FakeSlack, tmp_path: Path) -> dict[str, str]:
    return {
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": fake.api_url,
        "PROMOBOT_POLICY": str(SERVICE_POLICY),
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
    }


@pytest.mark.parametrize("missing", ["SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"])
def test_a_missing_secret_stops_the_start(missing: str, fake: FakeSlack, tmp_path: Path) -> None:
    env = good_env(fake, tmp_path)
    del env[missing]

    done = serve(env)

    assert done.returncode == 1
    assert "promobot serve cannot start" in done.stderr
    assert f"{missing} is not set" in done.stderr
    assert not fake.api_calls()  # stopped before talking to Slack


def test_socket_mode_needs_an_app_token(fake: FakeSlack, tmp_path: Path) -> None:
    done = serve(good_env(fake, tmp_path), "--socket-mode")
    assert done.returncode == 1
    assert "SLACK_APP_TOKEN is not set" in done.stderr


@pytest.mark.parametrize(
    ("value", "sentence"),
    [
        ("soon", "PROMOBOT_SWEEP_SECONDS must be a number of seconds, not 'soon'."),
        ("-1", "PROMOBOT_SWEEP_SECONDS must be 0 (off) or more, not '-1'."),
    ],
    ids=["not-a-number", "negative"],
)
def test_a_bad_sweep_interval_stops_the_start_beside_a_missing_secret(
    value: str, sentence: str, fake: FakeSlack, tmp_path: Path
) -> None:
    env = {**good_env(fake, tmp_path), "PROMOBOT_SWEEP_SECONDS": value}
    del env["SLACK_SIGNING_SECRET"]

    done = serve(env)

    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[0] == "promobot serve cannot start:"
    assert lines[1].startswith("  SLACK_SIGNING_SECRET is not set")
    assert lines[2] == f"  {sentence}"
    assert not fake.api_calls()


def test_a_bad_audit_interval_stops_the_start(fake: FakeSlack, tmp_path: Path) -> None:
    env = {**good_env(fake, tmp_path), "PROMOBOT_AUDIT_SECONDS": "-5"}

    done = serve(env)

    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "promobot serve cannot start:",
        "  PROMOBOT_AUDIT_SECONDS must be 0 (off) or more, not '-5'.",
    ]
    assert not fake.api_calls()


def test_an_invalid_policy_stops_the_start_with_file_and_line(
    fake: FakeSlack, tmp_path: Path
) -> None:
    bad = FIXTURES / "policies" / "bad" / "unknown_group.yaml"

    done = serve({**good_env(fake, tmp_path), "PROMOBOT_POLICY": str(bad)})

    assert done.returncode == 1
    assert "The policy files are invalid" in done.stderr
    assert re.search(r"unknown_group\.yaml:\d+: models\[0\]\.targets", done.stderr)


def test_a_token_slack_refuses_stops_the_start(tmp_path: Path) -> None:
    with FakeSlack() as refusing:
        refusing.fail("auth.test", "invalid_auth")
        done = serve(good_env(refusing, tmp_path))
    assert done.returncode == 1
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in done.stderr


def test_an_unreachable_slack_api_exits_3(fake: FakeSlack, tmp_path: Path) -> None:
    env = {**good_env(fake, tmp_path), "SLACK_API_URL": "http://127.0.0.1:9/api/"}
    done = serve(env)
    assert done.returncode == 3
    assert "unreachable at http://127.0.0.1:9/api/" in done.stderr


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--port", "http"], "--port takes a whole number"),
        (["--workers", "0"], "--workers must be between 1 and 256"),
        (["--frobnicate"], "unknown option '--frobnicate'"),
    ],
    ids=["port", "workers", "unknown"],
)
def test_bad_options_are_usage_errors(
    args: list[str], problem: str, fake: FakeSlack, tmp_path: Path
) -> None:
    done = serve(good_env(fake, tmp_path), *args)
    assert done.returncode == 2
    assert problem in done.stderr


def test_help_lists_the_options(fake: FakeSlack, tmp_path: Path) -> None:
    done = serve({}, "--help")
    assert done.returncode == 0
    for option in (
        "--port",
        "--host",
        "--workers",
        "--socket-mode",
        "PROMOBOT_SWEEP_SECONDS",
        "PROMOBOT_AUDIT_SECONDS",
        "PROMOBOT_MLFLOW_WEBHOOK_SECRET",
        "POST /mlflow/webhook",
        "POST /api/v1/commands",
        "PROMOBOT_SERVICE_USERS",
    ):
        assert option in done.stdout
