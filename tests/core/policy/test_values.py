"""The typed values policy text stands for: each parsed once, or refused with a sentence."""

from __future__ import annotations

import datetime
import re

import pytest

from bot.core.policy.values import (
    DURATION_PATTERN,
    MetricExpr,
    duration,
    duration_text,
    metric_expr,
    request_ttl,
    time_of_day,
    time_zone,
)

td = datetime.timedelta


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("30s", td(seconds=30)),
        ("90s", td(seconds=90)),
        ("1m30s", td(minutes=1, seconds=30)),
        ("30m", td(minutes=30)),
        ("24h", td(hours=24)),
        ("1h30m", td(hours=1, minutes=30)),
        ("1h30s", td(hours=1, seconds=30)),
        ("7d", td(days=7)),
        ("2d12h", td(days=2, hours=12)),
        ("1d2h3m4s", td(days=1, hours=2, minutes=3, seconds=4)),
        ("0m", td(0)),
        ("00090s", td(seconds=90)),
    ],
    ids=[
        "seconds",
        "seconds-over-a-minute",
        "minutes-and-seconds",
        "minutes",
        "hours",
        "hours-and-minutes",
        "hours-and-seconds",
        "days",
        "days-and-hours",
        "every-unit",
        "zero",
        "leading-zeros",
    ],
)
def test_duration(text: str, value: datetime.timedelta) -> None:
    assert duration(text) == value
    assert re.match(DURATION_PATTERN, text)  # the JSON Schema agrees


@pytest.mark.parametrize(
    "text",
    ["1 day", "30", "s", "", "30m1h", "1s1m", "1h1h", "1.5h", "-1h", "30S", "1w", "123456s", " 1h"],
    ids=[
        "words",
        "no-unit",
        "no-number",
        "empty",
        "wrong-order",
        "seconds-before-minutes",
        "unit-twice",
        "fraction",
        "negative",
        "upper-case",
        "weeks",
        "six-digits",
        "leading-space",
    ],
)
def test_bad_duration(text: str) -> None:
    with pytest.raises(ValueError) as raised:
        duration(text)

    assert str(raised.value) == (
        f'"{text}" is not a duration (write it like "30s", "30m", "24h", "7d" or "1h30m")'
    )
    assert not re.match(DURATION_PATTERN, text)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("0m", '"0m" is zero (a request needs some time to be approved, e.g. "24h")'),
        ("0s", '"0s" is zero (a request needs some time to be approved, e.g. "24h")'),
        ("366d", '"366d" is longer than 365 days (write "365d" at most)'),
        ("365d1s", '"365d1s" is longer than 365 days (write "365d" at most)'),
        ("1 day", '"1 day" is not a duration (write it like "30s", "30m", "24h", "7d" or "1h30m")'),
    ],
    ids=["zero-minutes", "zero-seconds", "over-a-year", "a-second-over", "not-a-duration"],
)
def test_request_ttl_bounds(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        request_ttl(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [("1s", td(seconds=1)), ("365d", td(days=365)), ("24h", td(hours=24))],
    ids=["one-second", "a-year", "a-day"],
)
def test_request_ttl_within_bounds(text: str, value: datetime.timedelta) -> None:
    assert request_ttl(text) == value


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("30s", "30s"),
        ("90s", "1m30s"),
        ("30m", "30m"),
        ("24h", "24h"),
        ("1d", "24h"),
        ("1h30m", "1h30m"),
        ("2d12h", "60h"),
        ("2d", "2d"),
        ("7d", "7d"),
        ("1h0m5s", "1h5s"),
        ("0m", "0m"),
    ],
    ids=[
        "seconds",
        "minute-and-seconds",
        "minutes",
        "hours",
        "one-day-in-hours",
        "hours-and-minutes",
        "days-and-hours-in-hours",
        "two-days",
        "week",
        "hour-and-seconds",
        "zero",
    ],
)
def test_duration_text_reads_back(text: str, shown: str) -> None:
    assert duration_text(duration(text)) == shown
    assert duration(shown) == duration(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("16:00", datetime.time(16, 0)),
        ("23:59", datetime.time(23, 59)),
        ("0:00", datetime.time(0, 0)),
        ("06:05", datetime.time(6, 5)),
    ],
    ids=["afternoon", "last-minute", "midnight-one-digit", "leading-zero"],
)
def test_time_of_day(text: str, value: datetime.time) -> None:
    assert time_of_day(text) == value


