"""The gates the clock decides (bot/core/policy/clock_gates.py): a freeze window, and how
long a candidate has soaked in the stage a target requires; each a check line and the
sentence a refusal says, with when to try again."""

from __future__ import annotations

import datetime

import pytest

from bot.core.policy import Check, FreezeWindow, RequestFacts, TargetRule
from bot.core.policy.clock_gates import freeze_gate, soak_gate

UTC = datetime.UTC
NOW = datetime.datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # a Wednesday

FRIDAY_EVENING = FreezeWindow(
    ("fri",), datetime.time(16, 0), datetime.time(23, 59), "Europe/Berlin", "no releases"
)
OVERNIGHT = FreezeWindow(("fri",), datetime.time(22, 0), datetime.time(6, 0), "America/New_York")
LUNCH = FreezeWindow((), datetime.time(12, 0), datetime.time(12, 30), "UTC", "lunch")


def facts(now: datetime.datetime, stage_since: datetime.datetime | None = None) -> RequestFacts:
    return RequestFacts(
        model="m",
        action="promote",
        target_key="production",
        target_label="Production",
        actor="github:bob",
        reason="ready",
        version=3,
        version_stage="Staging",
        version_metrics={},
        holders={},
        now=now,
        stage_since=stage_since,
    )


def soaking(hours: float) -> TargetRule:
    return TargetRule(
        "production", ("eng",), require_stage="Staging", soak=datetime.timedelta(hours=hours)
    )


def test_no_record_of_entering_the_stage_fails_closed_saying_how_to_get_one() -> None:
    fix = "promote v3 to staging through promobot, then wait 24h"
    assert soak_gate(soaking(24), facts(NOW)) == (
        Check("soak 24h", "fail", "no record of when v3 entered Staging", fix),
        "promobot has no record of when v3 entered Staging, and Production needs 24h "
        f"there; {fix}.",
    )


@pytest.mark.parametrize(
    ("hours", "entered", "gate"),
    [
        (
            24,
            datetime.datetime(2026, 12, 1, 10, 2, tzinfo=UTC),
            (
                Check(
                    "soak 24h",
                    "fail",
                    "v3 entered Staging 2026-12-01 10:02 UTC; from 2026-12-02 10:02 UTC",
                    "try again from 2026-12-02 10:02 UTC",
                ),
                "v3 entered Staging 2026-12-01 10:02 UTC; Production needs 24h there: "
                "from 2026-12-02 10:02 UTC.",
            ),
        ),
        (
            48,
            datetime.datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
            (
                Check(
                    "soak 2d",
                    "fail",
                    "v3 entered Staging 2026-12-01 09:00 UTC; from 2026-12-03 09:00 UTC",
                    "try again from 2026-12-03 09:00 UTC",
                ),
                "v3 entered Staging 2026-12-01 09:00 UTC; Production needs 2d there: "
                "from 2026-12-03 09:00 UTC.",
            ),
        ),
        (
            24,
            datetime.datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
            (Check("soak 24h", "pass", "v3 entered Staging 2026-12-01 09:00 UTC"), ""),
        ),
        (
            24,
            datetime.datetime(
                2026, 12, 1, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
            ),
            (Check("soak 24h", "pass", "v3 entered Staging 2026-12-01 09:00 UTC"), ""),
        ),
    ],
    ids=["too-soon", "two-days-in-days", "exactly-when-ready", "entered-in-another-zone"],
)
def test_soak_passes_once_the_time_is_up_and_else_says_from_when(
    hours: float, entered: datetime.datetime, gate: tuple[Check, str]
) -> None:
    assert soak_gate(soaking(hours), facts(NOW, entered)) == gate


def frozen(detail: str, until: str) -> tuple[Check, str]:
    fix = f"try again from {until}"
    return (
        Check("freeze", "fail", f"frozen {detail}", fix),
        f"Promotions of m to Production are frozen ({detail}); {fix}.",
    )


OPEN = (Check("freeze", "pass", "not in a freeze window"), "")


@pytest.mark.parametrize(
    ("windows", "now", "gate"),
    [
        (
            (FRIDAY_EVENING,),
            datetime.datetime(2026, 11, 27, 15, 0, tzinfo=UTC),  # 16:00 in Berlin
            frozen("fri 16:00–23:59 Europe/Berlin: no releases", "Sat 00:00 Europe/Berlin"),
        ),
        ((FRIDAY_EVENING,), datetime.datetime(2026, 11, 27, 14, 59, tzinfo=UTC), OPEN),
        (
            (OVERNIGHT,),
            datetime.datetime(2026, 11, 28, 3, 0, tzinfo=UTC),  # Fri 22:00 in New York
            frozen("fri 22:00–06:00 America/New_York", "Sat 06:01 America/New_York"),
        ),
        (
            (OVERNIGHT,),
            datetime.datetime(2026, 11, 28, 11, 0, tzinfo=UTC),  # Sat 06:00: the last minute
            frozen("fri 22:00–06:00 America/New_York", "Sat 06:01 America/New_York"),
        ),
        ((OVERNIGHT,), datetime.datetime(2026, 11, 28, 11, 1, tzinfo=UTC), OPEN),
        (
            (OVERNIGHT,),
            datetime.datetime(2026, 11, 29, 3, 0, tzinfo=UTC),  # Sat 22:00: not a start day
            OPEN,
        ),
        (
            (LUNCH,),
            datetime.datetime(2026, 11, 25, 12, 30, 59),  # naive: read as UTC
            frozen("daily 12:00–12:30 UTC: lunch", "Wed 12:31 UTC"),
        ),
        ((LUNCH,), datetime.datetime(2026, 11, 25, 12, 31), OPEN),
        (
            (FRIDAY_EVENING, LUNCH),
            datetime.datetime(2026, 11, 25, 12, 5, tzinfo=UTC),
            frozen("daily 12:00–12:30 UTC: lunch", "Wed 12:31 UTC"),
        ),
        ((), NOW, OPEN),
    ],
    ids=[
        "inside-on-the-wall-clock",
        "a-minute-before",
        "overnight-from-its-start",
        "overnight-last-minute-the-day-after",
        "overnight-over",
        "overnight-on-another-day",
        "every-day-naive-time-is-utc",
        "every-day-over",
        "the-window-that-holds-it",
        "no-windows",
    ],
)
def test_freeze(
    windows: tuple[FreezeWindow, ...], now: datetime.datetime, gate: tuple[Check, str]
) -> None:
    rule = TargetRule("production", ("eng",), freeze=windows)
    assert freeze_gate(rule, facts(now)) == gate
