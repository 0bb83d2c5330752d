"""The `promobot` command: a thin door. Words in, a Result out, an exit status.

Exit status (docs/contract.md, bot.doors.common.ExitCode): 0 done or pending; 1 refused
or invalid; 2 usage error; 3 MLflow or another service unreachable. Heavy modules
(mlflow, pydantic, the service) are imported only once a command needs them, so
`promobot --help` answers at once.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.doors.common import ExitCode, registry_exit

if TYPE_CHECKING:
    from bot.core.results import Result

TOP_HELP = """\
promobot: release management for MLflow models, run from chat.

Usage:
  promobot <command words…> [--as IDENTITY] [--json]
  promobot audit [MODEL…] [--json]  drift: what MLflow holds against what promobot recorded
  promobot audit export [MODEL…] [--since ISO-DATE] [--format jsonl|csv]
                                    the audit trail, record by record, oldest first
  promobot policy check [PATH] [--resolve]
                                    validate policy files (exit 1 with file:line errors);
                                    --resolve also reads each GitHub team and Slack user group
  promobot deployments check|repair [MODEL…]   the GitHub deployment of each promotion
  promobot verify [--json]          run every due verification check once (cron, workflows)
  promobot register start-run --experiment NAME   (CI) a run tagged with git metadata
  promobot register --model NAME [--run-id ID] [--request TARGET] [--tag KEY=VALUE…]
                                    (CI) register a run's model; `register --help` for all
  promobot serve [--port N] [--socket-mode]   the Slack app (POST /slack/events, GET /healthz)
                                    and MLflow's webhook deliveries (POST /mlflow/webhook)
  promobot webhooks install --url URL   point MLflow's webhook `promobot` at `promobot serve`
  promobot github                   handle the issue_comment event in $GITHUB_EVENT_PATH
  promobot demo [--dir DIR]         the whole flow on a local SQLite registry

Commands (the same words as in Slack and GitHub comments):
{usage}

Options:
  --as IDENTITY   who acts: github:<login>, slack:<user id>, cli:<name> or an e-mail
                  (default $PROMOBOT_ACTOR, else cli:$USER)
  --json          print one JSON object instead of text
  -h, --help      this help; `promobot help <command>` explains one command

