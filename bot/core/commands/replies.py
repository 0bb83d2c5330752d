"""What a person reads back when a command cannot run: the problem, what to type, and the
usage (of the command, or of them all); and `help`. Every usage line is the vocabulary's."""

from __future__ import annotations

from bot.core.commands.context import Invalid
from bot.core.commands.echo import code, command_line
from bot.core.commands.vocabulary import COMMANDS, HELP, USAGE
from bot.core.commands.words import lower_ascii, suggest


def help_text(topic: str = "") -> str:
    """All commands when `topic` is "" (or unknown), else the usage and help of one command."""
    key = lower_ascii(topic.strip().removeprefix("/"))
    if key in HELP:
        return f"Usage: `{USAGE[key]}`\n{HELP[key]}"
    lines = [
        "promobot moves MLflow model versions through stages and aliases, with approvals.",
        "Commands:",
        *_usage_lines(),
        "Type `help <command>` for details and an example.",
    ]
    return "\n".join(lines)


def reply(invalid: Invalid) -> str:
    """What was wrong, what to type, and the usage of the command (or of all commands)."""
    lines = [invalid.problem]
    if invalid.try_line:
        lines.append(f"Try: `{invalid.try_line}`")
    if invalid.command is not None:
        lines.append(f"Usage: `{USAGE[invalid.command]}`")
    else:
        lines.append("Commands:")
        lines.extend(_usage_lines())
    return "\n".join(lines)


def unknown_command(tokens: list[str]) -> Invalid:
    word = tokens[0].removeprefix("/")
    suggestion = suggest(word, COMMANDS)
    if suggestion is None:
        return Invalid(f"Unknown command {code(word)}.", None)
    try_line = command_line([suggestion, *tokens[1:]])
    return Invalid(f"Unknown command {code(word)}. Did you mean `{suggestion}`?", None, try_line)


def _usage_lines() -> list[str]:
    return [f"  `{USAGE[name]}`" for name in COMMANDS]
