"""Result → words (bot/render/message.py): the exact lines people read in a GitHub comment
(`to_markdown`) and in a terminal (`to_text`), built from Result objects made by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.policy import Check, QuorumCount
from bot.core.results import (
    DONE,
    ERROR,
    PENDING,
    REFUSED,
    ApprovalView,
    ErrorResult,
    HelpResult,
    HistoryEntry,
    HistoryResult,
    Holder,
    LockResult,
    LockView,
    MetricRow,
    MoveResult,
    NextStep,
    PendingView,
    PolicyResult,
    Result,
    StatusResult,
)
from bot.render import message as render

# On GitHub an `@` starting a word is a mention: promobot's Markdown joins it to an
# invisible WORD JOINER, so `@champion` pings no user called champion.
CHAMPION = "@\u2060champion"
EXPIRES = datetime(2026, 11, 27, 10, 2, tzinfo=UTC)
PASSED = [
    Check("requester", "pass", "bob is in ml-engineers"),
    Check("stage order", "pass", "v3 is in Staging"),
    Check("accuracy ≥ 0.80", "pass", "0.912"),
    Check("f1 ≥ production − 0.01", "pass", "0.890 vs 0.874 (v2)"),
]
WAITING = Check(
    "approvals", "pending", "0 of 1 from ml-leads (bob cannot approve their own request)"
)
METRICS = [MetricRow("accuracy", 0.912, 0.897), MetricRow("f1", 0.890, 0.874)]


def result(status: str, action: str = "promote", **fields: object) -> Result:
    """A Result about `m v3 → Production` asked by bob, with `fields` on top."""
    values: dict[str, object] = {
        "model": "m",
        "version": 3,
        "target": "Production",
        "requested_by": "bob@example.com",
        "reason": "passed shadow test",
        "request_id": "req-7f3a2c91bd",
        **fields,
    }
    if status == ERROR:
        about = ("model", "version", "target", "request_id", "message", "reasons", "extra")
        return ErrorResult(action=action, **{k: values[k] for k in about if k in values})  # type: ignore[arg-type]
    return MoveResult(status=status, action=action, **values)  # type: ignore[arg-type]


def pending(**fields: object) -> Result:
    values: dict[str, object] = {
        "checks": [*PASSED, WAITING],
        "metrics": METRICS,
        "replaced_version": 2,
        "approvals_required": 1,
        "approvers": ("ml-leads",),
        "expires_at": EXPIRES,
        "next_steps": [NextStep("a member of ml-leads", "approve req-7f3a2c91bd", "Approve")],
        **fields,
    }
    return result(PENDING, **values)


def refused(**fields: object) -> Result:
    values: dict[str, object] = {
        "reasons": [
            "v3 is not in Staging (production needs Staging first)",
            "accuracy is 0.71, the policy needs ≥ 0.80",
        ],
        "checks": [
            Check("requester", "pass", "bob is in ml-engineers"),
            Check(
                "stage order",
                "fail",
                "v3 is in None",
                fix="promote it to staging first: `promote m v3 staging`",
            ),
            Check("accuracy ≥ 0.80", "fail", "0.710", fix="train a better model"),
            Check("reason", "fail", "no reason given"),
        ],
        **fields,
    }
    return result(REFUSED, **values)


def done(action: str = "approve", **fields: object) -> Result:
    values: dict[str, object] = {
        "checks": [*PASSED, Check("approvals", "pass", "1 of 1 from ml-leads: alice")],
        "metrics": [MetricRow("accuracy", 0.912, None), MetricRow("f1", 0.890, None)],
        "replaced_version": 2,
        "approved_by": ["alice@example.com"],
        "uri": "models:/m/Production",
        **fields,
    }
    return result(DONE, action, **values)


# ---- decisions: the whole comment -------------------------------------------------------------

PENDING_MARKDOWN = """\
⏳ **m v3 → Production** is waiting for 1 approval from ml-leads
requested by bob@example.com · "passed shadow test" · request `req-7f3a2c91bd`

| check | result |
| --- | --- |
| ✅ requester | bob is in ml-engineers |
| ✅ stage order | v3 is in Staging |
| ✅ accuracy ≥ 0.80 | 0.912 |
| ✅ f1 ≥ production − 0.01 | 0.890 vs 0.874 (v2) |
| ⏳ approvals | 0 of 1 from ml-leads (bob cannot approve their own request) |

