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
from bot.core.commands import Command, Help, help_text, parse
from bot.core.policy import check, load_policy, lookups
from bot.core.ports.registry import RegistryError
from bot.core.results import envelope
from bot.doors.answer import Answer, Caller, carried_out, help_answer, stop_answer, usage_answer
from bot.doors.cli.remote import run_remote
from bot.doors.common import ExitCode, normalise_actor
from bot.doors.setup import Failure, open_service, open_settings, registry_failure

GUARDED = "guarded"  # RegistryError.kind: the guard refused a write (bot/core/ports/registry.py)
USE_SERVER = (
    "This registry is guarded by promobot: people's commands go through `promobot serve`. "
    "Run `promobot --server <its URL> <the same words>`, or set PROMOBOT_SERVER_URL."
)


def _user() -> str:
    try:
        return os.environ.get("USER") or getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


def run_words(text: str, actor: str, as_json: bool, server: str = "") -> int:
    """One command in the words of the contract; `actor`: from `--as` ("" when not
    given); `server`: `promobot serve`'s URL from `--server` (else PROMOBOT_SERVER_URL),
    whose command door carries the command instead (bot/doors/cli/remote.py)."""
    parsed = parse(text)
    if parsed.command is None:
        return usage_answer(parsed.reply or "could not read that command").show(as_json)
    if isinstance(parsed.command, Help):
        return help_answer(help_text(parsed.command.topic)).show(as_json)
    settings, failure = open_settings()
    if settings is None:
        return _stop(failure, as_json)
    server = server or settings.promobot_server_url.strip()
    if server:
        return run_remote(server, text, actor, settings, as_json).show(as_json)
    return local_answer(parsed.command, actor, settings).show(as_json)


def local_answer(command: Command, asked: str, settings: Settings) -> Answer:
    """The command carried out here, with this process's MLflow credentials."""
    service, failure = open_service(settings)
    if service is None:
        return failure.answer() if failure else usage_answer("could not start")
    if not asked and settings.promobot_actor.strip():
        asked = normalise_actor(settings.promobot_actor)
    caller = Caller(asked, signed_in_username(settings), settings.service_users, f"cli:{_user()}")
    try:
        return carried_out(service, command, caller, "cli")
    except RegistryError as exc:
        if exc.kind == GUARDED:
            return stop_answer(ExitCode.REFUSED, USE_SERVER)
        return registry_failure(exc).answer()


def signed_in_username(settings: Settings) -> str:
    """The MLflow account the CLI's credentials name, when it talks to a server: MLflow
    checks the password on every call, and promobot lets that account act only as its
    own person (bot/core/service/acting_as.py). "" for a local store, where nobody signs in."""
    if not settings.mlflow_tracking_uri.startswith(("http://", "https://")):
        return ""
    return settings.mlflow_tracking_username.strip()


def _stop(failure: Failure | None, as_json: bool) -> int:
    return failure.report(as_json) if failure else ExitCode.USAGE


def _print_json(status: str, reasons: list[str], **detail: Any) -> None:
    """An answer that is not a use case's result (`policy check`), in the one envelope."""
    print(json.dumps(envelope(status, reasons, **detail)))


def usage_error(problem: str, as_json: bool) -> int:
    return usage_answer(problem).show(as_json)


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
