"""Result → Slack Block Kit: the layout of `render.message()`, the one shape, in blocks.

The headline is a section, the byline a context, a two-column table (the checks) a
section of `fields`, the metrics a `fields` table of candidate vs the version replaced,
then "Next:", the expiry, and for a pending request the Approve / Approve with comment /
Deny buttons. The last two open a modal (`decision_modal`) that asks for a comment
(optional) or a reason (required). Everything a person typed is escaped: a reason of
`<!channel>` must not ping a channel.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from typing import Any

from bot.core import neutral
from bot.core.policy import target_label
from bot.core.results import PENDING, Result
from bot.core.text import clip, one_line
from bot.render import markup
from bot.render.message import Message, Table, message

APPROVE_ACTION = "promobot_approve"
APPROVE_COMMENT_ACTION = "promobot_approve_comment"  # opens the approve modal
DENY_ACTION = "promobot_deny"  # opens the deny modal
ACTIONS_BLOCK = "promobot_request"
# The modals: their callback ids, and the input that holds the comment or reason.
APPROVE_VIEW = "promobot_approve_view"
DENY_VIEW = "promobot_deny_view"
TEXT_BLOCK = "promobot_text"
TEXT_INPUT = "text"
TEXT_MAX = 500  # what an approval comment or a denial reason keeps (bot/state REASON_MAX)
# A version card's buttons: one per target, each in its own actions block, since Slack
# refuses two elements with the same action_id in one block.
PROMOTE_ACTION = "promobot_promote"
PROMOTE_BLOCK = "promobot_promote"

# Slack's limits: section text 3,000 characters, a field 2,000, 10 fields per section,
# 50 blocks per message, a button's text 75, a block_id 255. Text that grows with what
# people typed or named (reasons, model and alias names, many checks) is clipped with
# "…"; buttons are never dropped.
_TEXT_MAX = 3000
_FIELD_MAX = 2000
_FIELDS_PER_SECTION = 10
_BLOCKS_MAX = 50
_BUTTON_TEXT_MAX = 75
_BLOCK_ID_MAX = 255
_FALLBACK_MAX = 3000

_BOLD = re.compile(r"\*\*(.+?)\*\*")

Block = dict[str, Any]


def escape(text: str) -> str:
    """Slack's three control characters; everything else is shown as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> str:
    """The one shape's text (`**bold**`, `code`, promobot's own links) → Slack mrkdwn,
    with what people wrote shown as typed: Slack's three characters escaped, no stray
    backtick, no `@here` (bot/render/markup.py)."""
    return markup.slack(text)


def plain(text: str) -> str:
    return text.replace("**", "")


def fallback_text(result: Result) -> str:
    """The notification text Slack shows where blocks cannot be (push, screen readers)."""
    m = message(result)
    text = plain(m.headline)
    if m.byline:
        text += f"\n{plain(m.byline)}"
    return clip(neutral.slack_mentions(escape(text)), _FALLBACK_MAX)


def result_blocks(result: Result, *, buttons: bool = False) -> list[Block]:
    """Blocks for a result; `buttons` adds Approve / Deny when the request is pending."""
    blocks = message_blocks(message(result, "slack"))
    if buttons and result.status == PENDING and result.request_id and not result.dry_run:
        blocks = blocks[: _BLOCKS_MAX - 1]
        blocks.append(actions_block(result.request_id))
    return blocks


def card_blocks(card: Result) -> list[Block]:
    """A version's card (`Service.version_card`) with one Promote button per next target:
    `action_id` promobot_promote, `value` "<model> v<N> <target>"."""
    targets = [str(key) for key in card.extra.get("next_targets") or ()]
    buttons = [promote_block(str(card.model), int(card.version or 0), key) for key in targets]
    blocks = message_blocks(message(card, "slack"))
    return [*blocks[: max(0, _BLOCKS_MAX - len(buttons))], *buttons][-_BLOCKS_MAX:]


def promote_block(model: str, version: int, target_key: str) -> Block:
    block_id = f"{PROMOTE_BLOCK}.{target_key}"
    if len(block_id) > _BLOCK_ID_MAX:  # unique all the same: a digest of the target
        block_id = f"{PROMOTE_BLOCK}.{hashlib.sha256(target_key.encode()).hexdigest()}"
    return {
        "type": "actions",
        "block_id": block_id,
        "elements": [
            {
                "type": "button",
                "action_id": PROMOTE_ACTION,
                "text": {
                    "type": "plain_text",
                    "text": clip(f"Promote to {target_label(target_key)}", _BUTTON_TEXT_MAX),
                    "emoji": True,
                },
                "value": f"{model} v{version} {target_key}",
            }
        ],
    }


