"""bot/render/markup.py, and text people wrote through the real renderers: the one shape's
marks (**bold**, `code`) laid out for GitHub, Slack and the terminal, everything else
shown as typed. GitHub Markdown is read as GitHub shows it (tests/markdown_seen.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_seen import seen, visible

from bot.core.neutral import WORD_JOINER, words
from bot.core.policy import Check
from bot.core.results import (
    DONE,
    PENDING,
    ApprovalView,
    CardResult,
    HistoryEntry,
    HistoryResult,
    MetricRow,
    MoveResult,
    NextStep,
    PendingView,
    StatusResult,
)
from bot.render import markup
from bot.render.message import message, to_markdown, to_text
from bot.render.shape import link
from bot.render.slack_blocks import card_blocks, fallback_text, result_blocks

WJ = WORD_JOINER
HOSTILE = (
    "fine <img src=https://evil.example/p.png> [Approve here](https://evil.example/approve) "
    "cc @acme/everyone <!--"
)
BRANCH = "main` <!here> *now* `x"  # a git_branch tag with backticks
EXPIRES = datetime(2026, 11, 27, 10, 2, tzinfo=UTC)

# ---- the layouts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "md"),
    [
        ("**m v3 → Production** done", "**m v3 → Production** done"),
        ("request `req-1` · `<b>@x</b>`", "request `req-1` · `<b>@x</b>`"),
        ("→ @champion", f"→ @{WJ}champion"),
        ("promote <model> [reason]", "promote &lt;model> \\[reason\\]"),
        ("one ` stray", "one \\` stray"),
        ("**[a](https://x)**", "**\\[a\\](https\\://x)**"),
    ],
    ids=["bold", "code-is-literal", "mention", "angle-and-brackets", "stray-backtick", "link"],
)
def test_github(text: str, md: str) -> None:
    assert markup.github(text) == md


def test_github_cells_escape_pipes_inside_code_too() -> None:
    assert markup.github("`a|b` c|d", cell=True) == "`a\\|b` c\\|d"
    assert markup.github("`a|b` c|d") == "`a|b` c\\|d"


@pytest.mark.parametrize(
    ("text", "mrkdwn"),
    [
        ("**m v3 → Production** done", "*m v3 → Production* done"),
        ("`<!here>` & <!channel>", "`&lt;!here&gt;` &amp; &lt;!channel&gt;"),
        ("→ @champion, `@x`", f"→ @{WJ}champion, `@x`"),
        ("one ` stray", "one ' stray"),
    ],
    ids=["bold", "escaped", "mention-outside-code", "stray-backtick"],
)
def test_slack(text: str, mrkdwn: str) -> None:
    assert markup.slack(text) == mrkdwn


def test_promobots_own_links_are_links_on_github_and_text_elsewhere() -> None:
    url = "https://github.com/acme/models/pull/7#issuecomment-11"
    assert link(url, "github") == f"<{url}>"
    assert [link(url, door) for door in ("slack", "cli")] == [url, url]
    assert markup.github(f"Promoted in a pull-request comment: {link(url, 'github')}") == (
        f"Promoted in a pull-request comment: {url}"
    )
    assert seen(markup.github(f"see {link(url, 'github')}")).links == [url]
    assert markup.plain(f"see <{url}>") == f"see {url}"
    assert markup.slack(f"see <{url}>") == f"see <{url}>"
    # Not plain (a label, brackets, a space, an @): shown as text, as typed.
    for odd in ("https://evil.example|Approve", "https://e.x/(a)", "javascript:alert(1)"):
        assert seen(markup.github(f"see {link(odd, 'github')}")).links == []


@given(st.text())
def test_text_people_wrote_is_never_a_link_on_github(text: str) -> None:
    shown = seen(markup.github(words(text)))
    assert all(found.startswith("mailto:") for found in shown.links)
    for url in ("https://evil.example/approve", "http://e.x"):
        assert seen(markup.github(words(f"x <{url}> y {text}"))).links == []


def test_a_urls_fragment_is_left_whole_and_a_reference_is_not_made() -> None:
    said = "see https://github.com/a/b/pull/7#issuecomment-1 and #12"
    out = markup.github(said)
    assert "#issuecomment-1" in out and f"#{WJ}12" in out
    assert seen(out).links == [] and seen(out).references == []


def test_plain() -> None:
    assert markup.plain("**m** `x` \x1b[31mred") == "m `x` \ufffd[31mred"


@given(st.text())
def test_the_layouts_never_raise(text: str) -> None:
    markup.github(text)
    markup.github(text, cell=True)
    markup.slack(text)
    markup.plain(text)


@given(st.text(max_size=40), st.text(max_size=40))
def test_text_through_words_stays_text_in_a_code_span_and_in_bold(code: str, bold: str) -> None:
    """Whatever a person wrote, put in the shape through `words`, GitHub renders as one
    code span and one bold run holding exactly those words: nothing opens or closes."""
    code_line, bold_line = (" ".join(words(t).replace(WJ, "").split()) for t in (code, bold))
    if not code_line or not bold_line:
        return
    shown = seen(markup.github(f"`{code_line}` **{bold_line}**"))
    assert [t for t in shown.tags if t != "a"] == ["p", "code", "strong"]
    assert shown.mentions == [] and shown.references == []


# ---- issue 20's reason, through the real renderers ------------------------------------------


def _decision(**fields: object) -> MoveResult:
    values: dict[str, object] = {
        "status": DONE,
        "action": "approve",
        "model": "m",
        "version": 3,
        "target": "Production",
        "requested_by": "bob@example.com",
        "approved_by": ("alice@example.com",),
        "approval_comments": {"alice@example.com": "ok @acme/everyone [x](https://evil.example)"},
        "reason": HOSTILE,
        "request_id": "req-7f3a2c91bd",
        "checks": (Check("approvals", "pass", "1 of 1 from ml-leads: alice"),),
        "uri": "models:/m/Production",
        **fields,
    }
    return MoveResult(**values)  # type: ignore[arg-type]


def test_a_hostile_reason_in_a_github_reply_is_read_not_acted_on() -> None:
    reply = to_markdown(_decision(), door="github")
    shown = seen(reply)

    assert shown.mentions == [] and shown.references == []
    assert [link for link in shown.links if not link.startswith("mailto:")] == []
    assert "img" not in shown.tags and "<!--" not in shown.tags
    assert set(shown.tags) <= {"p", "strong", "code", "a", "table", "thead", "tbody", "tr"} | {
        "th",
        "td",
    }
    # Still readable: the words are all there, and the rest of the reply is not hidden.
    text = visible(reply)
    assert f'"{HOSTILE}"' in text
    assert 'approved by alice@example.com ("ok @acme/everyone [x](https://evil.example)")' in text
    assert "Now serving: models:/m/Production" in text


def test_a_hostile_reason_in_the_terminal_is_shown_as_typed() -> None:
    shown = to_text(_decision(reason=HOSTILE + " \x1b[2J"))
    assert f'"{HOSTILE} \ufffd[2J"' in shown
    assert "\x1b" not in shown


def test_a_hostile_reason_in_slack_neither_pings_nor_links() -> None:
    blocks = result_blocks(_decision(reason=HOSTILE + " <!channel> <https://evil.example|Click>"))
    texts = [el["text"] for b in blocks for el in b.get("elements", []) if isinstance(el, dict)] + [
        b["text"]["text"] for b in blocks if "text" in b
    ]
    joined = "\n".join(texts)
    assert "<!channel>" not in joined and "<https://" not in joined and "<img" not in joined
    assert "&lt;!channel&gt;" in joined


@pytest.mark.parametrize("door", ["slack", "github", "cli"])
def test_a_git_branch_with_backticks_stays_inside_its_code_span(door: str) -> None:
    card = CardResult(
        model="m",
        version=5,
        metrics=(MetricRow("accuracy", 0.9, None),),
        extra={"run_id": "abc", "git_commit": "0123456789abcdef", "git_branch": BRANCH},
    )
    byline = message(card, door).byline
    assert byline == "run `abc` · commit `0123456789ab` on `main' <!here> ∗now∗ 'x`"
    if door == "slack":
        [_, context, *_] = card_blocks(card)
        assert context["elements"][0]["text"] == (
            "run `abc` · commit `0123456789ab` on `main' &lt;!here&gt; ∗now∗ 'x`"
        )


def test_status_and_history_show_what_people_wrote_as_typed() -> None:
    pending = PendingView(
        "req-1",
        "promote",
        3,
        "Production",
        "bob@example.com",
        0,
        1,
        EXPIRES,
        approved_by=(ApprovalView("alice@example.com", None, "ok `x` @acme/everyone"),),
    )
    status = StatusResult(status=PENDING, model="m", pending=(pending,))
    history = HistoryResult(
        status=DONE,
        model="m",
        history=(
            HistoryEntry(
                EXPIRES, "promote", "Production", 3, 2, "bob@example.com", "", HOSTILE, "req-1"
            ),
        ),
    )
    for result in (status, history):
        shown = seen(to_markdown(result))
        assert shown.mentions == [] and shown.references == []
        assert [link for link in shown.links if not link.startswith("mailto:")] == []
        assert "img" not in shown.tags and "<!--" not in shown.tags
    assert "ok 'x' @acme/everyone" in visible(to_markdown(status))
    assert HOSTILE[:59] + "…" in visible(to_markdown(history))  # clipped to 60


def test_the_next_step_shows_a_typed_request_id_inside_its_code_span() -> None:
    step = NextStep("a member of ml-leads", "approve req-1` @acme/everyone `", "Approve")
    result = MoveResult(
        status=PENDING,
        action="promote",
        model="m",
        version=3,
        target="Production",
        next_steps=(step,),
    )
    shown = seen(to_markdown(result, door="github"))
    assert shown.mentions == []
    assert "/approve req-1' @acme/everyone '" in shown.text
    assert fallback_text(result).startswith("⏳")
