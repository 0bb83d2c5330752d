"""The `promobot` command: a thin door. Words in, a Result out, an exit status.

Exit status (docs/contract.md, bot.doors.common.ExitCode): 0 done or pending; 1 refused
or invalid; 2 usage error; 3 MLflow or another service unreachable. Heavy modules
(mlflow, pydantic, the service) are imported only once a command needs them, so
`promobot --help` answers at once.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot import __version__
from bot.core.commands import USAGE
from bot.doors.common import ExitCode, normalise_actor

if TYPE_CHECKING:
    pass

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
        from bot.doors.cli.words import usage_error

        return usage_error(problem, as_json)
    if not args or args[0] in ("-h", "--help"):
        print(TOP_HELP.format(usage="\n".join(f"  {line}" for line in USAGE.values())))
        return ExitCode.OK
    if args[0] in ("--version", "-V"):
        print(f"promobot {__version__}")
        return ExitCode.OK
    head = args[0]
    if head == "policy" and len(args) >= 2 and args[1] == "check":
        from bot.doors.cli.words import run_policy_check

        return run_policy_check(args[2:], as_json)
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
    from bot.doors.cli.words import run_words

    return run_words(" ".join(args), actor, as_json)


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
    return as_json, actor and normalise_actor(actor), rest, ""


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
