"""Text people wrote, made inert for each place promobot shows it (docs/security.md,
"Text people wrote"): a person reading it sees the words as they were typed, and the
place never acts on them: no mention, link, image, HTML or formatting comes from them,
and no spreadsheet evaluates them.

One function per place, each pure and total (any string in, never an exception):

    markdown(text)   GitHub Markdown, and the MLflow version description (whose UI renders
                     Markdown with GitHub's flavour: mentions, autolinks, images, HTML)
    slack(text)      Slack mrkdwn
    words(text)      the one shape's text (bot/render/shape.py), whose only markup is
                     **bold** and `code`: without the two characters that markup uses
    terminal(text)   a terminal: no control sequences
    csv_cell(value)  a CSV cell: no formula (OWASP's rule)
    jsonl(line)      a JSON line: no character that a line splitter breaks a line at

It lives in the core because the core writes the description line (bot/core/state) and
the core imports no renderer; the renderers and the doors use it too, so each place's
rules can be read side by side here.

Escaping, never deleting: a character Markdown would act on gets a backslash (GitHub
shows the character), `&`, `<` and `>` become entities, and a mention or an issue
reference (`#12`) gets an invisible WORD JOINER (U+2060) after its `@` or `#` — GitHub finds
mentions in the rendered text, after backslashes are gone, so a backslash cannot stop
one. A URL stays readable but is no link: `https\\://…`, `www\\.…`. An e-mail address is
left as it is: GitHub may link it as `mailto:`, which shows the address itself.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

WORD_JOINER = "\u2060"

# ---- Markdown (GitHub, and MLflow's description) ------------------------------------------

# Each of these starts or ends Markdown syntax wherever it stands: escapes, code,
# emphasis, links and images, table cells, strikethrough.
_BACKSLASHED = frozenset("\\`*[]|~")
_ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
# `<` opens HTML (a tag, a comment `<!--`, `<?`, `</`) or an autolink only before one of
# these; `&` makes an entity (`&#64;` is an `@` that GitHub would take for a mention)
# only in this form. Elsewhere they are shown as they are, unescaped.
_OPENS_HTML = re.compile(r"[A-Za-z/!?]")
_ENTITY = re.compile(r"#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;")
# What makes a line something other than a paragraph when it starts it (after spaces):
# a blockquote, a heading, a list item (`-`, `+` or `1.` and a space), a thematic break or
# a setext heading's underline (`---`, `===`). `*`, `_`, `~`, `` ` `` and `|` are escaped
# wherever they stand.
_BLOCK_START = re.compile(
    r"[ \t]*(?:(>)|(#)|([-+])(?=[ \t]|$)|([-=])(?=[-= \t]*$)|\d{1,9}([.)])(?=[ \t]|$))"
)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def markdown(text: str) -> str:
    """`text` as GitHub Markdown that shows it as typed: no mention, issue reference,
    link, autolink, image, HTML, entity, emphasis, code, heading, list or table cell
    break comes from it. The MLflow UI renders a version's description with the same
    flavour (Showdown's "github": mentions, autolinks, tables, and sanitised HTML that
    keeps `img` and `iframe`), so the description line uses it too."""
    return "\n".join(_markdown_line(line) for line in _LINE_BREAK.split(str(text)))


def _markdown_line(line: str) -> str:
    start = _BLOCK_START.match(line)
    # The character that would make the line a quote, a list item or a heading.
    block_at = next((start.start(n) for n in range(1, 6) if start.group(n)), -1) if start else -1
    out: list[str] = []
    for i, char in enumerate(line):
        before = line[i - 1] if i else ""
        after = line[i + 1] if i + 1 < len(line) else ""
        if char == "<" and _OPENS_HTML.match(after):
            out.append("&lt;")
        elif char == "&" and _ENTITY.match(line, i + 1):
            out.append("&amp;")
        elif char == ">" and i == block_at:
            out.append("&gt;")
        elif char == "#" and after.isdigit():
            out.append(char + WORD_JOINER)  # `#12`, `owner/repo#12`: issue references
        elif char in _BACKSLASHED or i == block_at:
            out.append("\\" + char)
        elif char == "_":
            # Inside a word (snake_case) `_` never emphasises; elsewhere it may.
            out.append(char if before.isalnum() and after.isalnum() else "\\_")
        elif char == "@":
            # A mention needs `@` at the start of a word; `bob@example.com` is an address.
            out.append(char if before in _ASCII_WORD else char + WORD_JOINER)
        elif char == ":" and line.startswith("//", i + 1):
            out.append("\\:")  # `https://…` autolinks in GitHub and in MLflow's UI
        elif char == "." and _ends_www(line, i):
            out.append("\\.")  # `www.…` autolinks too
        else:
            out.append(char)
    return "".join(out)


def _ends_www(line: str, i: int) -> bool:
    start = i - 3
    return (
        start >= 0
        and line[start:i].lower() == "www"
        and (start == 0 or not line[start - 1].isalnum())
    )


# ---- Slack mrkdwn -----------------------------------------------------------------------------

# `@` at the start of a word: Slack parses `@here`, `@channel` and `@everyone` in mrkdwn
# that is not verbatim.
_WORD_START_AT = re.compile(r"(?<![A-Za-z0-9_])@")


def slack(text: str) -> str:
    """`text` as Slack mrkdwn that shows it as typed: Slack's own rule for `&`, `<` and
    `>` (no `<@U…>`, `<!channel>` or `<https://…|label>`), no backtick to end a code
    span or block around it, no `*` to make it bold, and no `@here` that Slack parses.
    (Slack has no escape for `_` and `~`: an `_italic_` word stays italic.)"""
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return slack_mentions(words(escaped))


def slack_mentions(mrkdwn: str) -> str:
    """Every `@` that starts a word followed by an invisible WORD JOINER, so Slack's
    automatic parsing makes no mention of it; for mrkdwn already escaped."""
    return _WORD_START_AT.sub("@" + WORD_JOINER, mrkdwn)


# ---- the one shape's text ------------------------------------------------------------------

# The one shape's marks are **bold**, `code` and <URL> for a URL promobot recorded itself
# (bot/render/shape.py `link`), where the URL is plain: http(s), a host, and only
# characters no place acts on (no space, `<`, `>`, backtick, `*`, `@`, brackets,
# parentheses or `|`), so the text shown is where it leads. Text people wrote keeps none
# of the marks, so every layout can trust those it finds.
PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][A-Za-z0-9._~%/?#=&+-]*)?")
_MARKUP = str.maketrans({"`": "'", "*": "\u2217"})
_LINK_MARK = re.compile(rf"<(?=(?:{PLAIN_URL.pattern})>)")


def words(text: Any) -> str:
    """Text people wrote (a reason, a name, a tag's value) as the one shape holds it:
    a backtick becomes `'` (as the parser's echo does), `*` becomes `∗` (U+2217), and the
    `<` of a `<https://…>` it holds is followed by a WORD JOINER, so none of it ends a
    code span, makes bold text or passes for one of promobot's links in any layout."""
    return _LINK_MARK.sub("<" + WORD_JOINER, str(text).translate(_MARKUP))


# ---- the terminal ----------------------------------------------------------------------------

# Characters that reorder what follows them on screen (the "Trojan Source" ones).
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def terminal(text: str) -> str:
    """`text` for a terminal: every control character but the line break (an escape
    sequence could recolour, retitle, clear the screen or make a hidden link) and every
    bidirectional override shown as U+FFFD."""
    return "".join(
        "\ufffd" if (char != "\n" and unicodedata.category(char) == "Cc") or char in _BIDI else char
        for char in str(text)
    )


# ---- exports ---------------------------------------------------------------------------------

# OWASP's CSV injection rule: a spreadsheet evaluates a cell starting with one of these.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: a string starting with `=`, `+`, `-`,
    `@`, a tab or a carriage return gets a leading `'` (OWASP); anything else as given."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


# Where `str.splitlines()` (and JavaScript before ES2019) breaks a line inside a JSON
# string that `json.dumps(..., ensure_ascii=False)` leaves raw; it escapes the others.
_LINE_SEPARATORS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SEPARATOR = re.compile("[\x85\u2028\u2029]")


def jsonl(line: str) -> str:
    """A JSON text with NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR written as `\\u`
    escapes: the same JSON value, and one line for every line splitter. (They can only
    stand inside strings, where the escape means the same character.)"""
    return _SEPARATOR.sub(lambda m: _LINE_SEPARATORS[m.group()], line)
