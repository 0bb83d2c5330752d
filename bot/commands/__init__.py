"""Text → typed command. Pure: no I/O, never raises on user input.

    types.py       the commands and ParseResult
    vocabulary.py  the one table of commands (usage, help, flags, parser, Slack, GitHub)
    parser.py      parse() and parse_comment()
    grammar.py     one parser per command        words.py  models, versions, targets, ids
    flags.py       --flags                        context.py, echo.py, replies.py  the replies

The contract is docs/contract.md, "Commands".
"""

from bot.commands.parser import parse, parse_comment
from bot.commands.replies import help_text
from bot.commands.types import (
    HISTORY_DEFAULT_LIMIT,
    HISTORY_MAX_LIMIT,
    STAGES,
    Approve,
    Command,
    Deny,
    Help,
    History,
    ParseResult,
    PolicyExplain,
    Promote,
    Rollback,
    Status,
    Target,
    VersionSpec,
)
from bot.commands.vocabulary import (
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
from bot.commands.words import MODEL_MAX_LENGTH, VERSION_MAX_DIGITS

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
    "ParseResult",
    "PolicyExplain",
    "Promote",
    "Rollback",
    "Status",
    "Target",
    "VersionSpec",
    "help_text",
    "parse",
    "parse_comment",
]
