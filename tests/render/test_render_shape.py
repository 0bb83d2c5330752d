"""The pieces every renderer shares (bot/render/shape.py): a next step in each door's
words, a metrics table, drift as ⚠ lines with the commands that put it right, and
numbers as people read them."""

from __future__ import annotations

import pytest

from bot.core.results import MetricRow, NextStep
from bot.core.state.drift import Finding
from bot.render.shape import Table, drift_lines, metrics_table, num, step_text

APPROVE = NextStep("a member of ml-leads", "approve req-7f3a2c91bd", "Approve")


@pytest.mark.parametrize(
    ("step", "door", "said"),
    [
        (
            APPROVE,
            "cli",
            "a member of ml-leads types `approve req-7f3a2c91bd` (or clicks Approve in Slack)",
        ),
        (
            APPROVE,
            "github",
            "a member of ml-leads comments `/approve req-7f3a2c91bd` (or clicks Approve in Slack)",
        ),
        (
            NextStep("oncall", "rollback m production <reason>"),
            "slack",
            "oncall types `rollback m production <reason>`",
        ),
    ],
    ids=["cli", "github-comments-with-a-slash", "nothing-to-click"],
)
def test_a_next_step_in_the_words_of_the_door(step: NextStep, door: str, said: str) -> None:
    assert step_text(step, door) == said


ROWS = (MetricRow("accuracy", 0.9123, 0.85), MetricRow("f1", None, 0.8))


def test_a_metrics_table_beside_the_version_it_is_weighed_against() -> None:
    assert metrics_table(ROWS, ["metric", "v3"], "v2 (Production)") == Table(
        ["metric", "v3", "v2 (Production)"],
        [["accuracy", "0.912", "0.850"], ["f1", "—", "0.800"]],
    )


def test_a_metrics_table_alone() -> None:
    assert metrics_table(ROWS, ["metric", "v3"], None) == Table(
        ["metric", "v3"], [["accuracy", "0.912"], ["f1", "—"]]
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.8, "0.800"), (1.23456, "1.235"), (0.0, "0.000"), (None, "—")],
    ids=["rounded", "more-digits", "zero", "none"],
)
def test_num(value: float | None, shown: str) -> None:
    assert num(value) == shown


def test_drift_is_a_warning_line_then_the_ways_to_put_it_right() -> None:
    fixes = (
        NextStep("oncall", "rollback m production <reason>"),
        NextStep("a member of ml-engineers", "promote m v1 production <reason>"),
    )
    outside = Finding("m", "production", "Production", "outside", 1, 2, fixes=fixes)
    orphan = Finding("m", "@champion", "@champion", "orphan", None, 2)
    assert drift_lines([outside, orphan], "github") == [
        "⚠ Production holds v1, but promobot last put v2 there: it was changed outside promobot.",
        "   To put it right: oncall comments `/rollback m production <reason>` or a member of "
        "ml-engineers comments `/promote m v1 production <reason>`.",
        "⚠ Nothing holds @champion, but promobot last put v2 there.",
    ]
