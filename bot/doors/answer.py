"""One command's answer, whichever door carries it: the `--json` envelope, the text a
terminal shows (and on which stream), and the exit status (docs/contract.md, "The CLI").

The terminal prints it (bot/doors/cli/words.py); the command door of `promobot serve`
sends it back (bot/doors/command_door.py), and `promobot --server` prints what it got
(bot/doors/cli/remote.py): so the same words answer alike in both.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.core.context import Context
from bot.core.neutral import jsonl
from bot.core.results import Result, envelope
from bot.core.service.acting_as import acting_as
from bot.doors.common import ExitCode, exit_code
from bot.render.message import to_text

if TYPE_CHECKING:  # kept out of `promobot --server`'s imports
    from bot.core.commands import Command
    from bot.core.service import Service

STDOUT, STDERR = "stdout", "stderr"
# `promobot serve`'s command door, and the headers its answers carry besides the body.
COMMANDS_PATH = "/api/v1/commands"
EXIT_HEADER = "X-Promobot-Exit-Code"
STREAM_HEADER = "X-Promobot-Stream"


@dataclass(frozen=True)
class Answer:
    exit: ExitCode
    body: dict[str, Any]  # the envelope
    text: str
    stream: str = STDOUT
    # Answers that are no use case's result have always escaped non-ASCII characters in
    # their JSON (json.dumps' default); a result's does not.
    ascii_json: bool = True
    raw_json: str = ""  # the envelope exactly as another process wrote it (`--server`)
    result: bool = False  # a use case answered (not a stop before it)

    def json_text(self) -> str:
        """One line: a result's JSON keeps non-ASCII, but not the line separators."""
        return self.raw_json or jsonl(json.dumps(self.body, ensure_ascii=self.ascii_json))

    def show(self, as_json: bool) -> ExitCode:
        """Print it as the terminal does: the envelope on stdout, or the text."""
        if as_json:
            print(self.json_text())
        else:
            print(self.text, file=sys.stderr if self.stream == STDERR else sys.stdout)
        return self.exit


def result_answer(result: Result) -> Answer:
    return Answer(
        exit_code(result), result.to_json(), to_text(result), ascii_json=False, result=True
    )


def help_answer(text: str) -> Answer:
    return Answer(ExitCode.OK, envelope("done", [], action="help", data={"help": text}), text)


def usage_answer(problem: str) -> Answer:
    text = f"{problem}\nRun `promobot --help` for the commands."
    return Answer(ExitCode.USAGE, envelope("error", [problem]), text, STDERR)


def stop_answer(code: ExitCode, headline: str, details: tuple[str, ...] = ()) -> Answer:
    """The door stopped before (or while) the service answered (bot/doors/setup.Failure)."""
    status = "error" if code in (ExitCode.UNAVAILABLE, ExitCode.USAGE) else "refused"
    text = "\n".join([headline, *(f"  {line}" for line in details)])
    return Answer(code, envelope(status, [headline, *details]), text, STDERR)


@dataclass(frozen=True)
class Caller:
    """Who asks for a command: `asked` (from `--as` or the door's "as", "" for none),
    `username` (the MLflow account signed in, "" for none), promobot's own accounts, and
    the actor when nothing else names one."""

    asked: str
    username: str
    service_users: frozenset[str]
    fallback: str = ""


def carried_out(service: Service, command: Command, caller: Caller, channel: str) -> Answer:
    """The command carried out as the caller may act (bot/core/service/acting_as.py), or
    the refusal of who they named; a RegistryError is the caller's to say."""
    acting = acting_as(
        caller.asked,
        caller.username,
        service_users=caller.service_users,
        policy=service.policy,
    )
    if acting.refusal:
        return stop_answer(ExitCode.REFUSED, acting.refusal)
    actor = acting.actor or caller.fallback
    return result_answer(service.handle(command, Context(actor=actor, channel=channel)))
