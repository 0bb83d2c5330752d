"""The Prometheus queries a policy writes: which placeholders they may hold, and how a
model, a version and a target are put into them. Pure.

`{model}`, `{version}` and `{target}` are the only placeholders. A query can never be
changed by anything but the policy's author:

- a placeholder must stand inside a quoted PromQL string (a label value such as
  `model="{model}"`), so what is put in is always data, never PromQL syntax;
- what is put in is escaped for the string it stands in (a backslash and the quote
  that closes it get a backslash, as PromQL's string literals read them; newlines are
  written `\\n`), so even a value holding `"}` cannot close the label value;
- and the values are narrow to begin with: model names are restricted by the command
  parser to letters, digits, `.`, `_` and `-`, versions are digits (the number only,
  `3`, not `v3`), targets are the policy's own keys (`production`, `@champion`).

A placeholder inside a regular-expression matcher (`=~"{model}"`) is refused too: a
`.` in a model name would match any character there.
"""

from __future__ import annotations

import re

PLACEHOLDERS = ("model", "version", "target")
# `{word}`: a name between braces and nothing else. PromQL's own braces always hold a
# matcher (`{model="x"}`) or nothing (`{}`), so they never look like this.
_PLACEHOLDER = re.compile(r"\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}")
# PromQL string literals: double- or single-quoted with backslash escapes, or backticks.
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`[^`]*`')
_REGEX_MATCHER = re.compile(r"[=!]~\s*$")
QUERY_MAX = 2000


def _strings(query: str) -> list[tuple[int, int, str]]:
    """(start, end, quote) of each string literal in the query."""
    return [(m.start(), m.end(), m.group()[0]) for m in _STRING.finditer(query)]


def query_problem(query: str) -> str | None:
    """Why a query cannot be used as written, or None."""
    if not query.strip():
        return "the query is empty (write a PromQL expression)"
    if len(query) > QUERY_MAX:
        return f"the query is {len(query):,} characters long (keep it under {QUERY_MAX:,})"
    strings = _strings(query)
    for match in _PLACEHOLDER.finditer(query):
        name, at = match.group(1), match.start()
        shown = match.group()
        if name not in PLACEHOLDERS:
            known = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
            return f"`{shown}` is not a placeholder (the only ones are {known})"
        inside = next((s for s in strings if s[0] < at and match.end() < s[1]), None)
        if inside is None:
            return (
                f"`{shown}` stands outside a quoted label value (write it inside quotes, "
                f'e.g. {name}="{{{name}}}")'
            )
        if inside[2] == "`":
            return f'`{shown}` stands in a backtick string, which cannot be escaped (use "…")'
        if _REGEX_MATCHER.search(query[: inside[0]]):
            return (
                f"`{shown}` stands in a regular-expression matcher (=~ or !~), where a `.` "
                "would match any character; match it exactly with = or !="
            )
    return None


def _escape(value: str, quote: str) -> str:
    escaped = value.replace("\\", "\\\\").replace(quote, "\\" + quote)
    return escaped.replace("\n", "\\n").replace("\r", "\\r")


def fill(query: str, *, model: str, version: int, target: str) -> str:
    """The query with its placeholders put in, each escaped for its string literal.
    The query is one `query_problem` accepted (the policy checks it when it loads)."""
    values = {"model": model, "version": str(int(version)), "target": target}
    strings = _strings(query)

    def put(match: re.Match[str]) -> str:
        inside = next((s for s in strings if s[0] < match.start() and match.end() < s[1]), None)
        quote = inside[2] if inside else '"'
        return _escape(values[match.group(1)], quote)

    return _PLACEHOLDER.sub(put, query)
