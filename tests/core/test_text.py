"""bot/core/text.py: the small text helpers every message is built with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.core.text import clip, masked, metric_order, one_line, when


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("  two\nlines\t tabbed  ", "two lines tabbed"),
        ("", ""),
        (" \n ", ""),
        (42, "42"),
    ],
    ids=["plain", "whitespace", "empty", "only-whitespace", "not-a-string"],
)
def test_one_line(text, expected):
    assert one_line(text) == expected


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("exactly10!", 10, "exactly10!"),
        ("eleven char", 10, "eleven ch…"),
        ("keeps\nline breaks", 8, "keeps\nl…"),
    ],
    ids=["under", "at-limit", "over", "no-one-lining"],
)
def test_clip(text, limit, expected):
    got = clip(text, limit)
    assert got == expected and len(got) <= limit


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime(2026, 11, 26, 10, 2, 59, tzinfo=UTC), "2026-11-26 10:02 UTC"),
        (
            datetime(2026, 11, 26, 11, 2, tzinfo=timezone(timedelta(hours=1))),
            "2026-11-26 10:02 UTC",
        ),
        (datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=2))), "2025-12-31 22:30 UTC"),
    ],
    ids=["utc", "berlin-winter", "across-midnight"],
)
def test_when_is_utc_to_the_minute(at, expected):
    assert when(at) == expected


@pytest.mark.parametrize(
    ("gated", "metrics", "limit", "expected"),
    [
        # The service's metrics table: gated first (even unmeasured), capped at 8.
        (
            ["f1", "latency"],
            [{"accuracy": 0.9, "f1": 0.8, "auc": 0.7}, {"recall": 0.6}],
            8,
            ["f1", "latency", "accuracy", "recall", "auc"],
        ),
        (["f1", "f1"], [{"f1": 1.0}], 8, ["f1"]),
        # CI's job summary: no gates, capped at 12.
        (
            [],
            [{"zeta": 1, "recall": 1, "precision": 1}, {"f1": 1, "alpha": 1, "accuracy": 1}],
            12,
            ["accuracy", "f1", "precision", "recall", "alpha", "zeta"],
        ),
        ((), [{f"m{n:02d}": 0.0 for n in range(20)}], 12, [f"m{n:02d}" for n in range(12)]),
        ((), [{}, {}], 12, []),
        (
            ["accuracy"],
            [{f"m{n}": 0.0 for n in range(9)} | {"f1": 0.0}],
            3,
            ["accuracy", "f1", "m0"],
        ),
    ],
    ids=["gated-first", "gated-once", "preferred-then-alphabetical", "capped", "none", "small-cap"],
)
def test_metric_order(gated, metrics, limit, expected):
    assert metric_order(gated, *metrics, limit=limit) == expected


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        ("https://bot:hunter2@mlflow.example.com", "https://***@mlflow.example.com"),
        ("https://token@mlflow.example.com/x", "https://***@mlflow.example.com/x"),
        (
            "http://127.0.0.1:9/?token=t0k&password=pw&x=1",
            "http://127.0.0.1:9/?token=***&password=***&x=1",
        ),
        (
            "https://h/p?access_token=a;api_key=b&X-Amz-Signature=c&sig=d#frag",
            "https://h/p?access_token=***;api_key=***&X-Amz-Signature=***&sig=***#frag",
        ),
        ("https://h/p?PASSWD=a&Secret=b", "https://h/p?PASSWD=***&Secret=***"),
        (
            "unreachable at postgresql://u:p@db/mlflow (read): url: /?token=x (refused)",
            "unreachable at postgresql://***@db/mlflow (read): url: /?token=*** (refused)",
        ),
        ("sqlite:///tmp/mlflow.db", "sqlite:///tmp/mlflow.db"),
        ("https://mlflow.example.com/?experiment=3", "https://mlflow.example.com/?experiment=3"),
        ("bob@example.com asked", "bob@example.com asked"),
    ],
    ids=[
        "user-and-password",
        "user-only",
        "token-and-password",
        "other-secret-names",
        "any-case",
        "inside-a-message",
        "no-secret",
        "plain-query",
        "an-address-is-no-uri",
    ],
)
def test_masked_hides_every_secret_a_uri_carries(shown: str, expected: str) -> None:
    assert masked(shown) == expected
