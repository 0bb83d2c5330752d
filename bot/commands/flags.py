"""The `--flags` of a command line: found anywhere among the words, checked against the
flags the command takes (its spec in the vocabulary), and taken out of the words."""

from __future__ import annotations

import re

from bot.commands.context import DRY_RUN, HELP_FLAG, LIMIT, Ctx, Invalid
from bot.commands.echo import code, command_line
from bot.commands.types import HISTORY_MAX_LIMIT
from bot.commands.words import DIGITS_RE, suggest

_KNOWN_FLAG_NAMES = frozenset(flag[2:] for flag in (DRY_RUN, LIMIT, HELP_FLAG))
# Phone and macOS keyboards turn "--" into an en or em dash; "—dry-run" is still a flag.
_SMART_DASHES = ("\u2014", "\u2013")

_FLAG_RE = re.compile(r"--([A-Za-z][A-Za-z0-9-]*)(?:=(.*))?", re.DOTALL)


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
        # --limit
        if ctx.limit is not None:
            raise Invalid("`--limit` is given twice.", command)
        if value is None:
            if index >= len(tokens) or as_flag(tokens[index]) is not None:
                raise Invalid("`--limit` needs a number, like `--limit 5`.", command)
            value = tokens[index]
            index += 1
        ctx.limit = _limit(value, command)
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
