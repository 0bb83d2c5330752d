"""Problems in policy files, as sentences: `file:line: field: what is wrong (what to write)`.

One problem is one sentence a person fixes, found by the YAML reader, the schema or the
cross-file checks alike; `PolicyError` carries all of them at once.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pydantic import ValidationError

from bot.core.policy.schema import keys_at


class PolicyError(Exception):
    """Invalid policy file(s).

    `problems` holds one sentence per problem, `file:line: field: what is wrong (what
    to write instead)`; `str(e)` joins them with newlines.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: list[str] = list(problems)
        super().__init__("\n".join(self.problems))


def field_path(path: Iterable[str | int]) -> str:
    """`models[0].targets.production.approvals`, as people read it."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_@-]+", str(part)):
            out += f".{part}" if out else str(part)
        else:
            out += f"[{json.dumps(str(part), ensure_ascii=False)}]"
    return out


def problem_text(file: str, line: int, path: Iterable[str | int], message: str) -> str:
    where = field_path(path)
    return f"{file}:{line}: {where}: {message}" if where else f"{file}:{line}: {message}"


def in_reading_order(problems: list[str], names: list[str]) -> list[str]:
    """Sort by file (in load order), then line, as a reader fixes them top to bottom."""

    def key(problem: str) -> tuple[int, int]:
        for index, name in enumerate(names):
            match = re.match(rf"{re.escape(name)}:(\d+):", problem)
            if match:
                return index, int(match.group(1))
        return len(names), 0

    return sorted(problems, key=key)


def suggest(name: str, known: Iterable[str]) -> str:
    """`did you mean `ml-leads`? ` when a known name is close, else nothing."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`? " if close else ""


def describe(value: Any) -> str:
    """A value as a message quotes it: `"one"`, `the number 5`, `a list`."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return json.dumps(shown, ensure_ascii=False)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


# ---------------------------------------------------------------- schema errors

_HINTS = {
    "requesters": "list the groups or people who may ask, e.g. [ml-engineers]",
    "approvers": "list the groups or people who approve, e.g. [ml-leads]",
    "approvals": "write how many approvals are needed; 0 when nobody needs to approve",
    "name": 'write the registered model name, or a glob such as "sentiment-*"',
    "targets": "map each target to its rules, e.g. production: {requesters: [...], ...}",
    "from": 'write the start time in quotes, e.g. "16:00"',
    "to": 'write the last minute in quotes, e.g. "23:59"',
    "timezone": "write an IANA time zone such as Europe/Berlin",
    "days": "write days as [mon, tue, wed, thu, fri, sat, sun]",
    "metrics": 'map metric names to gates, e.g. accuracy: ">= 0.80"',
    "freeze": 'write a list of windows, e.g. [{days: [fri], from: "16:00", ...}]',
    "people": "map each person to their handles, e.g. bob: {email: bob@example.com}",
    "groups": "map each group to a list of people, e.g. ml-leads: [alice]",
    "models": "write a list of model entries, each with name and targets",
}


def _type_message(kind: str, value: Any, with_hint: str) -> str | None:
    """The sentence for a value of the wrong kind, or None when `kind` is not one."""
    if kind == "int_type":
        return f"expected a whole number, got {describe(value)}{with_hint}"
    if kind == "bool_type":
        return f"expected true or false, got {describe(value)}"
    if kind == "string_type":
        return f"expected text, got {describe(value)}{with_hint}"
    if kind == "list_type":
        return f"expected a list, got {describe(value)}{with_hint}"
    if kind in ("dict_type", "model_type"):
        return f"expected a mapping (key: value), got {describe(value)}{with_hint}"
    return None


def _error_message(error: Any, loc: Sequence[str | int]) -> str:
    kind, value = error["type"], error.get("input")
    last = str(loc[-1]) if loc else ""
    hint = _HINTS.get(last)
    with_hint = f" ({hint})" if hint else ""
    if kind == "extra_forbidden":
        allowed = keys_at(loc[:-1])
        close = difflib.get_close_matches(last, allowed, n=1, cutoff=0.6)
        suggestion = f"did you mean `{close[0]}`? " if close else ""
        return f"unknown key `{last}` ({suggestion}allowed here: {', '.join(allowed)})"
    if kind == "missing":
        return f"`{last}` is required{with_hint}"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind == "literal_error":
        expected = error["ctx"]["expected"].replace("'", "")
        lowered = value.lower() if isinstance(value, str) else None
        case = " in lower case" if lowered and lowered in expected else ""
        return f"{describe(value)} is not allowed here (write one of {expected}{case})"
    if (message := _type_message(kind, value, with_hint)) is not None:
        return message
    if kind == "greater_than_equal":
        return f"must be {error['ctx']['ge']} or more, got {describe(value)}"
    if kind in ("too_short", "string_too_short"):
        return f"must not be empty{with_hint}"
    return f"{error['msg']}{with_hint}"


def schema_problems(
    error: ValidationError, file: str, line_of: Callable[[Iterable[str | int]], int]
) -> list[str]:
    """One sentence per schema error; `line_of(path)` is where that field is written."""
    problems = []
    for item in error.errors():
        loc = [part for part in item["loc"] if part != "[key]"]
        problems.append(problem_text(file, line_of(loc), loc, _error_message(item, loc)))
    return problems
