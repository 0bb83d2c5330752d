"""The release board's HTML building blocks: every value goes through `esc` (html.escape,
quotes too), in text, attributes and SVG alike; links only to plain http(s) URLs or the
board's own paths; long text cut with the whole of it on hover; times in UTC with the
reader's zone on hover. No JavaScript anywhere: the Content-Security-Policy the door
sends forbids it, and nothing here writes a <script>, an on* attribute or a style
attribute."""

from __future__ import annotations

import html
import urllib.parse
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.core.neutral import PLAIN_URL

BASE = "/releases"
CSS_PATH = f"{BASE}/board.css"
CUT = 80  # characters shown of a long value in a cell


def esc(value: object) -> str:
    """Text for HTML (element text and quoted attribute values, in HTML and SVG)."""
    return html.escape("" if value is None else str(value), quote=True)


def cut(value: object, limit: int = CUT) -> str:
    """The value, escaped; past `limit` characters cut, with the whole on hover."""
    text = "" if value is None else str(value)
    if len(text) <= limit:
        return esc(text)
    return f'<span class="cut" title="{esc(text)}">{esc(text[: limit - 1])}…</span>'


def model_href(name: str, **query: object) -> str:
    """The model's page (the name quoted as one path segment)."""
    path = f"{BASE}/{urllib.parse.quote(name, safe='')}"
    kept = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{path}?{urllib.parse.urlencode(kept)}" if kept else path


def model_link(name: str, tz: str = "") -> str:
    return f'<a href="{esc(model_href(name, tz=tz))}">{cut(name, 60)}</a>'


def version_link(model: str, version: int | None, ui_url: str = "", tz: str = "") -> str:
    """`v3`, linked to the version's page in the MLflow UI when its URL is set, else to
    the model's page on the board."""
    if version is None:
        return '<span class="muted">nothing</span>'
    if ui_url and PLAIN_URL.fullmatch(ui_url.rstrip("/")):
        name = urllib.parse.quote(model, safe="")
        href = f"{ui_url.rstrip('/')}/#/models/{name}/versions/{version}"
    else:
        href = model_href(model, tz=tz) + "#targets"
    return f'<a href="{esc(href)}">v{esc(version)}</a>'


def outside_link(url: str, text: str) -> str:
    """A link to a URL promobot recorded (a PR comment, a Slack message, a CI run): only a
    plain http(s) URL is linked, anything else is shown as text."""
    if not url:
        return ""
    if not PLAIN_URL.fullmatch(url):
        return cut(url, 40)
    return f'<a href="{esc(url)}" rel="noreferrer noopener">{esc(text)}</a>'


def zone(name: str) -> ZoneInfo | None:
    """The reader's zone from `?tz=`; None when it is not an IANA name."""
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ValueError, OSError, KeyError):
        return None


def utc(at: datetime | None, tz: str = "") -> str:
    """`2025-03-14 09:30 UTC` in a <time>, with the time in the reader's zone on hover."""
    if at is None:
        return '<span class="muted">—</span>'
    at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    local = zone(tz)
    hover = (
        f"{at.astimezone(local):%Y-%m-%d %H:%M:%S} {tz}" if local else f"{at:%Y-%m-%d %H:%M:%S} UTC"
    )
    return (
        f'<time datetime="{esc(at.isoformat())}" title="{esc(hover)}">'
        f"{at:%Y-%m-%d %H:%M} UTC</time>"
    )


def page(title: str, body: str, *, notice: str = "", tz: str = "") -> str:
    """The whole document: the board's stylesheet (same origin), a header with the way
    back to the overview and the reader's zone, the notice (the registry is not
    guarded), and `body`."""
    banner = f'<p class="notice" role="note">{esc(notice)}</p>' if notice else ""
    if tz and zone(tz) is None:
        banner += (
            f'<p class="notice" role="note">“{cut(tz, 40)}” is not a time zone this '
            "server knows (an IANA name such as Europe/Berlin): times on hover are in UTC.</p>"
        )
    home = f"{BASE}?{urllib.parse.urlencode({'tz': tz})}" if tz else BASE
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{esc(title)}</title>'
        f'<link rel="stylesheet" href="{CSS_PATH}"></head><body>'
        f'<header><nav aria-label="board"><a href="{esc(home)}">'
        "Release board</a></nav>"
        f"{_zone_form(tz)}</header>{banner}<main>{body}</main></body></html>\n"
    )


def _zone_form(tz: str) -> str:
    """A GET form for the reader's zone (no JavaScript: the server shows local times)."""
    return (
        '<form method="get" class="tz"><label for="tz">Your time zone</label> '
        f'<input id="tz" name="tz" value="{esc(tz)}" placeholder="Europe/Berlin" size="16">'
        ' <button type="submit">Show</button></form>'
    )


def table(caption: str, heads: list[str], rows: list[list[str]], cls: str = "") -> str:
    """A table whose cells are HTML already built (escaped) by the caller."""
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in heads)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f'<div class="scroll"><table class="{esc(cls)}"><caption>{esc(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )
