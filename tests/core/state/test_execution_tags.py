"""The description line an execution appends (bot/core/state/execution_tags.py): the
contract's example, and text people wrote shown as typed by the MLflow UI, which renders
a description as Markdown with GitHub's flavour (tests/markdown_seen.py reads it so)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from markdown_seen import SHOWDOWN_MENTION, seen, visible

from bot.core.state import description_line

AT = datetime(2026, 11, 26, 10, 2, tzinfo=UTC)
HOSTILE = (
    "fine <img src=https://evil.example/p.png> [Approve here](https://evil.example/approve) "
    "cc @acme/everyone <!--"
)


def test_the_contracts_example_is_unchanged() -> None:
    line = description_line(
        AT,
        "Production",
        ("bob@example.com", [("alice@example.com", "dashboards checked")]),
        "passed shadow test",
        {"accuracy": 0.91, "f1": 0.89, "auc": 0.5},
        ["accuracy", "f1"],
    )
    assert line == (
        "2026-11-26 10:02 UTC → Production by bob@example.com, approved by "
        'alice@example.com ("dashboards checked"): passed shadow test (accuracy 0.91, f1 0.89)'
    )


@pytest.mark.parametrize(
    ("reason", "comment", "metric"),
    [
        (HOSTILE, "ok", "accuracy"),
        ("ok", "![x](https://evil.example/p.png) @acme/everyone", "accuracy"),
        ("ok", "ok", "<iframe src=https://evil.example>"),
        ("line one\n# heading\n- item\u2028<b>bold</b>", "ok", "accuracy"),
    ],
    ids=["reason", "comment", "metric-name", "line-breaks"],
)
def test_text_people_wrote_is_shown_as_typed_on_one_line(
    reason: str, comment: str, metric: str
) -> None:
    line = description_line(
        AT,
        "@champion",
        ("bob@example.com", [("alice@example.com", comment)]),
        reason,
        {metric: 0.5},
        [],
    )
    assert "\n" not in line and len(line.splitlines()) == 1
    shown = seen(line)
    assert shown.tags == ["p"] or set(shown.tags) == {"p", "a"}  # a mailto: at most
    assert all(link.startswith("mailto:") for link in shown.links)
    assert shown.mentions == [] and not SHOWDOWN_MENTION.search(line)
    said = visible(line)
    assert " ".join(reason.split()) in said and " ".join(comment.split()) in said
    assert f"{metric} 0.50" in said
    assert said.startswith("2026-11-26 10:02 UTC → @champion by bob@example.com")
