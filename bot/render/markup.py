"""The one shape's marks laid out for each place, and everything else shown as typed.

A Message (bot/render/shape.py) holds text with three marks of promobot's own: **bold**,
`code`, and, in a Message for GitHub, <https://…> for a URL promobot recorded itself
(`shape.link`: a plain http(s) URL only). Text people wrote goes into it through
`bot.core.neutral.words`, which leaves it none of them (no backtick, no asterisk, no
`<https://…>`); so each layout here
takes every mark it finds for promobot's, and shows everything else literally by the
rules of its place (bot/core/neutral.py):

    github(text)   GitHub Markdown: code spans kept (their content is literal there), a
                   link as its bare URL (GitHub links it), the rest escaped: no mention,
                   reference, link, image or HTML
    slack(text)    Slack mrkdwn: `**` → `*`, a link as Slack's <url>, `&`, `<` and `>`
                   escaped everywhere else, no `@here`
    plain(text)    a terminal: no `**`, a link as its URL, no control sequences

A backtick left over (an odd count: text that did not go through `words`) is shown as a
backtick, never opens a span; and whatever stands inside a span is literal in Markdown,
so a name that slipped through can change how text is set, never what it does.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.core.neutral import PLAIN_URL, markdown, slack_mentions, terminal

_BOLD = "**"
_LINK = re.compile(rf"<({PLAIN_URL.pattern})>")


def _spans(text: str) -> list[tuple[bool, str]]:
    """(is code, text) in order: the parts between pairs of backticks are code."""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # an odd count of backticks: the last one opens nothing
        parts[-2:] = [f"{parts[-2]}`{parts[-1]}"]
    return [(n % 2 == 1, part) for n, part in enumerate(parts)]


def _around_links(text: str, link: Callable[[str], str], other: Callable[[str], str]) -> str:
    """`text` with each <url> mark given to `link` (the URL) and the rest to `other`."""
    out, at = [], 0
    for found in _LINK.finditer(text):
        out += [other(text[at : found.start()]), link(found.group(1))]
        at = found.end()
    return "".join([*out, other(text[at:])])


def github(text: str, *, cell: bool = False) -> str:
    """Message text → GitHub Markdown. `cell`: for a table cell, where GitHub splits the
    row at a `|` even inside a code span unless it is escaped."""
    out = []
    for code, part in _spans(text):
        if code:
            out.append(f"`{part.replace('|', chr(92) + '|') if cell else part}`")
        else:
            out.append(
                _BOLD.join(
                    _around_links(piece, lambda url: url, markdown) for piece in part.split(_BOLD)
                )
            )
    return "".join(out)


def _slack_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(text: str) -> str:
    """Message text → Slack mrkdwn: `**bold**` → `*bold*`, a link as Slack's <url>,
    Slack's three characters escaped everywhere else, and an `@` starting a word outside
    code joined to an invisible WORD JOINER, so Slack's automatic parsing makes no
    `@here` of it."""
    out = []
    for code, part in _spans(text):
        if code:
            out.append(f"`{_slack_escaped(part)}`")
        else:  # a leftover backtick (see above) as a quote, so it opens no span
            out.append(
                _around_links(
                    part,
                    lambda url: f"<{url.replace('&', '&amp;')}>",
                    lambda rest: slack_mentions(
                        _slack_escaped(rest).replace(_BOLD, "*").replace("`", "'")
                    ),
                )
            )
    return "".join(out)


def plain(text: str) -> str:
    """Message text → a terminal: without the bold marks, a link as its URL, control
    characters shown as U+FFFD (bot/core/neutral.py `terminal`)."""
    return terminal(_LINK.sub(r"\1", str(text).replace(_BOLD, "")))
