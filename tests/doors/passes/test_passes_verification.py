"""`promobot serve`'s verification pass (bot/doors/passes/verification.py): each pass one
call into the service, a verification that ended said in the log, a failed pass said and
tried again at the next interval (the verification itself: test_verification.py)."""

from __future__ import annotations

import logging

import pytest

from bot.core.ports.registry import RegistryError
from bot.core.service.verification import VerifyOutcome, VerifyReport
from bot.doors.passes.verification import VerifyPass


class Passes:
    """Stands in for the service at the pass's one call: what each pass reports, in turn;
    past the last, the pass is stopped."""

    def __init__(self, *reports: VerifyReport | Exception) -> None:
        self.reports = list(reports)
        self.verify_pass: VerifyPass | None = None

    def verify(self) -> VerifyReport:
        if not self.reports:
            assert self.verify_pass is not None
            self.verify_pass.stop()
            return VerifyReport()
        report = self.reports.pop(0)
        if isinstance(report, Exception):
            raise report
        return report


def said(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "promobot.verify"]


def run_passes(*reports: VerifyReport | Exception) -> Passes:
    service = Passes(*reports)
    verify_pass = VerifyPass(lambda: service, 0)  # type: ignore[arg-type, return-value]
    service.verify_pass = verify_pass
    verify_pass.run()  # in this thread: it returns once the service has no more reports
    return service


def test_verifications_that_ended_are_logged_running_ones_are_not(caplog) -> None:
    caplog.set_level(logging.INFO, logger="promobot.verify")
    run_passes(
        VerifyReport(
            [
                VerifyOutcome("m", "Production", 2, "running", "error rate 0.01 (pass < 0.02)"),
                VerifyOutcome("m", "@champion", 3, "failed", "verification failed: p99 0.9", 2),
            ]
        ),
        VerifyReport([VerifyOutcome("m", "Production", 2, "passed", "watched for 30m")]),
    )
    assert said(caplog) == [
        ("INFO", "verification failed: m v3 on @champion: verification failed: p99 0.9"),
        ("INFO", "verification passed: m v2 on Production: watched for 30m"),
    ]


def test_a_failed_pass_is_one_warning_and_the_next_pass_runs(caplog) -> None:
    service = run_passes(RegistryError("MLflow is unreachable"), VerifyReport())
    assert service.reports == []
    assert said(caplog) == [("WARNING", "the verification pass failed; next in 0s")]


def test_a_stopped_pass_calls_nothing() -> None:
    service = Passes(RegistryError("never called"))
    verify_pass = VerifyPass(lambda: service, 10)  # type: ignore[arg-type, return-value]
    verify_pass.stop()
    verify_pass.run()
    assert len(service.reports) == 1
    assert (verify_pass.name, verify_pass.daemon) == ("promobot-verify", True)
