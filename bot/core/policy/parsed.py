"""One policy file as read: what the loader, the schema check and the cross-file checks
share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.core.policy.problems import problem_text
from bot.core.policy.remainder import Remainder
from bot.core.policy.schema import RawPolicyFile
from bot.core.policy.yaml_safe import LineMap


@dataclass(frozen=True)
class ParsedFile:
    """One policy file: its name as shown in messages, the data, and where fields are."""

    name: str
    data: Any
    lines: LineMap
    raw: RawPolicyFile | None  # None when the file has any problem
    checked: Remainder  # what the cross-file checks read: the file, or its valid part

    def where(self, path: Iterable[str | int]) -> str:
        """`file:line` of a field of `checked.raw`, as messages point at it."""
        return f"{self.name}:{self.lines.line(self.checked.written_path(tuple(path)))}"

    def problem(self, path: Iterable[str | int], message: str) -> str:
        """A problem with a field of `checked.raw`, named as written in the file."""
        written = self.checked.written_path(tuple(path))
        return problem_text(self.name, self.lines.line(written), written, message)
