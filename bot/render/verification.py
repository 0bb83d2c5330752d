"""The words of a verification's outcome (a VerifyResult, published as
`verification_passed` / `verification_failed`), in the one shape (bot/render/shape.py):
what happened to the version in the first line, who promoted it and where, each check's
last figure against its threshold, then what serves now or the rollback command to type.

    ❌ **m v2 on Production** failed verification: promobot rolled it back to v1
    promoted by bob@example.com · request `req-…` · 3 runs
    verification failed: error rate 0.071 (pass < 0.02), 3 checks in a row
    Promoted in a pull-request comment: https://github.com/o/r/pull/7#issuecomment-1
    | check | last figure |  …
    Now serving: `models:/m/Production` (v1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.core.neutral import words
from bot.core.results import DONE, NextStep, VerifyResult
from bot.render.shape import Message, Table, link, step_text

# Where the promotion being verified was asked for (its execution's channel).
_PROMOTED = {
    "github": "in a pull-request comment",
    "ci": "by CI",
    "cli": "in the terminal",
    "slack": "in Slack",
    "verify": "by promobot, rolling back a failed verification",
}


def verification(r: VerifyResult, door: str = "cli") -> Message:
    view: Mapping[str, Any] = r.extra.get("verification") or {}
    subject = f"**{words(r.model)} v{r.version} on {words(r.target)}**"
    rolled = r.extra.get("rolled_back_to")
    if view.get("state") == "passed":
        headline = f"✅ {subject} passed verification"
    elif rolled:
        headline = f"❌ {subject} failed verification: promobot rolled it back to v{rolled}"
    else:
        headline = f"❌ {subject} failed verification: not rolled back"
    by = [f"promoted by {words(r.requested_by)}"] if r.requested_by else []
    if r.request_id:
        by.append(f"request `{words(r.request_id)}`")
    if view.get("runs"):
        by.append(f"{view['runs']} run{'s' if view['runs'] != 1 else ''}")
    msg = Message(headline=headline, byline=" · ".join(by))
    if view.get("state") != "passed" and r.message:
        msg.lines.append(r.message)
    if not rolled and view.get("state") != "passed":
        msg.lines.extend(f"Not rolled back: {reason}." for reason in r.reasons)
    if where := promoted_line(r.asked_in, r.link, door):
        msg.lines.append(where)
    msg.lines.extend(r.notes)
    if view.get("checks"):
        msg.tables.append(checks_table(view["checks"]))
    if rolled and r.uri and r.status == DONE:
        msg.next = [f"Now serving: `{words(r.uri)}` (v{rolled})."]
    else:
        msg.next = [f"Next: {rollback_step(step, door)}." for step in r.next_steps]
    return msg


def promoted_line(channel: str, url: str, door: str = "cli") -> str:
    """`Promoted in a pull-request comment: https://…`, `Promoted in the terminal.`"""
    if not channel:
        return ""
    where = _PROMOTED.get(channel, f"through {channel}")
    return f"Promoted {where}: {link(url, door)}" if url else f"Promoted {where}."


def checks_table(checks: Sequence[Mapping[str, Any]]) -> Table:
    """Each check against its threshold, with its last figure and failures in a row."""
    rows = []
    for check in checks:
        value, failures = check.get("value"), int(check.get("failures") or 0)
        if isinstance(value, int | float):
            figure = f"{value:.6g}"
        else:
            figure = f"no data ({words(check['problem'])})" if check.get("problem") else "not run"
        if failures:
            icon = "❌"
            figure += f", {failures} failure{'s' if failures != 1 else ''} in a row"
        else:
            icon = "✅" if isinstance(value, int | float) else "•"
        rows.append([f"{icon} {words(check['name'])} {words(check['pass'])}", figure])
    return Table(["check", "last figure"], rows)


def rollback_step(step: NextStep, door: str) -> str:
    """In Slack a rollback is the `/rollback` slash command itself; elsewhere as
    shape.step_text words it (`comments /rollback …` on GitHub, `types rollback …`)."""
    if door == "slack":
        return f"{words(step.who)} types `/{words(step.command)}`"
    return step_text(step, door)
