"""What one `promobot serve` process builds once it runs (bot/doors/slack/worker.py): the
Service once, on first use; the bolt App on the fake Slack, even when Slack's token check
hiccups at start; the MLflow webhook door with its secret; and promobot's log."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SERVICE_POLICY
from fake_slack import FakeSlack
from pydantic import SecretStr

from bot.config import Settings
from bot.core.policy import load_policy
from bot.doors.slack.worker import Services, build_doors, secret_text, setup_logging


@pytest.fixture(scope="module")
def slack_api() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


@pytest.fixture
def fake(slack_api: FakeSlack) -> FakeSlack:
    """One fake Slack for the module (stopping one takes half a second), emptied per test."""
    slack_api.reset()
    return slack_api


def settings_for(fake: FakeSlack, tmp_path: Path, **more: object) -> Settings:
    values: dict[str, object] = {
        "mlflow_tracking_uri": f"sqlite:///{tmp_path / 'mlflow.db'}",
        "slack_bot_token": SecretStr("xoxb-test"),
        "slack_signing_secret": SecretStr("signing-secret"),
        "slack_api_url": fake.api_url,
        "promobot_sweep_seconds": 0,
        "promobot_audit_seconds": 0,
        "promobot_verify_seconds": 0,
        **more,
    }
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def switch_interval() -> Iterator[None]:
    """build_doors shortens the interpreter's thread switch interval: give it back."""
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


def test_the_service_is_built_once_whoever_asks_first(tmp_path: Path) -> None:
    settings = Settings(mlflow_tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    services = Services(settings, load_policy(SERVICE_POLICY))
    built = []
    both = threading.Barrier(2)

    def ask() -> None:
        both.wait(timeout=10)
        built.append(services.get())

    askers = [threading.Thread(target=ask) for _ in range(2)]
    for thread in askers:
        thread.start()
    for thread in askers:
        thread.join(timeout=30)
    assert len(built) == 2 and built[0] is built[1] is services.get()
    assert not (tmp_path / "mlflow.db").exists()  # built, and MLflow not yet read


def test_the_doors_are_built_on_the_settings(
    fake: FakeSlack, tmp_path: Path, switch_interval
) -> None:
    settings = settings_for(fake, tmp_path, promobot_mlflow_webhook_secret=SecretStr("  s3cret \n"))
    doors = build_doors(settings, load_policy(SERVICE_POLICY))
    assert doors.mlflow.secret == "s3cret"
    assert doors.slack.client.base_url == fake.api_url
    assert [call.method for call in fake.api_calls()] == ["auth.test"]


def test_slacks_token_check_failing_at_start_does_not_stop_the_process(
    fake: FakeSlack, tmp_path: Path, switch_interval, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("auth.test", "fatal_error")
    doors = build_doors(settings_for(fake, tmp_path), load_policy(SERVICE_POLICY))
    assert doors.mlflow.secret == ""
    said = [r.getMessage() for r in caplog.records if r.name == "promobot.slack"]
    assert len(said) == 1 and said[0].startswith("auth.test failed at start (")
    assert said[0].endswith("; checking on the first request")


@pytest.mark.parametrize(
    ("value", "text"),
    [(SecretStr("  s3cret\n"), "s3cret"), (SecretStr(""), ""), (None, "")],
    ids=["stripped", "empty", "unset"],
)
def test_secret_text(value: SecretStr | None, text: str) -> None:
    assert secret_text(value) == text


@pytest.fixture
def promobot_log() -> Iterator[logging.Logger]:
    """promobot's logger, put back as it was after the test."""
    log = logging.getLogger("promobot")
    kept = (list(log.handlers), log.level, log.propagate)
    log.handlers.clear()
    yield log
    log.handlers[:], log.level, log.propagate = kept[0], kept[1], kept[2]


@pytest.mark.parametrize(
    ("level", "set_to"),
    [("debug", logging.DEBUG), ("nonsense", logging.INFO)],
    ids=["debug", "unknown-is-info"],
)
def test_promobots_log_goes_to_stderr_at_the_level_set(
    promobot_log: logging.Logger, level: str, set_to: int
) -> None:
    setup_logging(Settings(promobot_log_level=level))
    setup_logging(Settings(promobot_log_level=level))  # a second time adds no second handler
    (handler,) = promobot_log.handlers
    assert isinstance(handler, logging.StreamHandler) and handler.stream is sys.stderr
    assert handler.formatter is not None
    assert (
        handler.formatter._fmt == "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s"
    )
    assert (promobot_log.level, promobot_log.propagate) == (set_to, False)
