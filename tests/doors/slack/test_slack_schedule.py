"""The scheduled passes each `promobot serve` process starts (bot/doors/slack/schedule.py):
one thread per pass whose interval is above 0, in the background, stopped on demand."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.doors.passes.drift_pass import DriftPass
from bot.doors.passes.expiry import Sweeper
from bot.doors.passes.verification import VerifyPass
from bot.doors.slack.schedule import start_passes


def no_service() -> object:
    raise RuntimeError("no pass may reach the service in this test")


@pytest.mark.parametrize(
    ("sweep", "audit", "verify", "kinds"),
    [
        (60, 300, 10, [Sweeper, DriftPass, VerifyPass]),
        (0, 3600, 0, [DriftPass]),
        (0, 0, 0, []),
    ],
    ids=["all-three", "only-the-audit", "all-off"],
)
def test_a_pass_runs_when_its_interval_is_above_0(
    sweep: float, audit: float, verify: float, kinds: list[type]
) -> None:
    settings = Settings(
        promobot_sweep_seconds=sweep, promobot_audit_seconds=audit, promobot_verify_seconds=verify
    )
    started = start_passes(settings, no_service)  # type: ignore[arg-type]
    try:
        assert [type(thread) for thread in started] == kinds
        assert all(thread.daemon and thread.is_alive() for thread in started)
        assert [thread.interval for thread in started] == [  # type: ignore[attr-defined]
            seconds for seconds in (sweep, audit, verify) if seconds > 0
        ]
    finally:
        for thread in started:
            thread.stop()  # type: ignore[attr-defined]
        for thread in started:
            thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in started)
