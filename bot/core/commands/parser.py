"""Text → typed command. Pure: no I/O, never raises on user input.

The grammar is the vocabulary's (bot/core/commands/vocabulary.py; docs/contract.md, "Commands").
"""

from __future__ import annotations

from bot.core.commands.context import Invalid
from bot.core.commands.flags import asks_for_help, take_flags
from bot.core.commands.replies import reply, unknown_command
from bot.core.commands.types import Command, Help, ParseResult
from bot.core.commands.vocabulary import COMMENT_WORDS, SPEC, UMBRELLA
from bot.core.commands.words import lower_ascii


def parse(text: str) -> ParseResult:
    """Turn command text (without the leading `/`) into a command or a reply.

    Only the first line holds command words and flags; further lines are prose and are
    appended to the reason or comment.
    """
    first, extra = _split_lines(text)
    tokens = first.split()
    if tokens and lower_ascii(tokens[0]) == UMBRELLA:
        tokens = tokens[1:]
    try:
        return ParseResult(command=_parse_command(tokens, extra))
    except Invalid as invalid:
        return ParseResult(reply=reply(invalid))


def parse_comment(body: str) -> ParseResult:
    """A GitHub comment: ignored (`ignore=True`, no reply) unless its first line starts
    with one of the comment words (`/promote`, …, `/promobot`); else parsed as a command.
    """
    lines = body.strip().splitlines()
    words = lines[0].split() if lines else []
    if not words or words[0].lower() not in COMMENT_WORDS:
        return ParseResult(ignore=True)
    return parse(body)


def _parse_command(tokens: list[str], extra: str) -> Command:
    if not tokens:
        raise Invalid("No command given.", None)
    word = lower_ascii(tokens[0].removeprefix("/"))
    spec = SPEC.get(word)
    if spec is None:
        raise unknown_command(tokens)
    # `--help` anywhere wins over everything else, so a confused user always gets help.
    if asks_for_help(tokens[1:]):
        return Help(spec.name)
    return spec.parser(take_flags(spec.name, spec.flags, tokens[1:], extra))


def _split_lines(text: str) -> tuple[str, str]:
    """(first line without one leading "/", the remaining lines) of the stripped text."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    first, _, rest = normalised.partition("\n")
    return first.removeprefix("/"), rest.strip()
