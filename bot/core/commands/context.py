"""What a command's parser works on (`Ctx`), and how parsing fails (`Invalid`, `Bad`).

Helpers raise `Invalid` so that each command's parser reads as the grammar; `parse()`
turns it into the finished reply (with the command's usage) and never lets it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.core.commands.echo import command_line

# The flags there are, as a command line spells them; each command's spec says which it takes.
DRY_RUN = "--dry-run"
LIMIT = "--limit"
FOR = "--for"  # lock: how long the lock holds
HELP_FLAG = "--help"  # every command takes it


class Invalid(Exception):
    """What is wrong, for which command (None: no command known yet), and what to type."""

    def __init__(self, problem: str, command: str | None, try_line: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.command = command
        self.try_line = try_line


@dataclass(frozen=True)
class Bad:
    """Why a word is not a version or target, and the word to put in its place if known."""

    problem: str
    suggestion: str | None = None


@dataclass
class Ctx:
    command: str
    words: list[str]  # the first line after the command word, flags removed
    extra: str  # the lines after the first
    dry_run: bool = False
    limit: int | None = None
    duration: timedelta | None = None  # --for, as read
    duration_text: str = ""  # --for, as typed (for a corrected command line)

    def reason(self, start: int) -> str:
        inline = " ".join(self.words[start:])
        return "\n".join(part for part in (inline, self.extra) if part)

    def fail(self, problem: str, try_words: list[str] | None = None) -> Invalid:
        try_line = None
        if try_words is not None:
            flags = [DRY_RUN] if self.dry_run else []
            if self.limit is not None:
                flags += [LIMIT, str(self.limit)]
            if self.duration is not None:
                flags += [FOR, self.duration_text]
            try_line = command_line([self.command, *try_words, *flags])
        return Invalid(problem, self.command, try_line)

    def fail_at(self, index: int, bad: Bad) -> Invalid:
        fixed = None
        if bad.suggestion is not None:
            fixed = [*self.words[:index], bad.suggestion, *self.words[index + 1 :]]
        return self.fail(bad.problem, fixed)
