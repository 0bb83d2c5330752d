"""The chart's moment labels stay inside the picture: a rollback at the window's end has
its label left of its line."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.core.board import Chart, ChartLine
from bot.render.board.svg import WIDTH, chart_svg

T0 = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


def _chart(rollback_at: datetime) -> tuple[Chart, ChartLine]:
    line = ChartLine("error rate", "q", "<", 0.02, "0.02", ((T0.timestamp(), 0.01),))
    start, end = T0 - timedelta(minutes=1), T0 + timedelta(minutes=10)
    chart = Chart("Production", 2, "failed", T0, end, rollback_at, start, end, (line,))
    return chart, line


def _label(svg: str, cls: str) -> tuple[float, str]:
    found = re.search(rf'<g class="{cls}">.*?<text x="([\d.]+)"[^>]*text-anchor="(\w+)"', svg)
    assert found, svg
    return float(found.group(1)), found.group(2)


def test_a_rollback_at_the_end_is_labelled_left_of_its_line() -> None:
    chart, line = _chart(T0 + timedelta(minutes=10))
    svg = chart_svg(chart, line, 0)
    x, anchor = _label(svg, "rollback")
    assert anchor == "end" and x < WIDTH
    # The watch's start, near the left edge, keeps its label right of its line.
    assert _label(svg, "started")[1] == "start"
