"""The command words from the terminal (`promobot promote …`, `approve …`, `status …`,
the same words as in Slack and GitHub comments) and `promobot policy check`: parse,
open the service (bot/doors/setup.py), hand it the command, print the result as text or
the one `--json` envelope, end with the contract's exit status."""

from __future__ import annotations

import getpass
import json
import os
import sys
from typing import Any

from bot.app import resolve_groups
from bot.config import Settings, load_settings
from bot.core.commands import Help, help_text, parse
from bot.core.policy import check, load_policy, lookups
from bot.core.ports.registry import RegistryError
from bot.core.results import Result, envelope
from bot.core.service import Context
from bot.doors.common import ExitCode, exit_code, normalise_actor
from bot.doors.setup import Failure, open_service, open_settings, registry_failure
from bot.render.message import to_text


def _user() -> str:
    try:
        return os.environ.get("USER") or getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


def run_words(text: str, actor: str, as_json: bool) -> int:
    """One command in the words of the contract; `actor`: from `--as`, else the default."""
    parsed = parse(text)
    if parsed.command is None:
        return usage_error(parsed.reply or "could not read that command", as_json)
    if isinstance(parsed.command, Help):
        return _emit_plain(help_text(parsed.command.topic), as_json, "help")
    settings, failure = open_settings()
    if settings is None:
        return _stop(failure, as_json)
    actor = actor or normalise_actor(settings.promobot_actor or f"cli:{_user()}")
    service, failure = open_service(settings)
    if service is None:
        return _stop(failure, as_json)
    try:
        result = service.handle(parsed.command, Context(actor=actor, channel="cli"))
    except RegistryError as exc:
        return registry_failure(exc).report(as_json)
    return _emit(result, as_json)


def _stop(failure: Failure | None, as_json: bool) -> int:
    return failure.report(as_json) if failure else ExitCode.USAGE


def _emit(result: Result, as_json: bool) -> int:
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        print(to_text(result))
    return exit_code(result)


def _print_json(status: str, reasons: list[str], **detail: Any) -> None:
    """An answer that is not a use case's result (help, a usage error, a failure before
    the service answered, `policy check`), in the one envelope. These have always
    escaped non-ASCII characters (json.dumps' default); a result does not."""
    print(json.dumps(envelope(status, reasons, **detail)))


def _emit_plain(text: str, as_json: bool, action: str) -> int:
    if as_json:
        _print_json("done", [], action=action, data={"help": text})
    else:
        print(text)
    return ExitCode.OK


def usage_error(problem: str, as_json: bool) -> int:
    if as_json:
        _print_json("error", [problem])
    else:
        print(problem, file=sys.stderr)
        print("Run `promobot --help` for the commands.", file=sys.stderr)
    return ExitCode.USAGE


def run_policy_check(args: list[str], as_json: bool) -> int:
    resolve = "--resolve" in args
    args = [arg for arg in args if arg != "--resolve"]
    if len(args) > 1 or any(arg.startswith("-") for arg in args):
        return usage_error("usage: `promobot policy check [PATH] [--resolve]`", as_json)
    settings = load_settings()
    path = args[0] if args else settings.promobot_policy
    problems = check(path)
    if problems or not resolve:
        if as_json:
            _print_json("refused" if problems else "done", problems)
        elif problems:
            print(f"{len(problems)} problem(s) in {path}:", file=sys.stderr)
            for line in problems:
                print(line, file=sys.stderr)
        else:
            print(f"{path}: OK")
        return ExitCode.REFUSED if problems else ExitCode.OK
    return _resolve_groups(path, settings, as_json)


def _resolve_groups(path: str, settings: Settings, as_json: bool) -> int:
    """`policy check --resolve`: read every GitHub team and Slack user group the valid
    policy names; exit 1 when one cannot be read."""
    policy = load_policy(path)
    sources, membership = resolve_groups(settings, policy)
    failures = membership.unread(sources)
    found = lookups(policy, membership, sources)
    if as_json:
        _print_json("refused" if failures else "done", failures, data={"lookups": found})
        return ExitCode.REFUSED if failures else ExitCode.OK
    print(f"{path}: OK")
    if not sources:
        print("No group names a GitHub team or a Slack user group; nothing to look up.")
    for source, answer in found.items():
        names = answer.get("members")
        if isinstance(names, list):
            count = f"{len(names)} member{'' if len(names) == 1 else 's'}"
            print(f"{source}: {count}" + (f": {', '.join(names)}" if names else ""))
    if failures:
        plural = "lookup" if len(failures) == 1 else "lookups"
        print(f"{len(failures)} {plural} failed:", file=sys.stderr)
        for line in failures:
            print(line, file=sys.stderr)
    return ExitCode.REFUSED if failures else ExitCode.OK
