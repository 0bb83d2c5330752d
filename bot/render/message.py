"""Result → words. One shape everywhere (bot/render/shape.py): `message(result)` builds
it once, dispatching on the result's type; `to_markdown` (GitHub), `to_text` (terminal)
and the Slack door's blocks only lay it out. A new version's card and drift are worded
in cards.py, a verification's outcome in verification.py; CI's job summary is ci.py.

Text people wrote (names, reasons, comments, tag values, ids they typed) goes into the
shape through `words` (bot/core/neutral.py), and each layout shows everything but the
shape's own marks literally (bot/render/markup.py): what a person wrote is read, never
acted on, wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.core.neutral import words
from bot.core.results import (
    DONE,
    ERROR,
    PENDING,
    REFUSED,
    Action,
    CardResult,
    DriftResult,
    HelpResult,
    HistoryEntry,
    HistoryResult,
    LockResult,
    MoveResult,
    PolicyResult,
    Result,
    StatusResult,
    VerifyResult,
)
from bot.core.text import clip, one_line, quorum_text, when
from bot.render import markup
from bot.render.cards import drift, registered
from bot.render.shape import Message, Table, drift_lines, link, metrics_table, num, step_text
from bot.render.verification import verification

__all__ = [
    "Message",
    "Table",
    "asked_line",
    "drift_lines",
    "message",
    "metrics_table",
    "num",
    "step_text",
    "to_markdown",
    "to_text",
]

ICON = {"pass": "✅", "fail": "❌", "pending": "⏳"}


def message(r: Result, door: str = "cli") -> Message:
    """The one shape of a result. `door` words the next steps for where they are read:
    on GitHub a command is a comment (`comments /approve …`), elsewhere it is typed."""
    if isinstance(r, HelpResult):
        return Message(headline="promobot help", lines=r.text.splitlines())
    if r.status == ERROR:
        return Message(
            headline=f"⚠️ {r.message or 'Something went wrong'}",
            lines=list(r.reasons),
            next=[
                # MLflow answered and refused: the same command gets the same answer.
                "put right what MLflow named (a name, a setting, or a grant the platform "
                "team gives), then run the command again"
                if r.extra.get("mlflow") == "refused"
                else "try again in a minute; if it keeps failing, tell the platform "
                "team (MLflow may be down)"
            ],
        )
    wording = _WORDS.get(type(r))
    if wording is None:  # pragma: no cover - every result type has its words
        raise TypeError(f"no words for {type(r).__name__}")
    return wording(r, door)


def _subject(r: MoveResult) -> str:
    version = f" v{r.version}" if r.version else ""
    arrow = f" → {words(r.target)}" if r.target else ""
    return f"**{words(r.model)}{version}{arrow}**" if r.model else ""


def _decision_headline(r: MoveResult, subject: str) -> str:
    """The first line: what happened (or would, or is waiting for)."""
    if r.status == REFUSED:
        verb = {"approve": "Approval refused", "deny": "Denial refused"}.get(r.action)
        headline = f"❌ {verb}: {subject}" if verb else f"❌ {subject} refused"
        if not r.model:
            headline = f"❌ {verb or 'Refused'}" + (
                f" for `{words(r.request_id)}`" if r.request_id else ""
            )
    elif r.status == PENDING:
        need = r.approvals_required - r.approvals
        plural = "s" if need != 1 else ""
        head = "⏳ (dry run) " if r.dry_run else "⏳ "
        headline = (
            f"{head}{subject} is waiting for approvals: {quorum_text(r.quorum)}"
            if r.quorum
            else f"{head}{subject} is waiting for {need} approval{plural} from "
            f"{words(', '.join(r.approvers))}"
        )
    elif r.action == "deny":
        headline = f"🛑 {subject} denied"
    elif r.dry_run:
        headline = f"🧪 (dry run) {subject} would be carried out"
    elif r.already:
        headline = f"✅ {subject}: nothing to do"
    elif r.action == "rollback":
        headline = f"⏪ {subject} rolled back" + (
            f" (v{r.replaced_version} moved out)" if r.replaced_version else ""
        )
    else:
        headline = f"🚀 {subject} done" + (
            f" (v{r.replaced_version} moved out)" if r.replaced_version else ""
        )
    return headline


def _decision(r: MoveResult, door: str) -> Message:
    headline = _decision_headline(r, _subject(r))
    by = []
    if r.requested_by:
        by.append(f"requested by {words(r.requested_by)}")
    if r.approved_by:
        by.append(f"approved by {approvers_text(r.approved_by, r.approval_comments)}")
    if r.reason:
        short = r.reason if len(r.reason) <= 200 else r.reason[:197] + "…"
        by.append(f'"{words(one_line(short))}"')
    if r.request_id:
        by.append(f"request `{words(r.request_id)}`")
    msg = Message(headline=headline, byline=" · ".join(by))
    if door == "slack" and (asked := asked_line(r.asked_in, r.link)):
        msg.lines.append(asked)  # shown in a model's channel: where it was asked
    if r.message:
        msg.lines.append(r.message)
    msg.lines.extend(r.notes)
    if r.status == REFUSED:
        msg.lines.extend(f"• {reason}" for reason in r.reasons)
    if r.checks:
        msg.tables.append(
            Table(
                ["check", "result"],
                [[f"{ICON.get(c.status, '•')} {c.name}", c.detail] for c in r.checks],
            )
        )
    if r.metrics and r.version:
        current = f"v{r.replaced_version} ({words(r.target)})" if r.replaced_version else "current"
        header = ["metric", f"v{r.version} (candidate)"]
        # The replaced version's column only when its metrics were read (not for a
        # promotion that went through at once: nobody weighs it any more).
        compare = r.replaced_version and any(m.current is not None for m in r.metrics)
        msg.tables.append(metrics_table(r.metrics, header, current if compare else None))
    if r.status == PENDING:
        msg.next = [f"Next: {step_text(step, door)}." for step in r.next_steps]
        if r.expires_at:
            msg.footer = f"Expires {when(r.expires_at)}."
    elif r.status == DONE and r.uri and not r.dry_run:
        msg.next = [f"Now serving: `{words(r.uri)}`"]
    elif r.status == REFUSED:
        fixes = [c.fix for c in r.checks if c.status == "fail" and c.fix]
        msg.next = [f"To get past it: {fix}" for fix in fixes]
    return msg


def approvers_text(names: Sequence[str], comments: Mapping[str, str]) -> str:
    """`alice@example.com ("dashboards checked"), erin@example.com`."""
    return ", ".join(said_by(name, comments.get(name, "")) for name in names)


def said_by(name: str, comment: str, limit: int = 100) -> str:
    """`alice@example.com ("dashboards checked")`: a person and what they said, as the
    one shape holds text people wrote (bot/core/text.py `with_comment`)."""
    said = words(clip(one_line(comment), limit))
    return f'{words(name)} ("{said}")' if said else words(name)


def _lock(r: LockResult, door: str) -> Message:
    if r.status == REFUSED:
        verb = "Lock" if r.action == Action.LOCK else "Unlock"
        where = (
            f" **{words(r.model)} → {words(r.target)}**" if r.target else f" **{words(r.model)}**"
        )
        return Message(
            headline=f"❌ {verb} refused:{where}", lines=[f"• {reason}" for reason in r.reasons]
        )
    labels = [words(lock.target) for lock in r.locks]
    model, target = words(r.model), words(r.target)
    icon, done = ("🔒", "locked") if r.action == Action.LOCK else ("🔓", "unlocked")
    if r.already:
        headline = f"✅ **{model}**: nothing to unlock"
    elif r.target:
        headline = f"{icon} **{model} → {target}** {done}"
    else:
        headline = f"{icon} **{model}** {done}: {', '.join(labels)}"
    by = [f"by {words(r.requested_by)}"] if r.requested_by else []
    if r.action == Action.LOCK and r.reason:
        by.append(f'"{words(one_line(clip(r.reason, 200)))}"')
    if r.action == Action.LOCK and r.locks:
        until = r.locks[0].until
        by.append(f"until {when(until)}" if until else "until unlocked")
    msg = Message(headline=headline, byline=" · ".join(by))
    if r.message:
        msg.lines.append(r.message)
    msg.next = [f"Next: {step_text(step, door)}." for step in r.next_steps]
    return msg


# Where a request was made, as its Slack announcement says it.
_ASKED = {"github": "in a pull-request comment", "ci": "by CI", "cli": "in the terminal"}


def asked_line(channel: str, url: str) -> str:
    """`Asked in a pull-request comment: https://…`; "" for Slack (the message is there)."""
    if not channel or channel == "slack":
        return ""
    where = _ASKED.get(channel, f"through {channel}")
    return f"Asked {where}: {link(url, 'slack')}" if url else f"Asked {where}."


def _status(r: StatusResult, door: str = "cli") -> Message:
    if r.status == REFUSED:
        return Message(
            headline=f"❌ No status for `{words(r.model)}`",
            lines=[f"• {reason}" for reason in r.reasons],
        )
    msg = Message(headline=f"📦 **{words(r.model)}**")
    msg.lines.extend(drift_lines(r.drift))
    msg.lines.extend(verification_lines(r.verifications))
    rows = [
        [
            words(h.target),
            f"v{h.version}" if h.version else "—",
            words(_short_time(h.promoted_at)),
            words(h.promoted_by),
            words(h.approved_by),
        ]
        for h in r.holders
    ]
    if rows:
        msg.tables.append(Table(["target", "version", "since", "by", "approved by"], rows))
    else:
        msg.lines.append("No version holds a stage or alias yet.")
    latest = r.extra.get("latest_version")
    if latest:
        msg.lines.append(f"Latest registered version: v{latest}.")
    if r.message:
        msg.lines.append(r.message)
    if r.locks:
        msg.tables.append(
            Table(
                ["locked", "by", "since", "until", "reason"],
                [
                    [
                        f"🔒 {words(lock.target)}",
                        words(lock.by),
                        when(lock.at),
                        when(lock.until) if lock.until else "unlocked",
                        words(clip(one_line(lock.reason), 60)) or "—",
                    ]
                    for lock in r.locks
                ],
            )
        )
    if r.pending:
        msg.tables.append(
            Table(
                ["pending request", "wants", "asked by", "approvals", "approved by", "expires"],
                [
                    [
                        f"`{words(p.request_id)}`",
                        f"v{p.version} → {words(p.target)}"
                        + (" (rollback)" if p.action == "rollback" else ""),
                        words(p.requested_by),
                        quorum_text(p.quorum)
                        if p.quorum
                        else f"{p.approvals} of {p.approvals_required}",
                        ", ".join(said_by(a.by, a.comment, 60) for a in p.approved_by) or "—",
                        when(p.expires_at),
                    ]
                    for p in r.pending
                ],
            )
        )
        first = words(r.pending[0].request_id)
        msg.next = [f"Next: `approve {first}` or `deny {first}`."]
    else:
        msg.lines.append("No pending requests.")
    return msg


def verification_lines(views: Sequence[Mapping[str, Any]]) -> list[str]:
    """A running verification: its checks, last figures, failures so far, time left."""
    lines = []
    for view in views:
        if view["state"] != "running":
            continue
        left = int(view["seconds_left"])
        clock = f"{left // 60}m{left % 60:02d}s" if left >= 60 else f"{left}s"
        act = "rolls back" if view["on_failure"] == "rollback" else "tells"
        lines.append(
            f"🔎 v{view['version']} on {words(view['target'])} is being verified: {clock} left, "
            f"{view['runs']} run(s); promobot {act} after {view['failures_to_act']} failures "
            "of one check in a row"
        )
        for check in view["checks"]:
            value = check["value"]
            figure = (
                f"{value:.6g}"
                if isinstance(value, int | float)
                else (f"no data ({words(check['problem'])})" if check["problem"] else "not run yet")
            )
            lines.append(
                f"   {words(check['name'])} {words(check['pass'])}: {figure}, "
                f"{check['failures']} failure(s) in a row"
            )
    return lines


def _history(r: HistoryResult, door: str = "cli") -> Message:
    if r.status == REFUSED:
        return Message(
            headline=f"❌ No history for `{words(r.model)}`",
            lines=[f"• {reason}" for reason in r.reasons],
        )
    msg = Message(headline=f"📜 **{words(r.model)}**: history, newest first")
    if not r.history:
        msg.lines.append("Nothing promoted through promobot yet.")
        return msg
    msg.tables.append(
        Table(
            ["when", "what", "by", "approved by", "reason"],
            [
                [
                    when(h.at) if h.at else ("⚠ now" if h.kind.startswith("drift") else "?"),
                    _what(h),
                    words(h.by),
                    ", ".join(said_by(by, said, 60) for by, said in h.comments)
                    if h.comments
                    else words(h.approved_by) or "—",
                    words(clip(one_line(h.reason), 60)),
                ]
                for h in r.history
            ],
        )
    )
    return msg


def _what(h: HistoryEntry) -> str:
    """The `what` cell of a history entry: `v3 → Production (v2 out)`, `🔒 locked Production
    until …`, `v3 → Production denied`."""
    target = words(h.target)
    if h.kind.startswith("verification:"):
        return f"v{h.version} on {target}: verification {words(h.kind.split(':', 1)[1])}"
    if h.kind == "lock":
        return f"🔒 locked {target}" + (f" until {when(h.until)}" if h.until else "")
    if h.kind == "unlock":
        return f"🔓 unlocked {target}"
    if h.kind == "deny":
        return f"v{h.version} → {target} denied"
    if h.kind.startswith("drift-found:"):  # found then; the reason says by what
        recorded = f" (promobot: v{h.previous})" if h.previous else ""
        if h.version is None:
            return f"⚠ {target} emptied outside promobot{recorded}"
        if h.kind.endswith(":mirror"):
            return f"⚠ {target} and its alias disagreed"
        return f"⚠ v{h.version} on {target} outside promobot{recorded}"
    return f"v{h.version} → {target}" + (f" (v{h.previous} out)" if h.previous else "")


def _policy(r: PolicyResult, door: str = "cli") -> Message:
    if r.status == REFUSED:
        return Message(
            headline=f"❌ No policy for `{words(r.model)}`",
            lines=[f"• {reason}" for reason in r.reasons],
        )
    msg = Message(headline=f"📋 **{words(r.model)}**: the rules")
    for label, sentences in r.explanation:
        msg.lines.append(f"**{label}**")
        msg.lines.extend(f"• {s}" for s in sentences)
    return msg


# Each kind of result and its words (an error is worded above, whatever its kind).
_WORDS: dict[type, Callable[[Any, str], Message]] = {
    MoveResult: _decision,
    StatusResult: _status,
    HistoryResult: _history,
    PolicyResult: _policy,
    LockResult: _lock,
    VerifyResult: verification,
    CardResult: registered,
    DriftResult: drift,
}


# ---- layouts ------------------------------------------------------------------------------


def to_markdown(r: Result, door: str = "cli") -> str:
    """GitHub Markdown: the shape's marks as Markdown, everything else shown as typed
    (bot/render/markup.py `github`)."""
    m = message(r, door)
    md = markup.github
    parts = [md(m.headline)]
    if m.byline:
        parts[0] += f"\n{md(m.byline)}"
    if m.lines:
        parts.append("\n".join(md(line) for line in m.lines))
    for table in m.tables:
        parts.append(_md_table(table))
    tail = "\n".join(md(line) for line in [*m.next, m.footer] if line)
    if tail:
        parts.append(tail)
    return "\n\n".join(parts)


def to_text(r: Result) -> str:
    m = message(r)
    out = [_plain(m.headline)]
    if m.byline:
        out.append(_plain(m.byline))
    for line in m.lines:
        out.append(_plain(line))
    for table in m.tables:
        out.append("")
        out.extend(_text_table(table))
    if m.next or m.footer:
        out.append("")
        out.extend(_plain(x) for x in [*m.next, m.footer] if x)
    return "\n".join(out)


def _md_table(t: Table) -> str:
    head = [_md_cell(c) for c in t.header]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    for row in t.rows:
        lines.append("| " + " | ".join(_md_cell(c) for c in row) + " |")
    return "\n".join(lines)


def _md_cell(text: str) -> str:
    return markup.github(one_line(text), cell=True)


def _text_table(t: Table) -> list[str]:
    rows = [t.header, *[[_plain(c) for c in row] for row in t.rows]]
    widths = [max(len(one_line(r[i])) for r in rows) for i in range(len(t.header))]
    out = []
    for n, row in enumerate(rows):
        out.append(
            "  ".join(one_line(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        )
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def _plain(text: str) -> str:
    return markup.plain(text)


def _short_time(text: str) -> str:
    return text.replace("T", " ").replace("Z", " UTC")[:20] if text else ""
