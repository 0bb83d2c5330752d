"""The scheduled passes of `promobot serve` (bot/doors/passes/expiry.py): the Slack sweep
on a real SQLite registry, and what every pass does when its call fails: says so in one
line and runs again at the next interval."""

from __future__ import annotations

import json
import logging

import pytest
from service_helpers import M, run

from bot.core.ports.registry import RegistryError
from bot.doors.passes.expiry import Sweeper


def test_the_sweep_closes_a_request_shown_in_slack_once_it_expired(
    service, models, clock, caplog
) -> None:
    version = models.version(M, accuracy=0.91, f1=0.874)
    run(service, "slack:U01BOB", f"promote {M} v{version} staging candidate")
    pending = run(service, "slack:U01BOB", f"promote {M} v{version} production shadow ok")
    service.remember_message(M, pending.request_id, "slack", {"channel": "C0RELEASES", "ts": "1.2"})
    clock.advance(hours=25)
    caplog.set_level(logging.INFO, logger="promobot.slack")

    Sweeper(lambda: service, 60).once(service)

    state = json.loads(models.model_tags(M)[f"mlflow.promobot.request.{pending.request_id}.state"])
    assert state["state"] == "expired"
    said = [r.getMessage() for r in caplog.records if r.name == "promobot.slack"]
    assert said == ["sweeper redrew 1 request message(s)"]


class Failing:
    """A service whose sweep fails twice (MLflow away, then a bug), then ends the pass."""

    def __init__(self) -> None:
        self.sweeper: Sweeper | None = None
        self.calls = 0

    def sweep(self, door: str) -> int:
        self.calls += 1
        if self.calls == 1:
            raise RegistryError("MLflow is unreachable at http://mlflow:5000 (search models)")
        if self.calls == 2:
            raise KeyError("a bug")
        assert self.sweeper is not None
        self.sweeper.stop()
        return 0


def test_a_failing_pass_says_so_in_one_line_and_runs_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failing = Failing()
    sweeper = Sweeper(lambda: failing, 0)  # type: ignore[arg-type, return-value]
    failing.sweeper = sweeper

    sweeper.run()  # in this thread: it returns once the third pass stops it

    assert failing.calls == 3
    said = [
        (r.levelname, r.getMessage(), r.exc_info is not None)
        for r in caplog.records
        if r.name == "promobot.slack"
    ]
    assert said == [
        (
            "WARNING",
            "slack-sweeper failed; trying again in 0s: MLflow is unreachable at "
            "http://mlflow:5000 (search models)",
            False,
        ),
        ("WARNING", "slack-sweeper failed; trying again in 0s", True),
    ]


def test_a_stopped_pass_runs_no_more() -> None:
    failing = Failing()
    sweeper = Sweeper(lambda: failing, 0)  # type: ignore[arg-type, return-value]
    sweeper.stop()
    sweeper.run()
    assert failing.calls == 0
    assert (sweeper.name, sweeper.daemon) == ("promobot-slack-sweeper", True)