@pytest.mark.parametrize(
    "text",
    ["25:00", "24:00", "16:60", "16", "4pm", "16:00:00", "", "960"],
    ids=["hour-25", "hour-24", "minute-60", "hour-only", "am-pm", "seconds", "empty", "base-60"],
)
def test_bad_time_of_day(text: str) -> None:
    with pytest.raises(ValueError) as raised:
        time_of_day(text)

    assert str(raised.value) == (
        f'"{text}" is not a time of day (write 24-hour "HH:MM" in quotes, e.g. "16:00")'
    )


@pytest.mark.parametrize(
    ("text", "ok"),
    [("Europe/Berlin", True), ("UTC", True), ("Europe/Berlinn", False), ("../etc", False)],
    ids=["city", "utc", "misspelt", "path"],
)
def test_time_zone(text: str, ok: bool) -> None:
    if ok:
        assert time_zone(text) == text
    else:
        with pytest.raises(ValueError, match="is not a time zone"):
            time_zone(text)


@pytest.mark.parametrize(
    ("text", "expr", "label"),
    [
        (">= 0.80", MetricExpr(">=", 0.80, None, 0.0, "0.80"), "≥ 0.80"),
        ("< 0.05", MetricExpr("<", 0.05, None, 0.0, "0.05"), "< 0.05"),
        ("== 1", MetricExpr("==", 1.0, None, 0.0, "1"), "= 1"),
        ("≤ 1e-3", MetricExpr("<=", 0.001, None, 0.0, "1e-3"), "≤ 1e-3"),
        (
            ">= production - 0.01",
            MetricExpr(">=", None, "Production", -0.01, "production − 0.01"),
            "≥ production − 0.01",
        ),
        (
            "> production + 0.01",
            MetricExpr(">", None, "Production", 0.01, "production + 0.01"),
            "> production + 0.01",
        ),
        (
            "≥ production − 0.02",
            MetricExpr(">=", None, "Production", -0.02, "production − 0.02"),
            "≥ production − 0.02",
        ),
        (">= staging", MetricExpr(">=", None, "Staging", 0.0, "staging"), "≥ staging"),
        ("<= staging + 0", MetricExpr("<=", None, "Staging", 0.0, "staging"), "≤ staging"),
        ("  >=0.9  ", MetricExpr(">=", 0.9, None, 0.0, "0.9"), "≥ 0.9"),
    ],
    ids=[
        "absolute",
        "lower-is-better",
        "equal",
        "unicode-and-exponent",
        "relative-minus",
        "relative-plus",
        "copied-from-explain",
        "relative-no-offset",
        "relative-zero-offset",
        "spaces",
    ],
)
def test_metric_expr(text: str, expr: MetricExpr, label: str) -> None:
    parsed = metric_expr(text)

    assert parsed == expr
    assert parsed.label == label


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("~ 0.80", ""),
        (">= prod", ""),
        ("0.80", ""),
        (">= Production - 0.01", "write production or staging in lower case; "),
    ],
    ids=["no-operator", "unknown-stage", "number-only", "stage-in-capitals"],
)
def test_bad_metric_expr(text: str, hint: str) -> None:
    with pytest.raises(ValueError) as raised:
        metric_expr(text)

    assert str(raised.value) == (
        f'"{text}" is not a metric gate ({hint}write a comparison such as ">= 0.80", '
        f'or ">= production - 0.01" to compare with the version now in production)'
    )