| metric | v3 (candidate) | v2 (Production) |
| --- | --- | --- |
| accuracy | 0.912 | 0.897 |
| f1 | 0.890 | 0.874 |

Next: a member of ml-leads types `approve req-7f3a2c91bd` (or clicks Approve in Slack).
Expires 2026-11-27 10:02 UTC."""

PENDING_TEXT = """\
⏳ m v3 → Production is waiting for 1 approval from ml-leads
requested by bob@example.com · "passed shadow test" · request `req-7f3a2c91bd`

check                     result
------------------------  -----------------------------------------------------------
✅ requester               bob is in ml-engineers
✅ stage order             v3 is in Staging
✅ accuracy ≥ 0.80         0.912
✅ f1 ≥ production − 0.01  0.890 vs 0.874 (v2)
⏳ approvals               0 of 1 from ml-leads (bob cannot approve their own request)

metric    v3 (candidate)  v2 (Production)
--------  --------------  ---------------
accuracy  0.912           0.897
f1        0.890           0.874

Next: a member of ml-leads types `approve req-7f3a2c91bd` (or clicks Approve in Slack).
Expires 2026-11-27 10:02 UTC."""

REFUSED_MARKDOWN = """\
❌ **m v3 → Production** refused
requested by bob@example.com · "passed shadow test" · request `req-7f3a2c91bd`

• v3 is not in Staging (production needs Staging first)
• accuracy is 0.71, the policy needs ≥ 0.80

| check | result |
| --- | --- |
| ✅ requester | bob is in ml-engineers |
| ❌ stage order | v3 is in None |
| ❌ accuracy ≥ 0.80 | 0.710 |
| ❌ reason | no reason given |

To get past it: promote it to staging first: `promote m v3 staging`
To get past it: train a better model"""

DONE_MARKDOWN = """\
🚀 **m v3 → Production** done (v2 moved out)
requested by bob@example.com · approved by alice@example.com · "passed shadow test" · \
request `req-7f3a2c91bd`

| check | result |
| --- | --- |
| ✅ requester | bob is in ml-engineers |
| ✅ stage order | v3 is in Staging |
| ✅ accuracy ≥ 0.80 | 0.912 |
| ✅ f1 ≥ production − 0.01 | 0.890 vs 0.874 (v2) |
| ✅ approvals | 1 of 1 from ml-leads: alice |

| metric | v3 (candidate) |
| --- | --- |
| accuracy | 0.912 |
| f1 | 0.890 |

