"""One command's answer as the terminal and the command door give it (bot/doors/answer.py)."""

from __future__ import annotations

import json

from bot.core.results import envelope
from bot.doors.answer import Answer
from bot.doors.common import ExitCode


def test_a_results_json_is_one_line_for_every_line_splitter() -> None:
    reason = "line one\u2028line two\u2029three\x85four café"
    answer = Answer(ExitCode.OK, envelope("done", [reason]), reason, ascii_json=False)
    text = answer.json_text()
    assert len(text.splitlines()) == 1
    assert "\\u2028" in text and "\\u2029" in text and "\\u0085" in text
    assert "café" in text  # other non-ASCII stays as it is
    assert json.loads(text)["reasons"] == [reason]


def test_what_another_process_wrote_is_shown_as_written() -> None:
    raw = '{"status": "done"}'
    assert Answer(ExitCode.OK, {}, "", raw_json=raw).json_text() == raw
