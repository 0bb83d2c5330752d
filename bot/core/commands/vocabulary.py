"""The one table of promobot's commands: every place that names a command reads it here.

The parser finds each command's parser and flags here, `help` and every usage reply its
usage and help text, the Slack app its slash commands, the GitHub door the words a
comment may start with, and the Slack manifest test what the manifest must declare
(docs/contract.md, "Commands"). A new command is one more `CommandSpec` below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bot.core.commands import grammar
from bot.core.commands.context import DRY_RUN, FOR, LIMIT, Ctx, Invalid
from bot.core.commands.echo import code
from bot.core.commands.types import Command, Help
from bot.core.commands.words import lower_ascii, suggest

# The word that may stand before any command: `/promobot <command>` in Slack and in a
# GitHub comment, `promobot <command>` wherever commands are typed.
UMBRELLA = "promobot"


@dataclass(frozen=True)
class CommandSpec:
    """One command: how it is written, explained and parsed, and which doors name it."""

    name: str
    usage: str  # the usage line, starting with the name
    help: str  # what `help <name>` says after the usage line
    parser: Callable[[Ctx], Command]  # the words (flags taken out) → the command
    flags: tuple[str, ...] = ()  # the flags it takes besides `--help`
    slash_command: bool = False  # Slack has `/<name>` for it (all are under `/promobot`)
    comment_word: bool = True  # a GitHub comment starting with `/<name>` is this command

    @property
    def word(self) -> str:
        """How a Slack slash command or a GitHub comment writes it: `/promote`."""
        return f"/{self.name}"


def _parse_help(ctx: Ctx) -> Help:
    # Words after the topic are ignored: help is harmless, and "help me with promote"
    # style chatter should still get an answer rather than an error.
    if not ctx.words:
        return Help("")
    topic = lower_ascii(ctx.words[0].removeprefix("/"))
    if topic == UMBRELLA:
        return Help("")
    if topic in COMMANDS:
        return Help(topic)
    suggestion = suggest(ctx.words[0].removeprefix("/"), COMMANDS)
    did_you_mean = f" Did you mean `{suggestion}`?" if suggestion else ""
    try_line = f"help {suggestion}" if suggestion else None
    raise Invalid(f"There is no command {code(topic)}.{did_you_mean}", None, try_line)


SPECS: tuple[CommandSpec, ...] = (
    CommandSpec(
        name="promote",
        usage="promote <model> <version> <target> [reason…] [--dry-run]",
        help=(
            "Moves a model version to a stage or an alias; the policy decides whether it "
            "happens now, waits for approvals, or is refused.\n"
            "<version> is `v3` or `3`, `latest`, an alias like `@champion`, or a stage such as "
            "`staging`. <target> is `staging`, `production`, `archived` or an alias like "
            "`@champion`.\n"
            "Words after the target are the reason; `--dry-run` checks the policy without "
            "moving anything.\n"
            "Example: `promote sentiment-classifier v3 production passed shadow test, F1 0.89`"
        ),
        parser=grammar.parse_promote,
        flags=(DRY_RUN,),
        slash_command=True,
    ),
    CommandSpec(
        name="rollback",
        usage="rollback <model> [<target>] [to <version>] [reason…] [--dry-run]",
        help=(
            "Puts back the version that held a target before the current one (the target "
            "defaults to `production`, or `@production` in a registry without stages), or "
            "the version named after `to`.\n"
            "Words after that are the reason; `--dry-run` shows what would happen.\n"
            "Example: `rollback sentiment-classifier production to v2 latency doubled`"
        ),
        parser=grammar.parse_rollback,
        flags=(DRY_RUN,),
        slash_command=True,
    ),
    CommandSpec(
        name="approve",
        usage="approve <request-id> [comment…]",
        help=(
            "Approves a pending request; it goes ahead once it has the approvals its policy "
            "needs. Nobody approves their own request.\n"
            "Words after the request id are a comment.\n"
            "Example: `approve req-7f3a2c91bd looks good`"
        ),
        parser=grammar.parse_approve,
    ),
    CommandSpec(
        name="deny",
        usage="deny <request-id> [reason…]",
        help=(
            "Denies a pending request: it is closed and nothing moves.\n"
            "Words after the request id are the reason.\n"
            "Example: `deny req-7f3a2c91bd accuracy dropped on the holdout set`"
        ),
        parser=grammar.parse_deny,
    ),
    CommandSpec(
        name="status",
        usage="status <model>",
        help=(
            "Shows which version of a model holds each stage and alias.\n"
            "Example: `status sentiment-classifier`"
        ),
        parser=grammar.parse_status,
    ),
    CommandSpec(
        name="history",
        usage="history <model> [--limit N]",
        help=(
            "Shows a model's promotions and rollbacks, newest first: who, when and why.\n"
            "`--limit N` shows N entries (1 to 1000, default 20).\n"
            "Example: `history sentiment-classifier --limit 5`"
        ),
        parser=grammar.parse_history,
        flags=(LIMIT,),
    ),
    CommandSpec(
        name="policy",
        usage="policy <model>",
        help=(
            "Explains the rules that apply to a model, per target: who may ask, who must "
            "approve (with the members of GitHub teams and Slack user groups as found now), "
            "metric gates and freeze windows.\n"
            "Example: `policy sentiment-classifier`"
        ),
        parser=grammar.parse_policy,
    ),
    CommandSpec(
        name="lock",
        usage="lock <model> [<target>] [reason…] [--for DURATION]",
        help=(
            "Stops promotions to a target (without a target: to every target the policy "
            "names for the model) until it is unlocked, or for `--for` a while (`30m`, `2h`, "
            "`1d`). Rollbacks still pass unless the policy's rollback rule sets "
            "`respect_locks: true`.\n"
            "Words after the target are the reason, shown to whoever is refused. The target's "
            "requesters and approvers may lock it, unless the policy's `locks:` names who "
            "may.\n"
            "Example: `lock sentiment-classifier production incident 4711 --for 2h`"
        ),
        parser=grammar.parse_lock,
        flags=(FOR,),
    ),
    CommandSpec(
        name="unlock",
        usage="unlock <model> [<target>]",
        help=(
            "Lifts a lock placed with `lock` (without a target: every lock on the model). "
            "Whoever may lock a target may unlock it.\n"
            "Example: `unlock sentiment-classifier production`"
        ),
        parser=grammar.parse_unlock,
    ),
    CommandSpec(
        name="help",
        usage="help [command]",
        help="Lists all commands, or explains one of them.\nExample: `help promote`",
        parser=_parse_help,
        comment_word=False,  # a comment asks for help as `/promobot help`
    ),
)

# Read-only views of the table, for the modules that show the words.
SPEC: Mapping[str, CommandSpec] = MappingProxyType({spec.name: spec for spec in SPECS})
COMMANDS: tuple[str, ...] = tuple(SPEC)
USAGE: Mapping[str, str] = MappingProxyType({spec.name: spec.usage for spec in SPECS})
HELP: Mapping[str, str] = MappingProxyType({spec.name: spec.help for spec in SPECS})

# Slack's slash commands and the command word each stands for ("": any command follows).
SLASH_COMMANDS: Mapping[str, str] = MappingProxyType(
    {**{spec.word: spec.name for spec in SPECS if spec.slash_command}, f"/{UMBRELLA}": ""}
)
# The words a GitHub comment's first line starts with to be a command.
COMMENT_WORDS: tuple[str, ...] = (
    *(spec.word for spec in SPECS if spec.comment_word),
    f"/{UMBRELLA}",
)