Settings (environment): MLFLOW_TRACKING_URI (default sqlite:///mlflow.db),
PROMOBOT_POLICY (default policies/).
Exit status: 0 done or pending, 1 refused or invalid, 2 usage error, 3 MLflow unreachable.
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return _main(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _main(args: list[str]) -> int:
    as_json, actor, args, problem = _global_flags(args)
    if problem:
        return _usage_error(problem, as_json)
    if not args or args[0] in ("-h", "--help"):
        from bot.core.commands import USAGE

        print(TOP_HELP.format(usage="\n".join(f"  {line}" for line in USAGE.values())))
        return ExitCode.OK
    if args[0] in ("--version", "-V"):
        from bot import __version__

        print(f"promobot {__version__}")
        return ExitCode.OK
    head = args[0]
    if head == "policy" and len(args) >= 2 and args[1] == "check":
        return _policy_check(args[2:], as_json)
    if head == "audit":
        from bot.doors.cli.audit import run_audit

        return run_audit(args[1:], as_json)
    if head == "deployments":
        from bot.doors.cli.deployments import run_deployments

        return run_deployments(args[1:], as_json)
    if head == "verify":
        from bot.doors.cli.verify import run_verify

        return run_verify(args[1:], as_json)
    if head == "register":
        from bot.doors.cli.register import run_register

        return run_register(args[1:])
    if head == "webhooks":
        from bot.doors.cli.webhooks import run_webhooks

        return run_webhooks(args[1:])
    if head == "serve":
        from bot.doors.slack.server import run_serve

        return run_serve(args[1:])
    if head == "github":
        from bot.doors.github.comment import run_github

        return run_github(args[1:])
    if head == "demo":
        from bot.doors.demo.story import run_demo

        return run_demo(args[1:])
    return _command(" ".join(args), actor, as_json)


def _global_flags(args: list[str]) -> tuple[bool, str, list[str], str]:
    """Take --json and --as out of the words, wherever they stand. The actor is "" when
    --as is not given: the default (PROMOBOT_ACTOR, else cli:$USER) is read from the
    settings only once a command needs one."""
    as_json = "--json" in args  # known before any problem is reported, so it is JSON too
    actor = ""
    rest: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--json":
            as_json = True
        elif word == "--as":
            if i + 1 >= len(args) or not args[i + 1].strip() or args[i + 1].startswith("--"):
                return as_json, actor, rest, "--as needs an identity, e.g. `--as github:alice`"
            actor = args[i + 1]
            i += 1
        elif word.startswith("--as="):
            actor = word.split("=", 1)[1]
            if not actor.strip():
                return as_json, actor, rest, "--as needs an identity, e.g. `--as github:alice`"
        else:
            rest.append(word)
        i += 1
    return as_json, actor and _normalise_actor(actor), rest, ""


def _normalise_actor(actor: str) -> str:
    actor = actor.strip()
    if ":" in actor or "@" in actor:
        return actor
    return f"cli:{actor}"


def _user() -> str:
    try:
        return os.environ.get("USER") or getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


def _command(text: str, actor: str, as_json: bool) -> int:
    from bot.core.commands import parse

    parsed = parse(text)
    if parsed.command is None:
        return _usage_error(parsed.reply or "could not read that command", as_json)

    from bot.core.commands import Help

    if isinstance(parsed.command, Help):
        from bot.core.commands import help_text

        return _emit_plain(help_text(parsed.command.topic), as_json, "help")

    from bot.app import build_service
    from bot.config import load_settings
    from bot.core.policy import PolicyError
    from bot.core.ports.registry import RegistryError
    from bot.core.service import Context

    # MLflow's INFO lines (database migrations and the like) are noise in a terminal.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    settings = load_settings()
    actor = actor or _normalise_actor(settings.promobot_actor or f"cli:{_user()}")
    try:
        service = build_service(settings)
    except PolicyError as exc:
        return _failure(
            ExitCode.REFUSED,
            "The policy files are invalid; promobot stops here.",
            exc.problems,
            as_json,
        )
    try:
        result = service.handle(parsed.command, Context(actor=actor, channel="cli"))
    except RegistryError as exc:
        return _failure(registry_exit(exc), str(exc), [], as_json)
    return _emit(result, as_json)


def _emit(result: Result, as_json: bool) -> int:
    from bot.doors.common import exit_code
    from bot.render.message import to_text

    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        print(to_text(result))
    return exit_code(result)


def _print_json(status: str, reasons: list[str], **detail: Any) -> None:
    """An answer that is not a use case's result (help, a usage error, a failure before
    the service answered, `policy check`), in the one envelope. These have always
    escaped non-ASCII characters (json.dumps' default); a result does not."""
    from bot.core.results import envelope

    print(json.dumps(envelope(status, reasons, **detail)))


def _emit_plain(text: str, as_json: bool, action: str) -> int:
    if as_json:
        _print_json("done", [], action=action, data={"help": text})
    else:
        print(text)
    return ExitCode.OK


def _usage_error(problem: str, as_json: bool) -> int:
    if as_json:
        _print_json("error", [problem])
    else:
        print(problem, file=sys.stderr)
        print("Run `promobot --help` for the commands.", file=sys.stderr)
    return ExitCode.USAGE


def _failure(code: ExitCode, headline: str, details: list[str], as_json: bool) -> int:
    if as_json:
        status = "error" if code == ExitCode.UNAVAILABLE else "refused"
        _print_json(status, [headline, *details])
    else:
        print(headline, file=sys.stderr)
        for line in details:
            print(f"  {line}", file=sys.stderr)
    return code


def _policy_check(args: list[str], as_json: bool) -> int:
    from bot.config import load_settings
    from bot.core.policy import check

    resolve = "--resolve" in args
    args = [arg for arg in args if arg != "--resolve"]
    if len(args) > 1 or any(arg.startswith("-") for arg in args):
        return _usage_error("usage: `promobot policy check [PATH] [--resolve]`", as_json)
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


def _resolve_groups(path: str, settings: Any, as_json: bool) -> int:
    """`policy check --resolve`: read every GitHub team and Slack user group the valid
    policy names; exit 1 when one cannot be read."""
    from bot.app import resolve_groups
    from bot.core.policy import load_policy, lookups

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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
