"""Result → Block Kit: the one shape of render.message(), laid out in Slack's blocks, within
Slack's limits, with whatever a person typed escaped."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.core.policy import Check
from bot.core.results import (
    DONE,
    PENDING,
    CardResult,
    Holder,
    MetricRow,
    MoveResult,
    NextStep,
    Result,
    StatusResult,
)
from bot.render.slack_blocks import fallback_text, mrkdwn, result_blocks, text_blocks


def pending(**overrides: object) -> Result:
    values: dict[str, object] = dict(
        status=PENDING,
        action="promote",
        model="sentiment-classifier",
        version=3,
        target="Production",
        request_id="req-7f3a2c",
        reason="passed shadow test",
        requested_by="bob@example.com",
        checks=[
            Check("requester", "pass", "bob is in ml-engineers"),
            Check("accuracy ≥ 0.80", "pass", "0.912"),
            Check("approvals", "pending", "0 of 1 from ml-leads"),
        ],
        metrics=[MetricRow("accuracy", 0.912, 0.897), MetricRow("f1", 0.890, 0.874)],
        replaced_version=2,
        approvals_required=1,
        approvers=("ml-leads",),
        expires_at=datetime(2026, 11, 27, 10, 2, tzinfo=UTC),
        next_steps=[NextStep("a member of ml-leads", "approve req-7f3a2c")],
    )
    values.update(overrides)
    return MoveResult(**values)  # type: ignore[arg-type]


def texts(blocks: list[dict]) -> list[str]:
    out = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        out.extend(f["text"] for f in block.get("fields", []))
        out.extend(e["text"] for e in block.get("elements", []) if isinstance(e["text"], str))
    return out


def test_a_pending_request_reads_like_the_contract() -> None:
    blocks = result_blocks(pending(), buttons=True)

    assert [b["type"] for b in blocks] == [
        "section",
        "context",
        "section",
        "section",
        "section",
        "context",
        "actions",
    ]
    assert blocks[0]["text"] == {
        "type": "mrkdwn",
        "text": "⏳ *sentiment-classifier v3 → Production* is waiting for 1 approval from ml-leads",
    }
    assert blocks[1]["elements"][0]["text"] == (
        'requested by bob@example.com · "passed shadow test" · request `req-7f3a2c`'
    )
    checks = [f["text"] for f in blocks[2]["fields"]]
    assert checks == [
        "*check*",
        "*result*",
        "✅ requester",
        "bob is in ml-engineers",
        "✅ accuracy ≥ 0.80",
        "0.912",
        "⏳ approvals",
        "0 of 1 from ml-leads",
    ]
    metrics = [f["text"] for f in blocks[3]["fields"]]
    assert metrics == [
        "*metric*",
        "*v3 (candidate) vs v2 (Production)*",
        "accuracy",
        "0.912 vs 0.897",
        "f1",
        "0.890 vs 0.874",
    ]
    assert blocks[4]["text"]["text"] == ("Next: a member of ml-leads types `approve req-7f3a2c`.")
    assert blocks[5]["elements"][0]["text"] == "Expires 2026-11-27 10:02 UTC."
    approve, with_comment, deny = blocks[6]["elements"]
    assert (approve["action_id"], approve["style"], approve["value"]) == (
        "promobot_approve",
        "primary",
        "req-7f3a2c",
    )
    assert (with_comment["action_id"], with_comment["value"]) == (
        "promobot_approve_comment",
        "req-7f3a2c",
    )
    assert with_comment["text"]["text"] == "Approve with comment…"
    assert "style" not in with_comment
    assert (deny["action_id"], deny["style"], deny["value"]) == (
        "promobot_deny",
        "danger",
        "req-7f3a2c",
    )


@pytest.mark.parametrize(
    "result",
    [
        pending(status=DONE, approved_by=["alice@example.com"], uri="models:/m/Production"),
        pending(dry_run=True, request_id=None),
    ],
    ids=["decided", "dry-run"],
)
def test_buttons_only_on_a_live_pending_request(result: Result) -> None:
    assert "actions" not in [b["type"] for b in result_blocks(result, buttons=True)]


def test_what_people_typed_cannot_ping_or_link() -> None:
    result = pending(reason="<!channel> see <https://evil.example|docs> & more")

    shown = "\n".join(texts(result_blocks(result)))

    assert "<!channel>" not in shown and "<https://" not in shown
    assert "&lt;!channel&gt; see &lt;https://evil.example|docs&gt; &amp; more" in shown
    assert "<!channel>" not in fallback_text(result)


def test_bold_becomes_slack_bold_and_code_stays_code() -> None:
    assert mrkdwn("**m v3 → Production** done: `models:/m/Production`") == (
        "*m v3 → Production* done: `models:/m/Production`"
    )


def test_big_results_stay_within_slacks_limits() -> None:
    checks = [Check(f"check {i}", "fail", "x" * 2500) for i in range(40)]
    result = pending(status="refused", checks=checks, reasons=["r" * 5000] * 30)

    blocks = result_blocks(result, buttons=True)

    assert len(blocks) <= 50
    for block in blocks:
        assert len(block.get("fields", [])) <= 10
        assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
        if "text" in block:
            assert 0 < len(block["text"]["text"]) <= 3000


def test_wide_tables_are_monospaced() -> None:
    result = StatusResult(
        status=DONE,
        model="sentiment-classifier",
        holders=[
            Holder("Production", 3, "2026-11-26T10:02:00Z", "bob@example.com", "alice@example.com")
        ],
    )

    blocks = result_blocks(result)

    table = next(t for t in texts(blocks) if t.startswith("```"))
    assert "target      version" in table and "Production  v3" in table


def test_plain_replies_keep_their_lines_and_escape() -> None:
    [block] = text_blocks("Unknown command `x`.\nUsage: `status <model>`")
    assert block["text"]["text"] == "Unknown command `x`.\nUsage: `status &lt;model&gt;`"


@pytest.mark.parametrize(
    ("verb", "callback", "title", "optional"),
    [
        ("deny", "promobot_deny_view", "Deny request", False),
        ("approve", "promobot_approve_view", "Approve request", True),
    ],
    ids=["deny", "approve"],
)
def test_the_decision_modal(verb: str, callback: str, title: str, optional: bool) -> None:
    from bot.render.slack_blocks import decision_modal

    view = decision_modal(
        verb,
        "req-7f3a2c",
        "⏳ *m v3 → Production* is waiting &lt;for&gt; 1 approval\nrequested by bob",
        {"channel": "C1", "ts": "1.2"},
    )

    assert (view["type"], view["callback_id"], view["title"]["text"]) == ("modal", callback, title)
    assert len(view["title"]["text"]) <= 24 and len(view["submit"]["text"]) <= 24
    assert json.loads(view["private_metadata"]) == {
        "request_id": "req-7f3a2c",
        "channel": "C1",
        "ts": "1.2",
    }
    about, field = view["blocks"]
    # The headline only, escaped once (it came escaped in the message's text).
    assert about["text"]["text"] == (
        "⏳ *m v3 → Production* is waiting &lt;for&gt; 1 approval\nrequest `req-7f3a2c`"
    )
    assert (field["type"], field["block_id"], field["optional"]) == (
        "input",
        "promobot_text",
        optional,
    )
    assert field["element"] == {
        "type": "plain_text_input",
        "action_id": "text",
        "multiline": True,
        "max_length": 500,
    }


# ---- a version's card, and where an announced request was asked ----------------------------------


def version_card(targets: list[str]) -> Result:
    return CardResult(
        model="sentiment-classifier",
        version=5,
        metrics=[MetricRow("accuracy", 0.912, 0.897)],
        extra={"run_id": "abc", "production_version": 4, "next_targets": targets},
    )


def test_a_version_card_has_one_promote_button_per_next_target_each_in_its_own_block() -> None:
    from bot.render.slack_blocks import card_blocks

    blocks = card_blocks(version_card(["staging", "production", "@champion"]))

    assert blocks[0]["text"]["text"] == "📦 *sentiment-classifier v5* registered"
    actions = [b for b in blocks if b["type"] == "actions"]
    assert [b["block_id"] for b in actions] == [
        "promobot_promote.staging",
        "promobot_promote.production",
        "promobot_promote.@champion",
    ]
    assert [
        (e["action_id"], e["value"], e["text"]["text"]) for b in actions for e in b["elements"]
    ] == [
        ("promobot_promote", "sentiment-classifier v5 staging", "Promote to Staging"),
        ("promobot_promote", "sentiment-classifier v5 production", "Promote to Production"),
        ("promobot_promote", "sentiment-classifier v5 @champion", "Promote to @champion"),
    ]
    assert blocks[-3:] == actions  # the buttons come last
    assert "accuracy" in texts(blocks) and "0.912 vs 0.897" in texts(blocks)


def test_a_card_with_no_target_left_has_no_button() -> None:
    from bot.render.slack_blocks import card_blocks

    assert [b for b in card_blocks(version_card([])) if b["type"] == "actions"] == []


def test_a_request_asked_elsewhere_says_where_in_slack() -> None:
    link = "https://github.com/acme/models/pull/7#issuecomment-21"
    blocks = result_blocks(pending(asked_in="github", link=link), buttons=True)

    assert f"Asked in a pull-request comment: {link}" in texts(blocks)
