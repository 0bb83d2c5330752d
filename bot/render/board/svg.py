"""The board's two pictures, drawn as SVG on the server: the timeline (a row per target,
a segment per version held, a marker per move and drift) and the verification chart
(each check's series, its threshold, the moment promobot rolled back). Every text and
attribute value is escaped (`esc`); each shape carries a <title> that says in words
what it shows, so the picture reads without colour and without a mouse."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.board import Chart, ChartLine, Timeline, TimelineRow
from bot.render.board.html import esc

WIDTH = 960
LEFT = 130  # the row labels
RIGHT = 16
ROW = 34
# Fills for versions, each with white text at 4.5:1 or more.
FILLS = ("#1f5f8b", "#6b3fa0", "#1d6b52", "#8a4b08", "#7a2e52", "#3d5a1e")
MARKS = {
    "promote": ("▲", "#0b3d91", "promotion"),
    "rollback": ("◆", "#5a3c00", "rollback by a person"),
    "auto-rollback": ("✖", "#a3001b", "rollback by promobot"),
    "drift": ("⚠", "#7a4d00", "drift found"),
    "drift-fixed": ("✔", "#17612a", "drift put right"),
}


def _x(at: datetime, start: datetime, end: datetime) -> float:
    span = max((end - start).total_seconds(), 1.0)
    share = (at - start).total_seconds() / span
    return LEFT + max(0.0, min(1.0, share)) * (WIDTH - LEFT - RIGHT)


def _when(at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _ticks(start: datetime, end: datetime, top: float, bottom: float) -> str:
    """Five time ticks along the bottom, in UTC."""
    out = []
    span = end - start
    for n in range(5):
        at = start + span * (n / 4)
        x = _x(at, start, end)
        fmt = "%m-%d %H:%M" if span.total_seconds() > 3600 * 6 else "%H:%M:%S"
        anchor = "start" if n == 0 else ("end" if n == 4 else "middle")
        out.append(
            f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" class="grid" '
            'stroke="#d0d0d0" stroke-width="1"/>'
            f'<text x="{x:.1f}" y="{bottom + 14:.1f}" font-size="11" fill="#444" '
            f'text-anchor="{anchor}">{esc(at.astimezone(UTC).strftime(fmt))}</text>'
        )
    return "".join(out)


def timeline_svg(model: str, found: Timeline) -> str:
    height = 24 + ROW * max(1, len(found.rows)) + 24
    rows = "".join(_row(i, row, found) for i, row in enumerate(found.rows))
    summary = (
        f"Timeline of {model}'s targets from {_when(found.start)} to {_when(found.end)}: "
        + "; ".join(
            f"{row.label}: {len(row.segments)} version(s) held, {len(row.markers)} event(s)"
            for row in found.rows
        )
    )
    bottom = 16 + ROW * max(1, len(found.rows))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="tl-title" class="timeline">'
        f'<title id="tl-title">{esc(summary)}</title>'
        f"{_ticks(found.start, found.end, 12, bottom)}{rows}</svg>"
    )


def _row(index: int, row: TimelineRow, found: Timeline) -> str:
    y = 16 + ROW * index
    out = [
        f'<text x="0" y="{y + 17}" font-size="13" font-weight="600" fill="#1a1a1a">'
        f"{esc(row.label[:16])}<title>{esc(row.label)}</title></text>"
    ]
    for seg in row.segments:
        x1 = _x(seg.start, found.start, found.end)
        x2 = _x(seg.end or found.end, found.start, found.end)
        w = max(x2 - x1, 2.0)
        fill = FILLS[seg.version % len(FILLS)]
        until = _when(seg.end) if seg.end else "now"
        said = f"v{seg.version} held {row.label} from {_when(seg.start)} to {until}"
        out.append(
            f'<g class="seg" data-version="{esc(seg.version)}"><title>{esc(said)}</title>'
            f'<rect x="{x1:.1f}" y="{y + 2}" width="{w:.1f}" height="{ROW - 12}" '
            f'fill="{fill}" stroke="#fff" stroke-width="1"/>'
        )
        if w > 26:
            out.append(
                f'<text x="{x1 + 4:.1f}" y="{y + 17}" font-size="12" fill="#fff">'
                f"v{esc(seg.version)}</text>"
            )
        out.append("</g>")
    for mark in row.markers:
        glyph, colour, what = MARKS.get(mark.kind, ("•", "#1a1a1a", mark.kind))
        x = _x(mark.at, found.start, found.end)
        said = f"{what}, {_when(mark.at)}: {mark.text}"
        out.append(
            f'<g class="mark {esc(mark.kind)}"><title>{esc(said)}</title>'
            f'<circle cx="{x:.1f}" cy="{y + ROW - 6}" r="7" fill="#fff" stroke="{colour}"/>'
            f'<text x="{x:.1f}" y="{y + ROW - 2}" font-size="11" text-anchor="middle" '
            f'fill="{colour}">{glyph}</text></g>'
        )
    return "".join(out)


CHART_H = 220
TOP, BOTTOM = 14, 30


def chart_svg(chart: Chart, line: ChartLine, index: int) -> str:
    """One check's chart: its points, the threshold, when the watch started and when
    promobot rolled back."""
    values = [*(v for _, v in line.points), line.threshold]
    low, high = min([*values, 0.0]), max(values)
    high = high + (high - low) * 0.1 or 1.0
    plot_bottom = CHART_H - BOTTOM

    def y(value: float) -> float:
        return plot_bottom - (value - low) / max(high - low, 1e-12) * (plot_bottom - TOP)

    def x(ts: float) -> float:
        return _x(datetime.fromtimestamp(ts, UTC), chart.start, chart.end)

    parts = [_ticks(chart.start, chart.end, TOP, plot_bottom)]
    for value in (low, (low + high) / 2, high):
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" font-size="11" fill="#444" '
            f'text-anchor="end">{esc(f"{value:.4g}")}</text>'
        )
    ty = y(line.threshold)
    parts.append(
        f'<g class="threshold"><title>{esc(f"threshold: pass {line.op} {line.shown}")}</title>'
        f'<line x1="{LEFT}" y1="{ty:.1f}" x2="{WIDTH - RIGHT}" y2="{ty:.1f}" stroke="#a3001b" '
        f'stroke-width="2" stroke-dasharray="6 4"/>'
        f'<text x="{WIDTH - RIGHT}" y="{ty - 5:.1f}" font-size="12" fill="#a3001b" '
        f'text-anchor="end">pass {esc(line.op)} {esc(line.shown)}</text></g>'
    )
    parts.append(_moment("started", chart.started, chart, "#0b3d91", "watch started"))
    if chart.rollback_at is not None:
        parts.append(
            _moment("rollback", chart.rollback_at, chart, "#a3001b", "promobot rolled back")
        )
    if line.points:
        coords = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in line.points)
        parts.append(
            f'<polyline class="series" points="{coords}" fill="none" stroke="#1a1a1a" '
            'stroke-width="2"/>'
        )
    else:
        parts.append(
            f'<text x="{(LEFT + WIDTH) / 2:.0f}" y="{CHART_H / 2:.0f}" font-size="13" '
            f'fill="#444" text-anchor="middle">no data: {esc(line.problem[:120])}</text>'
        )
    said = (
        f"{line.name} of v{chart.version} on {chart.target}, {_when(chart.start)} to "
        f"{_when(chart.end)}; threshold {line.op} {line.shown}; verification {chart.state}"
        + (f"; promobot rolled back at {_when(chart.rollback_at)}" if chart.rollback_at else "")
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {CHART_H}" role="img" '
        f'aria-labelledby="chart-{index}" class="chart">'
        f'<title id="chart-{index}">{esc(said)}</title>{"".join(parts)}</svg>'
    )


def _moment(cls: str, at: datetime, chart: Chart, colour: str, what: str) -> str:
    x = _x(at, chart.start, chart.end)
    # Near the right edge the label goes left of its line: right of it, it would run off
    # the picture (a rollback at the window's end). About 6.5 px a character.
    right = x + 4 + len(what) * 6.5 > WIDTH
    tx, anchor = (x - 4, "end") if right else (x + 4, "start")
    return (
        f'<g class="{cls}"><title>{esc(f"{what}: {_when(at)}")}</title>'
        f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{CHART_H - BOTTOM}" stroke="{colour}" '
        f'stroke-width="2"/><text x="{tx:.1f}" y="{TOP + 10}" font-size="11" '
        f'fill="{colour}" text-anchor="{anchor}">{esc(what)}</text></g>'
    )
