"""The `--flags` of a command line: found anywhere among the words, checked against the
flags the command takes (its spec in the vocabulary), and taken out of the words."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.core.commands.context import DRY_RUN, FOR, HELP_FLAG, LIMIT, Ctx, Invalid
from bot.core.commands.echo import clean, code, command_line
from bot.core.commands.types import HISTORY_MAX_LIMIT
from bot.core.commands.words import DIGITS_RE, suggest

_KNOWN_FLAG_NAMES = frozenset(flag[2:] for flag in (DRY_RUN, LIMIT, FOR, HELP_FLAG))
# Phone and macOS keyboards turn "--" into an en or em dash; "—dry-run" is still a flag.
_SMART_DASHES = ("\u2014", "\u2013")

_FLAG_RE = re.compile(r"--([A-Za-z][A-Za-z0-9-]*)(?:=(.*))?", re.DOTALL)
_VALUE_HINT = {LIMIT: "a number, like `--limit 5`", FOR: "a duration, like `--for 2h`"}
# A lock's duration, written as a policy's durations are: units d, h, m, s in that order.
_DURATION_RE = re.compile(
    r"(?=[0-9])(?:([0-9]{1,5})d)?(?:([0-9]{1,5})h)?(?:([0-9]{1,5})m)?(?:([0-9]{1,5})s)?"
)
LOCK_MAX = timedelta(days=365)


def as_flag(token: str) -> tuple[str, str | None] | None:
    """("--name", value or None) when `token` is a flag; None when it is an ordinary word.

    Only `--` followed by a letter makes a flag, so "--", "-->" and "-1" stay words.
    """
    if token[:1] in _SMART_DASHES and token[1:].partition("=")[0].lower() in _KNOWN_FLAG_NAMES:
        token = "--" + token[1:]
    match = _FLAG_RE.fullmatch(token)
    if match is None:
        return None
    return "--" + match.group(1).lower(), match.group(2)


def asks_for_help(tokens: list[str]) -> bool:
    return any(as_flag(token) == (HELP_FLAG, None) for token in tokens)


def take_flags(command: str, valid: tuple[str, ...], tokens: list[str], extra: str) -> Ctx:
    """The command's words with its flags (those in `valid`) taken out and read."""
    ctx = Ctx(command, [], extra)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        flag = as_flag(token)
        index += 1
        if flag is None:
            ctx.words.append(token)
            continue
        name, value = flag
        if name not in valid:
            raise _unknown_flag(command, valid, tokens, index - 1)
        if name == DRY_RUN:
            if value is not None:
                raise Invalid("`--dry-run` takes no value.", command)
            ctx.dry_run = True
            continue
        # --limit and --for take a value: `--limit 5`, `--limit=5`.
        given = ctx.limit if name == LIMIT else ctx.duration
        if given is not None:
            raise Invalid(f"`{name}` is given twice.", command)
        if value is None:
            if index >= len(tokens) or as_flag(tokens[index]) is not None:
                raise Invalid(f"`{name}` needs {_VALUE_HINT[name]}.", command)
            value = tokens[index]
            index += 1
        if name == LIMIT:
            ctx.limit = _limit(value, command)
        else:
            ctx.duration, ctx.duration_text = _duration(value, command), value
    return ctx


def _limit(value: str, command: str) -> int:
    if DIGITS_RE.fullmatch(value):
        digits = value.lstrip("0")
        # Length first: int() refuses (raises on) strings of thousands of digits.
        if digits and len(digits) <= 4 and int(digits) <= HISTORY_MAX_LIMIT:
            return int(digits)
    raise Invalid(
        f"`--limit` must be a whole number from 1 to {HISTORY_MAX_LIMIT}, "
        f"not {code(value) if value else 'empty'}.",
        command,
    )


def _duration(value: str, command: str) -> timedelta:
    match = _DURATION_RE.fullmatch(value.lower() if value.isascii() else value)
    if match is None:
        raise Invalid(
            f"`--for` takes a duration such as `30m`, `2h`, `1d` or `1h30m` (units d, h, m "
            f"and s, in that order), not {code(value) if value else 'nothing'}.",
            command,
        )
    days, hours, minutes, seconds = (int(part) if part else 0 for part in match.groups())
    length = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if not length:
        raise Invalid(
            f"`--for {clean(value)}` is no time at all; give a duration such as `2h`.", command
        )
    if length > LOCK_MAX:
        raise Invalid(
            f"`--for {clean(value)}` is longer than {LOCK_MAX.days} days; without `--for` a "
            "lock holds until someone unlocks it.",
            command,
        )
    return length


def _unknown_flag(command: str, valid: tuple[str, ...], tokens: list[str], index: int) -> Invalid:
    token = tokens[index]
    name = token.partition("=")[0]
    suggestion = suggest(name.lstrip("-\u2014\u2013"), tuple(f[2:] for f in valid))
    try_line = None
    if suggestion is not None:
        fixed = [*tokens[:index], f"--{suggestion}", *tokens[index + 1 :]]
        try_line = command_line([command, *fixed])
        problem = f"{code(name)} is not a flag of `{command}`. Did you mean `--{suggestion}`?"
    elif valid:
        listed = ", ".join(f"`{flag}`" for flag in valid)
        problem = f"{code(name)} is not a flag of `{command}`; it takes {listed}."
    else:
        problem = f"{code(name)} is not a flag of `{command}`, which takes no flags."
    return Invalid(problem, command, try_line)
