"""The board's HTML and SVG (bot/render/board/): hostile values people or the registry
wrote render as text, long ones are cut with the whole on hover, the timeline draws one
segment per holding, the chart its threshold and promobot's rollback."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

from bot.core.board import (
    Chart,
    ChartLine,
    Marker,
    ModelBoard,
    ModelSummary,
    Overview,
    Segment,
    TargetRow,
    Timeline,
    TimelineRow,
    TrailPage,
    Waiting,
)
from bot.core.results import LockView, PendingView
from bot.core.state.trail import TrailRecord
from bot.render.board import Reader, model_page, overview_page

T0 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg onload=alert(1)><text>x</text></svg>",
    "</title><script>alert(2)</script>",
    "javascript:alert(3)",
    "' onmouseover='alert(4)",
)
EVIL = " ".join(PAYLOADS)


class Tags(HTMLParser):
    """Every element and attribute the page really has, as a browser would parse it."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)


def parsed(text: str) -> Tags:
    found = Tags()
    found.feed(text)
    return found


def row(label: str = "Production", **more: object) -> TargetRow:
    base: dict[str, object] = {
        "key": label.lower(),
        "label": label,
        "version": 2,
        "since": T0,
        "asked_by": EVIL,
        "approved_by": EVIL,
        "verification": "failed",
        "verification_detail": EVIL,
        "rolled_back": True,
        "drift": (EVIL,),
        "lock": LockView(label, EVIL, T0, EVIL, None),
        "freeze": EVIL,
    }
    base.update(more)
    return TargetRow(**base)  # type: ignore[arg-type]


def record(n: int) -> TrailRecord:
    return TrailRecord(
        at=T0 - timedelta(minutes=n),
        model=EVIL,
        event="promotion",
        action="promote",
        version=2,
        previous=1,
        target="Production",
        by=EVIL,
        actor="github:x",
        approved_by=EVIL,
        reason=EVIL,
        request="req-0123456789",
        channel="github",
        link="javascript:alert(5)" if n == 0 else "https://github.com/acme/models/pull/7",
    )


def board(name: str = EVIL) -> ModelBoard:
    pending = PendingView("req-abcdef0123", "promote", 3, "Production", EVIL, 0, 1, T0)
    timeline = Timeline(
        T0 - timedelta(hours=1),
        T0 + timedelta(minutes=10),
        (
            TimelineRow(
                "Production",
                (
                    Segment(1, T0 - timedelta(minutes=50), T0 - timedelta(minutes=30), EVIL),
                    Segment(2, T0 - timedelta(minutes=30), T0 - timedelta(minutes=29), EVIL),
                    Segment(1, T0 - timedelta(minutes=29), None, "promobot"),
                ),
                (
                    Marker(T0 - timedelta(minutes=50), "promote", 1, EVIL),
                    Marker(T0 - timedelta(minutes=30), "promote", 2, EVIL),
                    Marker(T0 - timedelta(minutes=29), "auto-rollback", 1, EVIL),
                    Marker(T0 - timedelta(minutes=20), "drift", 3, EVIL),
                ),
            ),
            TimelineRow(EVIL, (Segment(4, T0 - timedelta(minutes=10), None),), ()),
        ),
    )
    chart = Chart(
        "Production",
        2,
        "failed",
        T0 - timedelta(minutes=30),
        T0 - timedelta(minutes=29),
        T0 - timedelta(minutes=29),
        T0 - timedelta(minutes=31),
        T0 - timedelta(minutes=25),
        (
            ChartLine(
                EVIL,
                EVIL,
                "<",
                0.02,
                "0.02",
                tuple(((T0 - timedelta(minutes=31 - n)).timestamp(), n / 10) for n in range(5)),
            ),
            ChartLine("p99", "q", "<", 0.5, "0.5", (), problem=EVIL),
        ),
    )
    return ModelBoard(
        name=name,
        at=T0,
        targets=(row(), row("@champion", version=None, lock=None)),
        waiting=(
            Waiting(pending, EVIL, (f"1 more from ml-leads: {EVIL}",), "approve req-abcdef0123"),
        ),
        timeline=timeline,
        chart=chart,
        trail=TrailPage(tuple(record(n) for n in range(3)), 2, True),
    )


