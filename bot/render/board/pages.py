"""The board's two pages, as HTML: the overview of every governed model (`GET /releases`)
and one model's page (`GET /releases/<model>`). Values come from bot/core/board.py and
are escaped here (bot/render/board/html.py); the door only sends what these return."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.board import ModelBoard, Overview, TargetRow, TrailPage, Waiting
from bot.render.board.html import (
    cut,
    esc,
    model_href,
    model_link,
    outside_link,
    page,
    table,
    utc,
    version_link,
)
from bot.render.board.svg import MARKS, chart_svg, timeline_svg

VERIFICATION = {
    "running": ("warn", "watching"),
    "passed": ("ok", "passed"),
    "failed": ("bad", "failed"),
    "ended": ("muted", "ended"),
}


@dataclass(frozen=True)
class Reader:
    """How the page is read: the reader's zone (`?tz=`), the MLflow UI for version links,
    and the notice to show (the registry is not guarded)."""

    tz: str = ""
    ui_url: str = ""
    notice: str = ""


def overview_page(found: Overview, reader: Reader) -> str:
    parts = [
        "<h1>Releases</h1>",
        f'<p class="muted">{len(found.models)} governed model(s), {_when_read(found, reader)}.</p>',
    ]
    if not found.models:
        parts.append("<p>No registered model is named by the policy yet.</p>")
    for summary in found.models:
        waiting = (
            f'<p class="pending"><a href="{esc(model_href(summary.name, tz=reader.tz))}'
            f'#waiting">{summary.pending} pending request(s)</a></p>'
            if summary.pending
            else '<p class="muted">No pending request.</p>'
        )
        parts.append(
            f'<section class="model"><h2>{model_link(summary.name, reader.tz)}</h2>'
            f"{_targets(summary.name, summary.targets, reader)}{waiting}</section>"
        )
    return page("Releases — promobot", "".join(parts), notice=reader.notice, tz=reader.tz)


def _when_read(found: Overview, reader: Reader) -> str:
    """When the models were read: now, or the kept read's time (board_read.py)."""
    if found.read_at is None:
        return f"as of {utc(found.at, reader.tz)}"
    return (
        f"as MLflow held them at {utc(found.read_at, reader.tz)} (changes made through "
        "promobot here show at once, others within seconds; a model's page is always "
        "read afresh)"
    )


def _targets(model: str, rows: tuple[TargetRow, ...], reader: Reader) -> str:
    cells = []
    for row in rows:
        cells.append(
            [
                esc(row.label),
                version_link(model, row.version, reader.ui_url, reader.tz),
                utc(row.since, reader.tz) if row.version is not None else "",
                cut(row.asked_by, 40),
                cut(row.approved_by, 60) or '<span class="muted">—</span>',
                _verification(row),
                _conditions(row),
            ]
        )
    heads = ["Target", "Holder", "Since", "Asked by", "Approved by", "Verification", "In force"]
    return table(f"Targets of {model}", heads, cells, "targets")


def _verification(row: TargetRow) -> str:
    if not row.verification:
        return '<span class="muted">—</span>'
    cls, word = VERIFICATION.get(row.verification, ("muted", row.verification))
    if row.rolled_back:
        word = "failed, rolled back"
    detail = f'<br><span class="muted">{cut(row.verification_detail, 80)}</span>'
    return f'<span class="state {cls}">{esc(word)}</span>' + (
        detail if row.verification_detail else ""
    )


def _conditions(row: TargetRow) -> str:
    said = [f'<span class="warn">⚠ drift: {cut(d, 100)}</span>' for d in row.drift]
    if row.lock is not None:
        until = f" until {utc(row.lock.until)}" if row.lock.until else ""
        said.append(
            f'<span class="warn">🔒 locked by {cut(row.lock.by, 40)}{until}: '
            f"{cut(row.lock.reason, 60)}</span>"
        )
    if row.freeze:
        said.append(f'<span class="warn">❄ frozen: {cut(row.freeze, 80)}</span>')
    return "<br>".join(said) or '<span class="muted">—</span>'


