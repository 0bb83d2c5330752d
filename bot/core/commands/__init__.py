"""Text → typed command. Pure: no I/O, never raises on user input.

    vocabulary.py  the one table of commands: usage, help, flags, parser, Slack, GitHub
    parser.py      parse() for typed text, parse_comment() for a GitHub comment
    grammar.py     one parser per command
    words.py       model names, versions, targets, aliases, request ids
    flags.py       the --flags
    replies.py     what a person reads back: the problem, what to type, the usage; help
    context.py     what a parser works on (Ctx) and how it fails (Invalid)
    echo.py        user text quoted back safely
    types.py       the commands and ParseResult

The contract is docs/contract.md, "Commands".
"""

from bot.core.commands.parser import parse, parse_comment
from bot.core.commands.replies import help_text
from bot.core.commands.types import (
    HISTORY_DEFAULT_LIMIT,
    HISTORY_MAX_LIMIT,
    STAGES,
    Approve,
    Command,
    Deny,
    Help,
    History,
    Lock,
    ParseResult,
    PolicyExplain,
    Promote,
    Rollback,
    Status,
    Target,
    Unlock,
    VersionSpec,
)
from bot.core.commands.vocabulary import (
    COMMANDS,
    COMMENT_WORDS,
    HELP,
    SLASH_COMMANDS,
    SPEC,
    SPECS,
    UMBRELLA,
    USAGE,
    CommandSpec,
)
from bot.core.commands.words import MODEL_MAX_LENGTH, VERSION_MAX_DIGITS

__all__ = [
    "COMMANDS",
    "COMMENT_WORDS",
    "HELP",
    "HISTORY_DEFAULT_LIMIT",
    "HISTORY_MAX_LIMIT",
    "MODEL_MAX_LENGTH",
    "SLASH_COMMANDS",
    "SPEC",
    "SPECS",
    "STAGES",
    "UMBRELLA",
    "USAGE",
    "VERSION_MAX_DIGITS",
    "Approve",
    "Command",
    "CommandSpec",
    "Deny",
    "Help",
    "History",
    "Lock",
    "ParseResult",
    "PolicyExplain",
    "Promote",
    "Rollback",
    "Status",
    "Target",
    "Unlock",
    "VersionSpec",
    "help_text",
    "parse",
    "parse_comment",
]