def assert_inert(text: str) -> None:
    found = parsed(text)
    assert "script" not in found.tags
    assert "img" not in found.tags
    assert found.tags.count("svg") == text.count("<svg ")  # only the board's own pictures
    for name, value in found.attrs:
        assert not name.startswith("on"), (name, value)
        assert name != "style"
        if name == "href":
            assert value is not None and value.startswith(("/", "https://", "http://", "#")), value


def test_hostile_values_render_as_text_on_the_model_page() -> None:
    text = model_page(board(), Reader(tz="Europe/Berlin", notice=EVIL))
    assert_inert(text)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    # A link promobot did not record as a plain http(s) URL is shown, never linked.
    assert 'href="javascript' not in text


def test_hostile_model_names_render_as_text_on_the_overview() -> None:
    overview = Overview(T0, (ModelSummary(EVIL, (row(),), 2), ModelSummary("plain", (), 0)))
    text = overview_page(overview, Reader())
    assert_inert(text)
    # The name is one path segment of its link, quoted.
    assert "/releases/%3Cscript%3Ealert%281%29%3C%2Fscript%3E" in text
    assert "2 pending request(s)" in text


def test_the_overview_says_when_its_models_were_read() -> None:
    now = overview_page(Overview(T0, ()), Reader())
    assert "0 governed model(s), as of" in now and "held them" not in now
    kept = overview_page(Overview(T0, (), read_at=T0 - timedelta(seconds=7)), Reader())
    assert "as MLflow held them at" in kept
    assert f'datetime="{(T0 - timedelta(seconds=7)).isoformat()}"' in kept


def test_long_values_are_cut_with_the_whole_on_hover() -> None:
    long_reason = "because " * 40
    overview = Overview(T0, (ModelSummary("m", (row(approved_by=long_reason.strip()),), 0),))
    text = overview_page(overview, Reader())
    titles = re.findall(r'<span class="cut" title="([^"]*)">', text)
    assert long_reason.strip() in titles
    assert "because because" in text and "…" in text


def test_the_timeline_draws_a_segment_per_holding_and_its_markers() -> None:
    text = model_page(board("m"), Reader())
    timeline = text[text.index('class="timeline"') : text.index("</svg>")]
    assert timeline.count('class="seg"') == 4
    assert re.findall(r'class="seg" data-version="(\d+)"', timeline) == ["1", "2", "1", "4"]
    assert timeline.count('class="mark auto-rollback"') == 1
    assert timeline.count('class="mark drift"') == 1


def test_the_chart_draws_the_threshold_the_series_and_the_rollback() -> None:
    text = model_page(board("m"), Reader())
    assert text.count('class="chart"') == 2
    assert text.count('<g class="threshold">') == 2
    assert text.count('<g class="rollback">') == 2
    assert text.count('class="series"') == 1  # the second check has no data
    assert "no data: " in text


def test_times_are_utc_with_the_readers_zone_on_hover() -> None:
    text = model_page(board("m"), Reader(tz="Europe/Berlin"))
    assert (
        '<time datetime="2026-03-04T09:00:00+00:00" title="2026-03-04 10:00:00 Europe/Berlin">'
        in text
    )
    assert "2026-03-04 09:00 UTC" in text
    # An unknown zone is shown in UTC; it never reaches the page as markup.
    text = model_page(board("m"), Reader(tz="<b>Nowhere</b>"))
    assert 'title="2026-03-04 09:00:00 UTC"' in text and "<b>Nowhere" not in text
    assert "“&lt;b&gt;Nowhere&lt;/b&gt;” is not a time zone this server knows" in text
    assert "is not a time zone" not in model_page(board("m"), Reader(tz="Europe/Berlin"))


def test_the_trail_pages_and_offers_its_downloads() -> None:
    text = model_page(board("m"), Reader())
    assert 'href="/releases/m?page=1#trail"' in text
    assert 'href="/releases/m?page=3#trail"' in text
    assert 'href="/releases/m/trail.csv"' in text and 'href="/releases/m/trail.jsonl"' in text
    assert 'href="https://github.com/acme/models/pull/7"' in text
    assert "approve req-abcdef0123" in text


def test_the_page_needs_nothing_from_another_host() -> None:
    text = model_page(board("m"), Reader())
    for name, value in parsed(text).attrs:
        if name in ("src", "href") and value and value.startswith("http"):
            # Only links people follow (the PR, the MLflow UI), never an asset.
            assert name == "href"
    assert '<link rel="stylesheet" href="/releases/board.css">' in text
