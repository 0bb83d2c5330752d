"""The one shape's markup laid out for each place, and everything else shown as typed.

A Message (bot/render/shape.py) holds text with two marks of promobot's own: **bold**
and `code`. Text people wrote goes into it through `bot.core.neutral.words`, which
leaves neither character in it; so each layout here takes every `**` and every pair of
backticks for promobot's, and shows everything else literally by the rules of its place
(bot/core/neutral.py):

    github(text)   GitHub Markdown: code spans kept (their content is literal there), the
                   rest escaped: no mention, reference, link, image or HTML
    slack(text)    Slack mrkdwn: `**` → `*`, `&`, `<` and `>` escaped, no `@here`
    plain(text)    a terminal: no `**`, no control sequences

A backtick left over (an odd count: text that did not go through `words`) is shown as a
backtick, never opens a span; and whatever stands inside a span is literal in Markdown,
so a name that slipped through can change how text is set, never what it does.
"""

from __future__ import annotations

from bot.core.neutral import markdown, slack_mentions, terminal

_BOLD = "**"


def _spans(text: str) -> list[tuple[bool, str]]:
    """(is code, text) in order: the parts between pairs of backticks are code."""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # an odd count of backticks: the last one opens nothing
        parts[-2:] = [f"{parts[-2]}`{parts[-1]}"]
    return [(n % 2 == 1, part) for n, part in enumerate(parts)]


def github(text: str, *, cell: bool = False) -> str:
    """Message text → GitHub Markdown. `cell`: for a table cell, where GitHub splits the
    row at a `|` even inside a code span unless it is escaped."""
    out = []
    for code, part in _spans(text):
        if code:
            out.append(f"`{part.replace('|', chr(92) + '|') if cell else part}`")
        else:
            out.append(_BOLD.join(markdown(piece) for piece in part.split(_BOLD)))
    return "".join(out)


def slack(text: str) -> str:
    """Message text → Slack mrkdwn: `**bold**` → `*bold*`, Slack's three characters
    escaped everywhere, and an `@` starting a word outside code joined to an invisible
    WORD JOINER, so Slack's automatic parsing makes no `@here` of it."""
    out = []
    for code, part in _spans(text):
        escaped = part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if code:
            out.append(f"`{escaped}`")
        else:  # a leftover backtick (see above) as a quote, so it opens no span
            out.append(slack_mentions(escaped.replace(_BOLD, "*").replace("`", "'")))
    return "".join(out)


def plain(text: str) -> str:
    """Message text → a terminal: without the bold marks, control characters shown as
    U+FFFD (bot/core/neutral.py `terminal`)."""
    return terminal(str(text).replace(_BOLD, ""))
