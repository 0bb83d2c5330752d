"""What an execution writes onto MLflow besides moving the version
(bot/core/state/execution_tags.py): the description line (the contract's example, the
figures it shows, and text people wrote shown as typed by the MLflow UI, which renders a
description as Markdown with GitHub's flavour: tests/markdown_seen.py reads it so), the
version tags people read (docs/contract.md, "What is written onto MLflow"), and the
request's outcome records."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from markdown_seen import SHOWDOWN_MENTION, seen, visible

from bot.core.state import HistoryEvent, description_line
from bot.core.state.execution_tags import done_outcome, outcome_record, version_tags_of

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


# ---- the figures on the line, the version tags and the outcome records --------------------

MOVED_AT = datetime(2026, 11, 25, 10, 2, tzinfo=UTC)
STAMP = "2026-11-25T10:02:00Z"


def test_an_outcome_says_how_who_when_and_why_in_at_most_500_characters() -> None:
    assert json.loads(outcome_record("denied", "alice@example.com", MOVED_AT, "x" * 600)) == {
        "state": "denied",
        "by": "alice@example.com",
        "at": STAMP,
        "detail": "x" * 500,
    }


@pytest.mark.parametrize(
    ("label", "people", "reason", "metrics", "gated", "line"),
    [
        (
            "Production",
            ("bob@example.com", "alice@example.com"),
            "passed\nshadow test",
            {"f1": 0.891, "accuracy": 0.912, "auc": 0.95},
            ["f1", "not-logged"],
            "2026-11-25 10:02 UTC → Production by bob@example.com, approved by "
            "alice@example.com: passed shadow test (f1 0.89)",
        ),
        (
            "Archived",
            ("bob@example.com", ""),
            "",
            {"zeta": 1.0, "accuracy": 0.9, "f1": 0.8},
            [],
            "2026-11-25 10:02 UTC → Archived by bob@example.com (accuracy 0.90, f1 0.80)",
        ),
        (
            "Staging",
            ("bob@example.com", [("alice@example.com", "ok")]),
            "",
            {},
            ["f1"],
            "2026-11-25 10:02 UTC → Staging by bob@example.com, approved by "
            'alice@example.com ("ok")',
        ),
    ],
    ids=["the-gated-metrics", "else-the-first-two", "no-metrics-no-figures"],
)
def test_the_description_line(
    label: str,
    people: tuple[str, object],
    reason: str,
    metrics: dict[str, float],
    gated: list[str],
    line: str,
) -> None:
    assert description_line(MOVED_AT, label, people, reason, metrics, gated) == line  # type: ignore[arg-type]


def event(**fields: object) -> HistoryEvent:
    values: dict[str, object] = {
        "kind": "promote",
        "target_key": "production",
        "target_label": "Production",
        "version": 3,
        "previous": 2,
        "by": "bob@example.com",
        "approved_by": "alice@example.com",
        "at": MOVED_AT,
        "reason": "shadow ok",
        "request": "req-1",
        "channel": "slack",
        "line": "the line",
        **fields,
    }
    return HistoryEvent(**values)  # type: ignore[arg-type]


PROMOTED = {
    "requested_by": "bob@example.com",
    "approved_by": "alice@example.com",
    "promoted_to": "Production",
    "promoted_at": STAMP,
    "promotion_reason": "shadow ok",
    "promotion_request": "req-1",
    "promotion_channel": "slack",
}


@pytest.mark.parametrize(
    ("written", "new_tags", "old_tags"),
    [
        (
            event(),
            PROMOTED,
            {"replaced_by": "v3", "archived_at": STAMP, "archived_by": "bob@example.com"},
        ),
        (
            event(target_key="@champion", target_label="@champion", target_kind="alias"),
            {**PROMOTED, "promoted_to": "@champion"},
            {"replaced_by": "v3"},
        ),
        (event(previous=None), PROMOTED, {}),
        (
            event(link="https://github.com/acme/models/pull/7", verify={"for_s": 600}),
            {
                **PROMOTED,
                "promotion_link": "https://github.com/acme/models/pull/7",
                "verification": "running",
            },
            {"replaced_by": "v3", "archived_at": STAMP, "archived_by": "bob@example.com"},
        ),
        (
            event(kind="rollback", rollback_reason="latency", ends_verification=True),
            PROMOTED,
            {
                "replaced_by": "v3",
                "verification": "ended",
                "archived_at": STAMP,
                "archived_by": "bob@example.com",
                "rolled_back_at": STAMP,
                "rolled_back_by": "bob@example.com",
                "rollback_reason": "latency",
            },
        ),
        (
            event(at=None, previous=None, kind="rollback"),
            {**PROMOTED, "promoted_at": ""},
            {},
        ),
    ],
    ids=[
        "promotion-to-a-stage-archives-the-old",
        "promotion-to-an-alias-archives-nothing",
        "nothing-replaced",
        "a-link-and-a-verification-starting",
        "rollback-ending-a-verification",
        "no-time",
    ],
)
def test_the_tags_on_the_version_put_in_place_and_on_the_one_it_replaced(
    written: HistoryEvent, new_tags: dict[str, str], old_tags: dict[str, str]
) -> None:
    assert version_tags_of(written) == (new_tags, old_tags)


@pytest.mark.parametrize(
    ("written", "closed"),
    [
        (event(), {"state": "done", "by": "alice@example.com", "at": STAMP, "detail": "the line"}),
        (
            event(approved_by="", at=None),
            {"state": "done", "by": "bob@example.com", "at": "", "detail": "the line"},
        ),
    ],
    ids=["approved", "by-the-requester-alone"],
)
def test_the_outcome_that_closes_an_execution(
    written: HistoryEvent, closed: dict[str, str]
) -> None:
    assert done_outcome(written) == closed
