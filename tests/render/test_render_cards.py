"""What promobot announces on its own, in words (bot/render/cards.py, and render's
asked_line): a new version's card, drift found, and where an announced request was asked."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.core.results import PENDING, CardResult, DriftResult, MetricRow, MoveResult, NextStep
from bot.core.service.drift import Finding, fixes_for
from bot.render.message import asked_line, message, to_markdown, to_text

M = "sentiment-classifier"
RUN = "c44aaf99daa449abaa204b5789c16357"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
RUN_URL = "https://github.com/acme/models/actions/runs/42"


def card(**extra: object) -> CardResult:
    facts: dict[str, object] = {
        "run_id": RUN,
        "git_commit": COMMIT,
        "git_branch": "tune",
        "git_pull_request": "7",
        "ci_run_url": RUN_URL,
        "production_version": 4,
        "next_targets": ["staging", "production", "@champion"],
        **extra,
    }
    return CardResult(
        model=M,
        version=5,
        metrics=[MetricRow("accuracy", 0.912, 0.897), MetricRow("f1", 0.89, None)],
        extra=facts,
        next_steps=[
            NextStep("someone who may ask for it", f"promote {M} v5 {key}", f"Promote to {key}")
            for key in facts["next_targets"]  # type: ignore[attr-defined]
        ],
    )


def test_a_version_card_in_a_terminal() -> None:
    assert to_text(card()) == "\n".join(
        [
            f"📦 {M} v5 registered",
            f"run `{RUN}` · commit `0123456789ab` on `tune` · pull request #7 · CI run {RUN_URL}",
            "",
            "metric    v5 (new)  v4 (Production)",
            "--------  --------  ---------------",
            "accuracy  0.912     0.897",
            "f1        0.890     —",
            "",
            f"Next: someone who may ask for it types `promote {M} v5 <target> [reason]` with "
            "<target> one of staging, production, @champion.",
        ]
    )


def test_a_version_card_on_github_and_in_slack_words_its_next_step_for_the_door() -> None:
    assert f"comments `/promote {M} v5 <target> [reason]`" in to_markdown(card(), "github")
    assert message(card(), "slack").next[0].endswith("(or clicks its button below).")


def test_a_card_with_nothing_in_production_and_no_ci_tags() -> None:
    shown = card(
        production_version=None, git_commit="", git_branch="", git_pull_request="", ci_run_url=""
    )

    m = message(shown)

    assert m.byline == f"run `{RUN}`"
    assert m.tables[0].header == ["metric", "v5 (new)"]
    assert m.tables[0].rows == [["accuracy", "0.912"], ["f1", "0.890"]]
    assert m.lines == ["No version is in Production yet, so there is nothing to compare with."]


def test_a_card_in_a_registry_without_stages_compares_with_the_alias() -> None:
    m = message(card(production_label="@production"))
    assert m.tables[0].header == ["metric", "v5 (new)", "v4 (@production)"]

    m = message(card(production_label="@production", production_version=None))
    assert m.lines == ["Nothing holds @production yet, so there is nothing to compare with."]


def test_a_card_whose_run_logged_no_metrics_says_so() -> None:
    shown = replace(card(), metrics=())

    assert "Its run logged no metrics." in message(shown).lines


def finding(**overrides: object) -> Finding:
    facts: dict[str, object] = {
        "model": M,
        "target_key": "production",
        "target": "Production",
        "kind": "outside",
        "holder": 2,
        "recorded": 1,
        "alias": 1,
        "recorded_by": "bob@example.com",
        "recorded_at": datetime(2026, 11, 25, 10, 2, tzinfo=UTC),
    }
    facts.update(overrides)
    found = Finding(**facts)  # type: ignore[arg-type]
    return Finding(**facts, fixes=fixes_for(found))  # type: ignore[arg-type]


def test_drift_found_names_each_finding_and_the_commands_that_put_it_right() -> None:
    drift = DriftResult(model=M, target="Production", drift=[finding(), finding(kind="mirror")])

    assert to_text(drift).splitlines() == [
        f"⚠️ {M}: Production changed outside promobot",
        "⚠ Production holds v2, but promobot last put v1 there (bob@example.com, "
        "2026-11-25 10:02 UTC): it was changed outside promobot.",
        "   To put it right: to restore v1, someone who may roll back types "
        f"`rollback {M} production <reason>` or to keep v2 and record it, someone who "
        "may promote types "
        f"`promote {M} v2 production <reason>`.",
        "⚠ Production holds v2 but its alias @production names v1: "
        f"`models:/{M}/Production` and `models:/{M}@production` load different things.",
        "   To put it right: to restore v1, someone who may roll back types "
        f"`rollback {M} production <reason>` or to keep v2 and record it, someone who "
        "may promote types "
        f"`promote {M} v2 production <reason>`.",
        "",
        "promobot reports each finding once; `status` shows it until it is put right.",
    ]


@pytest.mark.parametrize(
    ("channel", "link", "line"),
    [
        (
            "github",
            "https://github.com/a/b/pull/7#issuecomment-21",
            "Asked in a pull-request comment: https://github.com/a/b/pull/7#issuecomment-21",
        ),
        ("ci", RUN_URL, f"Asked by CI: {RUN_URL}"),
        ("cli", "", "Asked in the terminal."),
        ("slack", "", ""),
        ("", "", ""),
    ],
    ids=["github", "ci", "cli", "slack", "unknown"],
)
def test_where_a_request_was_asked(channel: str, link: str, line: str) -> None:
    assert asked_line(channel, link) == line


def test_only_slack_shows_where_a_request_was_asked() -> None:
    asked = MoveResult(
        status=PENDING,
        action="promote",
        model=M,
        version=3,
        target="Production",
        request_id="req-8b4e495d52",
        approvals_required=1,
        approvers=("ml-leads",),
        asked_in="ci",
        link=RUN_URL,
    )

    assert message(asked, "slack").lines == [f"Asked by CI: {RUN_URL}"]
    assert message(asked, "github").lines == []
    assert "Asked" not in to_text(asked)