def message_blocks(m: Message) -> list[Block]:
    blocks: list[Block] = [_section(mrkdwn(m.headline))]
    if m.byline:
        blocks.append(_context(mrkdwn(m.byline)))
    if m.lines:
        blocks.extend(_sections("\n".join(mrkdwn(line) for line in m.lines)))
    for table in m.tables:
        blocks.extend(table_blocks(table))
    if m.next:
        blocks.extend(_sections("\n".join(mrkdwn(line) for line in m.next)))
    if m.footer:
        blocks.append(_context(mrkdwn(m.footer)))
    if len(blocks) > _BLOCKS_MAX:
        blocks = [*blocks[: _BLOCKS_MAX - 1], _context("… (shortened: more than Slack shows)")]
    return blocks


def with_note(blocks: list[Block], text: str) -> list[Block]:
    """`blocks`, then a context line of `text` (mrkdwn, escaped by the caller), within
    Slack's 50 blocks."""
    return [*blocks[: _BLOCKS_MAX - 1], _context(text)]


def text_blocks(text: str) -> list[Block]:
    """A plain reply (usage help, a parse error) as blocks: `code` stays code."""
    return _sections(escape(text))


def actions_block(request_id: str) -> Block:
    """Approve (at once), Approve with comment… (a modal), Deny (a modal asking why)."""
    buttons = [
        (APPROVE_ACTION, "Approve", "primary"),
        (APPROVE_COMMENT_ACTION, "Approve with comment…", None),
        (DENY_ACTION, "Deny", "danger"),
    ]
    return {
        "type": "actions",
        "block_id": ACTIONS_BLOCK,
        "elements": [
            {
                "type": "button",
                "action_id": action,
                **({"style": style} if style else {}),
                "text": {"type": "plain_text", "text": label, "emoji": True},
                "value": request_id,
            }
            for action, label, style in buttons
        ],
    }


def decision_modal(verb: str, request_id: str, about: str, where: dict[str, str]) -> Block:
    """The modal a button opens (`views.open`): `verb` "deny" asks for a reason, required;
    "approve" for a comment, optional. `about` is the request's headline as its message
    shows it; `where` (the message's channel and ts) and the request id travel in
    `private_metadata` back to the submission."""
    deny = verb == "deny"
    headline = clip(escape(html.unescape(about.splitlines()[0] if about else "")), 300)
    return {
        "type": "modal",
        "callback_id": DENY_VIEW if deny else APPROVE_VIEW,
        "private_metadata": json.dumps({"request_id": request_id, **where}),
        "title": {"type": "plain_text", "text": "Deny request" if deny else "Approve request"},
        "submit": {"type": "plain_text", "text": "Deny" if deny else "Approve"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _section(f"{headline}\nrequest `{escape(request_id)}`" if headline else request_id),
            {
                "type": "input",
                "block_id": TEXT_BLOCK,
                "optional": not deny,
                "label": {
                    "type": "plain_text",
                    "text": "Why is it denied?" if deny else "Comment (optional)",
                },
                "hint": {
                    "type": "plain_text",
                    "text": "The requester reads it; it is kept with the denial."
                    if deny
                    else "Kept with your approval and written into the version's description.",
                },
                "element": {
                    "type": "plain_text_input",
                    "action_id": TEXT_INPUT,
                    "multiline": True,
                    "max_length": TEXT_MAX,
                },
            },
        ],
    }


def table_blocks(table: Table) -> list[Block]:
    """Two columns → `fields`; three (metric, candidate, replaced) → `fields` of
    "candidate vs replaced"; wider tables (status, history) → a monospaced block."""
    width = len(table.header)
    if width == 2:
        return _fields_table(table.header, table.rows)
    if width == 3:
        header = [table.header[0], f"{table.header[1]} vs {table.header[2]}"]
        rows = [[row[0], f"{row[1]} vs {row[2]}"] for row in table.rows]
        return _fields_table(header, rows)
    return _sections(_monospace(table), code=True)


# ---- building blocks --------------------------------------------------------------------


def _fields_table(header: list[str], rows: list[list[str]]) -> list[Block]:
    cells = [f"*{escape(header[0])}*", f"*{escape(header[1])}*"]
    for row in rows:
        cells.extend(clip(mrkdwn(one_line(cell)) or "—", _FIELD_MAX) for cell in row[:2])
    return [
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": text} for text in cells[i : i + _FIELDS_PER_SECTION]
            ],
        }
        for i in range(0, len(cells), _FIELDS_PER_SECTION)
    ]


def _monospace(table: Table) -> str:
    rows = [table.header, *[[plain(one_line(c)) for c in row] for row in table.rows]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(table.header))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return escape("\n".join(lines))


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text or "—", _TEXT_MAX)}}


def _sections(text: str, *, code: bool = False) -> list[Block]:
    """Text split into sections Slack accepts, at line ends where possible."""
    room = _TEXT_MAX - (8 if code else 0)
    chunks: list[str] = []
    current = ""
    for line in text.splitlines() or [""]:
        while len(line) > room:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:room])
            line = line[room:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > room:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current or not chunks:
        chunks.append(current)
    return [_section(f"```\n{chunk}\n```" if code else chunk) for chunk in chunks]


def _context(text: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": clip(text or "—", _TEXT_MAX)}],
    }
