"""A verification's outcome in words (bot/render/verification.py) as each door lays it
out: the terminal, GitHub's Markdown and Slack's blocks. Results shaped as
bot/core/service/verification.py publishes them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.core.results import DONE, REFUSED, NextStep, Result, VerifyResult
from bot.render.message import to_markdown, to_text
from bot.render.slack_blocks import fallback_text, result_blocks

REASON = "verification failed: error rate 0.071 (pass < 0.02), 3 checks in a row"


def view(state: str, error_rate: float | None, failures: int, problem: str = "") -> dict[str, Any]:
    return {
        "target": "Production",
        "version": 2,
        "state": state,
        "runs": 3,
        "checks": [
            {
                "name": "error rate",
                "pass": "< 0.02",
                "value": error_rate,
                "problem": problem,
                "failures": failures,
            },
            {"name": "p99 latency", "pass": "< 0.5", "value": 0.1, "problem": "", "failures": 0},
        ],
    }


def outcome(status: str, verification: dict[str, Any], rolled: int | None = None) -> Result:
    return VerifyResult(
        status=status,
        model="m",
        version=2,
        target="Production",
        requested_by="bob@example.com",
        request_id="req-1",
        asked_in="github",
        link="https://github.com/o/r/pull/7#issuecomment-1",
        uri="models:/m/Production",
        extra={"verification": verification, "rolled_back_to": rolled},
    )


def rolled_back() -> Result:
    r = outcome(DONE, view("failed", 0.071, 3), rolled=1)
    return replace(r, message=REASON, replaced_version=1)


def told(why: str) -> Result:
    r = outcome(REFUSED, view("failed", None, 3, "no series"))
    return replace(
        r,
        message=REASON,
        reasons=[why],
        next_steps=[NextStep(who="the on-call engineer", command="rollback m")],
    )


def test_a_rollback_reads_as_what_failed_what_promobot_did_and_what_serves() -> None:
    assert to_text(rolled_back()).splitlines() == [
        "❌ m v2 on Production failed verification: promobot rolled it back to v1",
        "promoted by bob@example.com · request `req-1` · 3 runs",
        REASON,
        "Promoted in a pull-request comment: https://github.com/o/r/pull/7#issuecomment-1",
        "",
        "check                last figure",
        "-------------------  --------------------------",
        "❌ error rate < 0.02  0.071, 3 failures in a row",
        "✅ p99 latency < 0.5  0.1",
        "",
        "Now serving: `models:/m/Production` (v1).",
    ]


@pytest.mark.parametrize(
    ("door", "step"),
    [
        ("cli", "Next: the on-call engineer types `rollback m`."),
        ("github", "Next: the on-call engineer comments `/rollback m`."),
    ],
    ids=["terminal", "github"],
)
def test_not_rolled_back_says_why_and_gives_the_rollback_command(door: str, step: str) -> None:
    text = to_markdown(told("on_failure: notify"), door)
    assert text.startswith("❌ **m v2 on Production** failed verification: not rolled back\n")
    assert "Not rolled back: on_failure: notify." in text
    assert "| ❌ error rate < 0.02 | no data (no series), 3 failures in a row |" in text
    assert text.endswith(step)
    assert "Now serving" not in text


def test_in_slack_the_rollback_is_the_slash_command_and_nothing_typed_pings() -> None:
    r = told("v2 was the first holder of Production: <!channel> nothing to go back to")
    blocks = result_blocks(r)
    text = "\n".join(
        str(b.get("text", {}).get("text", "")) for b in blocks if b["type"] == "section"
    )
    assert "Next: the on-call engineer types `/rollback m`." in text
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert fallback_text(r).startswith("❌ m v2 on Production failed verification: not rolled")


def test_a_pass_shows_each_figure_against_its_threshold_and_nothing_to_do() -> None:
    r = replace(
        outcome(DONE, view("passed", 0.005, 0)),
        message="m v2 passed verification on Production: passed: error rate 0.005 (pass < 0.02).",
        asked_in="cli",
        link="",
    )
    assert to_markdown(r).split("\n\n") == [
        "✅ **m v2 on Production** passed verification\n"
        "promoted by bob@example.com · request `req-1` · 3 runs",
        "Promoted in the terminal.",
        "| check | last figure |\n| --- | --- |\n| ✅ error rate < 0.02 | 0.005 |\n"
        "| ✅ p99 latency < 0.5 | 0.1 |",
    ]