def model_page(found: ModelBoard, reader: Reader) -> str:
    parts = [
        f"<h1>{cut(found.name, 120)}</h1>",
        f'<p class="muted">As of {utc(found.at, reader.tz)}. Approving stays in chat, '
        "the pull request and the CLI: this page only reads.</p>",
        f'<h2 id="targets">Targets</h2>{_targets(found.name, found.targets, reader)}',
        _waiting(found.waiting, reader),
        '<h2 id="timeline">Timeline</h2>',
        f"<figure>{timeline_svg(found.name, found.timeline)}<figcaption>"
        + " · ".join(f"{glyph} {esc(what)}" for glyph, _, what in MARKS.values())
        + "; each bar is a version holding the target (hover for times).</figcaption></figure>",
        _chart(found),
        _trail(found.name, found.trail, reader),
    ]
    return page(f"{found.name} — releases", "".join(parts), notice=reader.notice, tz=reader.tz)


def _waiting(waiting: tuple[Waiting, ...], reader: Reader) -> str:
    if not waiting:
        return '<h2 id="waiting">Waiting</h2><p class="muted">No pending request.</p>'
    rows = []
    for item in waiting:
        view = item.view
        approved = ", ".join(a.by for a in view.approved_by)
        rows.append(
            [
                f"<code>{esc(view.request_id)}</code>",
                f"{esc(view.action)} v{esc(view.version)} → {esc(view.target)}",
                cut(view.requested_by, 40),
                cut(item.reason, 80),
                cut(approved, 60) or '<span class="muted">none yet</span>',
                "<br>".join(cut(m, 120) for m in item.missing) or "—",
                f"<code>{esc(item.command)}</code>",
                utc(view.expires_at, reader.tz),
            ]
        )
    heads = [
        "Request",
        "Asks",
        "Asked by",
        "Reason",
        "Approved",
        "Still missing",
        "To approve",
        "Expires",
    ]
    return '<h2 id="waiting">Waiting</h2>' + table("Pending requests", heads, rows, "waiting")


def _chart(found: ModelBoard) -> str:
    chart = found.chart
    if chart is None:
        return ""
    title = (
        f'<h2 id="verification">Verification of v{esc(chart.version)} on {esc(chart.target)}</h2>'
    )
    cls, word = VERIFICATION.get(chart.state, ("muted", chart.state))
    state = f'<p>State: <span class="state {cls}">{esc(word)}</span>'
    if chart.rollback_at is not None:
        state += f"; promobot rolled back at {utc(chart.rollback_at)}"
    state += "</p>"
    figures = "".join(
        f"<figure>{chart_svg(chart, line, i)}<figcaption>{esc(line.name)}: "
        f"<code>{cut(line.query, 120)}</code>, passes {esc(line.op)} {esc(line.shown)}"
        "</figcaption></figure>"
        for i, line in enumerate(chart.lines)
    )
    return title + state + figures


def _trail(model: str, found: TrailPage, reader: Reader) -> str:
    rows = []
    for r in found.records:
        links = (
            " ".join(filter(None, [outside_link(r.link, _link_word(r.channel, r.link))]))
            or '<span class="muted">—</span>'
        )
        rows.append(
            [
                utc(r.at, reader.tz),
                esc(r.event),
                version_link(model, r.version, reader.ui_url, reader.tz)
                if r.version is not None
                else "",
                esc(r.target),
                cut(r.by, 40),
                cut(r.approved_by, 60),
                cut(r.reason, 80),
                f"<code>{esc(r.request)}</code>" if r.request else "",
                links,
            ]
        )
    heads = ["When", "Event", "Version", "Target", "By", "Approved by", "Reason", "Request", "Link"]
    pager = []
    if found.page > 1:
        newer = model_href(model, page=found.page - 1, tz=reader.tz)
        pager.append(f'<a rel="prev" href="{esc(newer)}#trail">← newer</a>')
    if found.more:
        older = model_href(model, page=found.page + 1, tz=reader.tz)
        pager.append(f'<a rel="next" href="{esc(older)}#trail">older →</a>')
    downloads = (
        f'<p>Download the whole trail: <a href="{esc(model_href(model))}/trail.csv">CSV</a> · '
        f'<a href="{esc(model_href(model))}/trail.jsonl">JSONL</a></p>'
    )
    return (
        f'<h2 id="trail">Trail, newest first (page {found.page})</h2>'
        + (table("Audit trail", heads, rows, "trail") if rows else "<p>No record yet.</p>")
        + f'<nav class="pager" aria-label="trail pages">{"".join(pager)}</nav>'
        + downloads
    )


def _link_word(channel: str, url: str) -> str:
    if "github.com" in url and "/actions/runs/" in url:
        return "CI run"
    if "github" in channel or "github.com" in url:
        return "pull request"
    if "slack" in channel or "slack.com" in url:
        return "Slack message"
    return "link"