Now serving: `models:/m/Production`"""


@pytest.mark.parametrize(
    ("made", "markdown"),
    [(pending(), PENDING_MARKDOWN), (refused(), REFUSED_MARKDOWN), (done(), DONE_MARKDOWN)],
    ids=["pending request", "refusal", "done promotion"],
)
def test_a_decision_as_a_github_comment(made: Result, markdown: str) -> None:
    assert render.to_markdown(made) == markdown


def test_a_pending_request_in_a_terminal() -> None:
    assert render.to_text(pending()) == PENDING_TEXT


# ---- decisions: the first line -----------------------------------------------------------------

HEADLINES = [
    ("pending", pending(), "⏳ **m v3 → Production** is waiting for 1 approval from ml-leads"),
    (
        "pending, two approvals from two groups",
        pending(approvals=0, approvals_required=2, approvers=("ml-leads", "oncall")),
        "⏳ **m v3 → Production** is waiting for 2 approvals from ml-leads, oncall",
    ),
    (
        "pending, one of two approvals given",
        pending(approvals=1, approvals_required=2),
        "⏳ **m v3 → Production** is waiting for 1 approval from ml-leads",
    ),
    (
        "pending, one count per group",
        pending(
            approvals=1,
            approvals_required=2,
            approvers=("ml-leads", "sre"),
            quorum=(QuorumCount("ml-leads", 1, 1), QuorumCount("sre", 0, 1)),
        ),
        "⏳ **m v3 → Production** is waiting for approvals: ml-leads 1 of 1 ✅ · sre 0 of 1 ⏳",
    ),
    (
        "pending, dry run",
        pending(dry_run=True, request_id=None),
        "⏳ (dry run) **m v3 → Production** is waiting for 1 approval from ml-leads",
    ),
    ("refused", refused(), "❌ **m v3 → Production** refused"),
    ("approval refused", refused(action="approve"), "❌ Approval refused: **m v3 → Production**"),
    ("denial refused", refused(action="deny"), "❌ Denial refused: **m v3 → Production**"),
    (
        "approval refused, no such request",
        result(REFUSED, "approve", model=None, version=None, target=None),
        "❌ Approval refused for `req-7f3a2c91bd`",
    ),
    (
        "refused, nothing known",
        result(REFUSED, model=None, version=None, target=None, request_id=None),
        "❌ Refused",
    ),
    ("done", done(), "🚀 **m v3 → Production** done (v2 moved out)"),
    ("done, nothing replaced", done(replaced_version=None), "🚀 **m v3 → Production** done"),
    (
        "rollback",
        done("rollback", version=1, replaced_version=2),
        "⏪ **m v1 → Production** rolled back (v2 moved out)",
    ),
    ("already done", done("promote", already=True), "✅ **m v3 → Production**: nothing to do"),
    (
        "dry run",
        done("promote", dry_run=True),
        "🧪 (dry run) **m v3 → Production** would be carried out",
    ),
    ("denied", done("deny"), "🛑 **m v3 → Production** denied"),
    (
        "an alias target, no version",
        done("promote", version=None, target="@champion"),
        "🚀 **m → @champion** done (v2 moved out)",
    ),
    ("error", result(ERROR, message="MLflow did not answer"), "⚠️ MLflow did not answer"),
    ("error without a message", result(ERROR), "⚠️ Something went wrong"),
]


@pytest.mark.parametrize(
    ("made", "headline"), [row[1:] for row in HEADLINES], ids=[row[0] for row in HEADLINES]
)
def test_headline(made: Result, headline: str) -> None:
    assert render.message(made).headline == headline


# ---- decisions: what follows the first line -------------------------------------------------

TAILS = [
    (
        "pending: the next step and the expiry",
        pending(),
        [
            "Next: a member of ml-leads types `approve req-7f3a2c91bd` "
            "(or clicks Approve in Slack).",
        ],
        "Expires 2026-11-27 10:02 UTC.",
    ),
    (
        "pending without an expiry",
        pending(
            expires_at=None,
            next_steps=[NextStep("a lead", "approve req-1"), NextStep("an sre", "approve req-2")],
        ),
        ["Next: a lead types `approve req-1`.", "Next: an sre types `approve req-2`."],
        "",
    ),
    ("done: the URI that serves it", done(), ["Now serving: `models:/m/Production`"], ""),
    ("rollback: the URI", done("rollback", version=1), ["Now serving: `models:/m/Production`"], ""),
    ("dry run: nothing serves yet", done("promote", dry_run=True), [], ""),
    ("denied: no URI", done("deny", uri=""), [], ""),
    (
        "refused: one fix per failed check that has one",
        refused(),
        [
            "To get past it: promote it to staging first: `promote m v3 staging`",
            "To get past it: train a better model",
        ],
        "",
    ),
    (
        "error: try again",
        result(ERROR, message="MLflow did not answer"),
        ["try again in a minute; if it keeps failing, tell the platform team (MLflow may be down)"],
        "",
    ),
    (
        "MLflow refused: put it right",
        result(ERROR, message="MLflow refused to …", extra={"mlflow": "refused"}),
        [
            "put right what MLflow named (a name, a setting, or a grant the platform team "
            "gives), then run the command again"
        ],
        "",
    ),
]


@pytest.mark.parametrize(
    ("made", "next_lines", "footer"), [row[1:] for row in TAILS], ids=[row[0] for row in TAILS]
)
def test_next_and_footer(made: Result, next_lines: list[str], footer: str) -> None:
    shown = render.message(made)
    assert (shown.next, shown.footer) == (next_lines, footer)


BYLINES = [
    (
        "pending",
        pending(),
        'requested by bob@example.com · "passed shadow test" · request `req-7f3a2c91bd`',
    ),
    (
        "done, two approvers",
        done(approved_by=["alice@example.com", "erin@example.com"]),
        "requested by bob@example.com · approved by alice@example.com, erin@example.com · "
        '"passed shadow test" · request `req-7f3a2c91bd`',
    ),
    (
        "done, an approver's comment after their name",
        done(
            approved_by=["alice@example.com", "erin@example.com"],
            approval_comments={"alice@example.com": "dashboards\nchecked"},
        ),
        'requested by bob@example.com · approved by alice@example.com ("dashboards checked"), '
        'erin@example.com · "passed shadow test" · request `req-7f3a2c91bd`',
    ),
    (
        "a reason on several lines reads as one",
        pending(reason="passed\n  shadow   test"),
        'requested by bob@example.com · "passed shadow test" · request `req-7f3a2c91bd`',
    ),
    (
        "a long reason is cut at 200 characters",
        pending(reason="x" * 201, request_id=None),
        'requested by bob@example.com · "' + "x" * 197 + '…"',
    ),
    (
        "a 200-character reason is whole",
        pending(reason="y" * 200, request_id=None, requested_by=""),
        '"' + "y" * 200 + '"',
    ),
    ("nothing to say", result(REFUSED, requested_by="", reason="", request_id=None), ""),
]


@pytest.mark.parametrize(
    ("made", "byline"), [row[1:] for row in BYLINES], ids=[row[0] for row in BYLINES]
)
def test_byline(made: Result, byline: str) -> None:
    assert render.message(made).byline == byline


METRIC_TABLES = [
    (
        "pending, the replaced version's metrics read",
        pending(),
        ["metric", "v3 (candidate)", "v2 (Production)"],
        [["accuracy", "0.912", "0.897"], ["f1", "0.890", "0.874"]],
    ),
    (
        "the replaced version's metrics not read",
        pending(metrics=[MetricRow("accuracy", 0.912, None), MetricRow("f1", 0.89, None)]),
        ["metric", "v3 (candidate)"],
        [["accuracy", "0.912"], ["f1", "0.890"]],
    ),
    (
        "one of its metrics read: the column, with a dash",
        pending(metrics=[MetricRow("accuracy", 0.912, 0.9), MetricRow("loss", None, None)]),
        ["metric", "v3 (candidate)", "v2 (Production)"],
        [["accuracy", "0.912", "0.900"], ["loss", "—", "—"]],
    ),
    (
        "nothing replaced: no column",
        pending(replaced_version=None),
        ["metric", "v3 (candidate)"],
        [["accuracy", "0.912"], ["f1", "0.890"]],
    ),
]


@pytest.mark.parametrize(
    ("made", "header", "rows"),
    [row[1:] for row in METRIC_TABLES],
    ids=[row[0] for row in METRIC_TABLES],
)
def test_metrics_table(made: Result, header: list[str], rows: list[list[str]]) -> None:
    table = render.message(made).tables[-1]
    assert (table.header, table.rows) == (header, rows)


def test_no_metrics_no_metrics_table() -> None:
    assert [t.header[0] for t in render.message(pending(metrics=[])).tables] == ["check"]
    assert render.message(pending(checks=[], metrics=[])).tables == []


def test_a_message_line_comes_before_the_reasons() -> None:
    made = refused(message="The request was made by someone else.")
    assert render.message(made).lines == [
        "The request was made by someone else.",
        "• v3 is not in Staging (production needs Staging first)",
        "• accuracy is 0.71, the policy needs ≥ 0.80",
    ]


def test_an_error_lists_its_reasons_in_a_terminal() -> None:
    made = result(ERROR, message="MLflow did not answer", reasons=["connection refused"])
    assert render.to_text(made) == (
        "⚠️ MLflow did not answer\n"
        "connection refused\n"
        "\n"
        "try again in a minute; if it keeps failing, tell the platform team (MLflow may be down)"
    )


# ---- status, history, policy, help ---------------------------------------------------------------


def status(**fields: object) -> Result:
    values: dict[str, object] = {
        "holders": [
            Holder("Staging", 3, "2026-11-25T10:00:00Z", "bob@example.com", ""),
            Holder("Production", 2, "2026-11-20T09:30:00Z", "bob@example.com", "alice@example.com"),
            Holder("@champion", 0),
        ],
        "pending": [
            PendingView(
                "req-7f3a2c91bd", "promote", 3, "Production", "bob@example.com", 0, 1, EXPIRES
            ),
            PendingView(
                "req-00aa11bb22",
                "rollback",
                1,
                "Production",
                "carol@example.com",
                1,
                2,
                EXPIRES,
                (ApprovalView("alice@example.com", None, "dashboards checked"),),
            ),
        ],
        "extra": {"latest_version": 4},
        **fields,
    }
    return StatusResult(status=DONE, model="m", **values)  # type: ignore[arg-type]


STATUS_MARKDOWN = "\n".join(
    [
        "📦 **m**",
        "",
        "Latest registered version: v4.",
        "",
        "| target | version | since | by | approved by |",
        "| --- | --- | --- | --- | --- |",
        "| Staging | v3 | 2026-11-25 10:00:00 | bob@example.com |  |",
        "| Production | v2 | 2026-11-20 09:30:00 | bob@example.com | alice@example.com |",
        f"| {CHAMPION} | — |  |  |  |",
        "",
        "| pending request | wants | asked by | approvals | approved by | expires |",
        "| --- | --- | --- | --- | --- | --- |",
        "| `req-7f3a2c91bd` | v3 → Production | bob@example.com | 0 of 1 | — "
        "| 2026-11-27 10:02 UTC |",
        "| `req-00aa11bb22` | v1 → Production (rollback) | carol@example.com | 1 of 2 "
        '| alice@example.com ("dashboards checked") | 2026-11-27 10:02 UTC |',
        "",
        "Next: `approve req-7f3a2c91bd` or `deny req-7f3a2c91bd`.",
    ]
)

STATUS_TEXT = "\n".join(
    [
        "📦 m",
        "Latest registered version: v4.",
        "",
        "target      version  since                by               approved by",
        "----------  -------  -------------------  ---------------  -----------------",
        "Staging     v3       2026-11-25 10:00:00  bob@example.com",
        "Production  v2       2026-11-20 09:30:00  bob@example.com  alice@example.com",
        "@champion   —",
        "",
        "pending request   wants                       asked by           appro"
        "vals  approved by                               expires",
        "----------------  --------------------------  -----------------  -----"
        "----  ----------------------------------------  --------------------",
        "`req-7f3a2c91bd`  v3 → Production             bob@example.com    0 of "
        "1     —                                         2026-11-27 10:02 UTC",
        "`req-00aa11bb22`  v1 → Production (rollback)  carol@example.com  1 of "
        '2     alice@example.com ("dashboards checked")  2026-11-27 10:02 UTC',
        "",
        "Next: `approve req-7f3a2c91bd` or `deny req-7f3a2c91bd`.",
    ]
)


def test_status_as_a_github_comment() -> None:
    assert render.to_markdown(status()) == STATUS_MARKDOWN


def test_status_in_a_terminal() -> None:
    assert render.to_text(status()) == STATUS_TEXT


def test_status_of_a_model_nothing_holds() -> None:
    assert render.to_markdown(status(holders=[], pending=[], extra={})) == (
        "📦 **m**\n\nNo version holds a stage or alias yet.\nNo pending requests."
    )


def history(entries: list[HistoryEntry]) -> Result:
    return HistoryResult(status=DONE, model="m", history=entries)


HISTORY = [
    HistoryEntry(
        datetime(2026, 11, 26, 3, 12, tzinfo=UTC),
        "rollback",
        "Production",
        1,
        2,
        "carol@example.com",
        "",
        "rollback: p99 latency doubled",
        "req-1",
    ),
    HistoryEntry(
        datetime(2026, 11, 25, 10, 2, tzinfo=UTC),
        "promote",
        "Production",
        2,
        None,
        "bob@example.com",
        "alice@example.com",
        "passed shadow test | F1 0.89 " + "and a great deal more to say " * 3,
        "req-2",
    ),
    HistoryEntry(None, "promote", "@champion", 2, None, "alice@example.com", "", "", "req-3"),
]

HISTORY_MARKDOWN = "\n".join(
    [
        "📜 **m**: history, newest first",
        "",
        "| when | what | by | approved by | reason |",
        "| --- | --- | --- | --- | --- |",
        "| 2026-11-26 03:12 UTC | v1 → Production (v2 out) | carol@example.com | — "
        "| rollback: p99 latency doubled |",
        # The reason is cut at 60 characters, then its pipe escaped.
        "| 2026-11-25 10:02 UTC | v2 → Production | bob@example.com | alice@example.com "
        "| passed shadow test \\| F1 0.89 and a great deal more to say a… |",
        f"| ? | v2 → {CHAMPION} | alice@example.com | — |  |",
    ]
)


def test_history_as_a_github_comment() -> None:
    assert render.to_markdown(history(HISTORY)) == HISTORY_MARKDOWN


LOCKED_AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
LOCK_ENDS = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_history_shows_locks_denials_and_what_approvers_said() -> None:
    entries = [
        HistoryEntry(LOCK_ENDS, "unlock", "Production", None, None, "erin@example.com", "", "", ""),
        HistoryEntry(
            LOCKED_AT,
            "lock",
            "Production",
            None,
            None,
            "alice@example.com",
            "",
            "incident 4711",
            "",
            until=LOCK_ENDS,
        ),
        HistoryEntry(
            LOCKED_AT, "deny", "Production", 3, None, "erin@example.com", "", "f1 dropped", "req-4"
        ),
        HistoryEntry(
            LOCKED_AT,
            "promote",
            "Production",
            2,
            1,
            "bob@example.com",
            "alice@example.com",
            "shadow ok",
            "req-2",
            comments=(("alice@example.com", "dashboards checked"),),
        ),
    ]

    assert render.to_markdown(history(entries)).splitlines()[4:] == [
        "| 2026-11-25 12:00 UTC | 🔓 unlocked Production | erin@example.com | — |  |",
        "| 2026-11-25 10:00 UTC | 🔒 locked Production until 2026-11-25 12:00 UTC "
        "| alice@example.com | — | incident 4711 |",
        "| 2026-11-25 10:00 UTC | v3 → Production denied | erin@example.com | — | f1 dropped |",
        "| 2026-11-25 10:00 UTC | v2 → Production (v1 out) | bob@example.com "
        '| alice@example.com ("dashboards checked") | shadow ok |',
    ]


def test_status_lists_the_locks_in_force() -> None:
    locks = [
        LockView("Production", "alice@example.com", LOCKED_AT, "incident 4711", LOCK_ENDS),
        LockView("@champion", "erin@example.com", LOCKED_AT, "", None),
    ]

    shown = render.to_markdown(status(pending=[], locks=locks))

    assert (
        "\n".join(
            [
                "| locked | by | since | until | reason |",
                "| --- | --- | --- | --- | --- |",
                "| 🔒 Production | alice@example.com | 2026-11-25 10:00 UTC | 2026-11-25 12:00 UTC "
                "| incident 4711 |",
                f"| 🔒 {CHAMPION} | erin@example.com | 2026-11-25 10:00 UTC | unlocked | — |",
            ]
        )
        in shown
    )


def lock_result(**fields: object) -> Result:
    values: dict[str, object] = {
        "model": "m",
        "target": "Production",
        "reason": "incident 4711",
        "requested_by": "alice@example.com",
        "locks": [LockView("Production", "alice@example.com", LOCKED_AT, "incident 4711", None)],
        "message": "Promotions of m to Production are refused until someone unlocks it; "
        "rollbacks still pass.",
        "next_steps": [NextStep("to lift it, a member of ml-leads", "unlock m production")],
        **fields,
    }
    return LockResult(status=DONE, action="lock", **values)  # type: ignore[arg-type]


def test_a_lock_says_what_is_locked_by_whom_why_and_until_when() -> None:
    assert render.to_markdown(lock_result(), door="github") == "\n".join(
        [
            "🔒 **m → Production** locked",
            'by alice@example.com · "incident 4711" · until unlocked',
            "",
            "Promotions of m to Production are refused until someone unlocks it; rollbacks "
            "still pass.",
            "",
            "Next: to lift it, a member of ml-leads comments `/unlock m production`.",
        ]
    )


def test_a_lock_of_every_target_names_them_and_a_refused_lock_its_reasons() -> None:
    every = lock_result(
        target=None,
        locks=[
            LockView("Staging", "alice@example.com", LOCKED_AT, "", LOCK_ENDS),
            LockView("Production", "alice@example.com", LOCKED_AT, "", LOCK_ENDS),
        ],
        reason="",
    )
    assert render.message(every).headline == "🔒 **m** locked: Staging, Production"
    assert render.message(every).byline == "by alice@example.com · until 2026-11-25 12:00 UTC"
    refusal = LockResult(
        status=REFUSED, action="unlock", model="m", target="@champion", reasons=["Only x."]
    )
    assert render.to_text(refusal) == "❌ Unlock refused: m → @champion\n• Only x."


REFUSED_QUERIES = [
    ("status", "❌ No status for `m`"),
    ("history", "❌ No history for `m`"),
    ("policy", "❌ No policy for `m`"),
]
QUERY_TYPES: dict[str, type[Result]] = {
    "status": StatusResult,
    "history": HistoryResult,
    "policy": PolicyResult,
}


@pytest.mark.parametrize(
    ("action", "headline"), REFUSED_QUERIES, ids=[row[0] for row in REFUSED_QUERIES]
)
def test_a_query_about_an_unknown_model(action: str, headline: str) -> None:
    made = QUERY_TYPES[action](
        status=REFUSED, model="m", reasons=["There is no registered model `m`."]
    )
    assert render.to_markdown(made) == f"{headline}\n\n• There is no registered model `m`."


def test_empty_history() -> None:
    assert render.to_markdown(history([])) == (
        "📜 **m**: history, newest first\n\nNothing promoted through promobot yet."
    )


def test_policy_explained() -> None:
    made = PolicyResult(
        status=DONE,
        model="m",
        explanation=[
            ("Production", ["bob may ask.", "1 approval from ml-leads."]),
            ("rollback", ["oncall may roll back at once."]),
        ],
    )
    assert render.to_markdown(made) == (
        "📋 **m**: the rules\n\n"
        "**Production**\n• bob may ask.\n• 1 approval from ml-leads.\n"
        "**rollback**\n• oncall may roll back at once."
    )
    assert render.to_text(made) == (
        "📋 m: the rules\n"
        "Production\n• bob may ask.\n• 1 approval from ml-leads.\n"
        "rollback\n• oncall may roll back at once."
    )


def test_help() -> None:
    made = HelpResult(text="promote <model> …\n  moves a version")
    # `<model>` would be an HTML tag to GitHub (and vanish): its `<` is an entity there.
    assert render.to_markdown(made) == "promobot help\n\npromote &lt;model> …\n  moves a version"
    assert render.to_text(made) == "promobot help\npromote <model> …\n  moves a version"


# ---- markdown tables ---------------------------------------------------------------------------

CELLS = [
    ("a pipe is escaped", "a | b", "a \\| b"),
    ("every pipe", "|x||y|", "\\|x\\|\\|y\\|"),
    ("a newline becomes a space", "one\ntwo\n\nthree", "one two three"),
    ("runs of spaces shrink", "  a   b  ", "a b"),
    ("plain text is left alone", "0.890 vs 0.874 (v2)", "0.890 vs 0.874 (v2)"),
]


@pytest.mark.parametrize(
    ("cell", "shown"), [row[1:] for row in CELLS], ids=[row[0] for row in CELLS]
)
def test_a_markdown_table_cell(cell: str, shown: str) -> None:
    made = pending(checks=[Check("requester", "pass", cell)], metrics=[])
    assert render.to_markdown(made).splitlines()[5] == f"| ✅ requester | {shown} |"


@pytest.mark.parametrize(
    ("door", "expected"),
    [
        ("cli", "a member of ml-leads types `approve req-1` (or clicks Approve in Slack)"),
        ("slack", "a member of ml-leads types `approve req-1` (or clicks Approve in Slack)"),
        ("github", "a member of ml-leads comments `/approve req-1` (or clicks Approve in Slack)"),
    ],
    ids=["cli", "slack", "github"],
)
def test_next_steps_are_worded_for_the_door(door: str, expected: str) -> None:
    step = NextStep("a member of ml-leads", "approve req-1", "Approve")
    assert render.step_text(step, door) == expected
    shown = render.to_markdown(pending(next_steps=[step]), door=door)
    assert f"Next: {expected}." in shown


def test_status_shows_each_groups_count_of_a_quorum_per_group() -> None:
    quorum = (QuorumCount("ml-leads", 1, 1), QuorumCount("sre", 0, 2))
    view = PendingView(
        "req-7f3a2c91bd",
        "promote",
        3,
        "Production",
        "bob@example.com",
        1,
        3,
        EXPIRES,
        quorum=quorum,
    )

    lines = render.to_markdown(status(pending=[view])).splitlines()

    assert (
        "| `req-7f3a2c91bd` | v3 → Production | bob@example.com "
        "| ml-leads 1 of 1 ✅ · sre 0 of 2 ⏳ | — | 2026-11-27 10:02 UTC |"
    ) in lines
    assert status(pending=[view]).to_json()["data"]["pending"][0]["quorum"] == {
        "ml-leads": {"have": 1, "need": 1},
        "sre": {"have": 0, "need": 2},
    }
    assert "quorum" not in status().to_json()["data"]["pending"][0]  # one count: none
