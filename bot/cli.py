"""The `promobot` command: a thin door. Words in, a Result out, an exit status.

Exit status (docs/contract.md, bot.doors.common.ExitCode): 0 done or pending; 1 refused
or invalid; 2 usage error; 3 MLflow or another service unreachable. Heavy modules
(mlflow, pydantic, the service) are imported only once a command needs them, so
`promobot --help` answers at once.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot import __version__
from bot.core.commands import USAGE
from bot.doors.common import ExitCode, normalise_actor

# The entries that are not command words: they run here, never through --server.
# (`policy check` is one of them; `policy <model>` is a command word.)
DOOR_COMMANDS = frozenset(
    (
        "audit",
        "deployments",
        "compact",
        "verify",
        "register",
        "webhooks",
        "serve",
        "board",
        "github",
        "demo",
        "keys",
        "verify-load",
    )
)

TOP_HELP = """\
promobot: release management for MLflow models, run from chat.

Usage:
  promobot <command words…> [--as IDENTITY] [--json]
  promobot --server URL <command words…> [--json]
                                    the same, carried out by promobot serve's command door
                                    as your MLflow account (guarded registries)
  promobot audit [MODEL…] [--json]  drift: what MLflow holds against what promobot recorded
  promobot audit export [MODEL…] [--since ISO-DATE] [--format jsonl|csv]
                                    the audit trail, record by record, oldest first
  promobot policy check [PATH] [--resolve]
                                    validate policy files (exit 1 with file:line errors);
                                    --resolve also reads each GitHub team and Slack user group
  promobot deployments check|repair [MODEL…]   the GitHub deployment of each promotion
  promobot compact [MODEL…] [--json]   move finished records to each model's ledger
  promobot verify [--json]          run every due verification check once (cron, workflows)
  promobot register start-run --experiment NAME   (CI) a run tagged with git metadata
  promobot register --model NAME [--run-id ID] [--request TARGET] [--tag KEY=VALUE…]
                                    (CI) register a run's model; `register --help` for all
  promobot serve [--port N] [--socket-mode]   the Slack app (POST /slack/events, GET /healthz)
                                    and MLflow's webhook deliveries (POST /mlflow/webhook)
  promobot board [--registry URI] [--policy PATH] [--port N] [--prometheus URL]
                 [--prometheus-data DIR]
                                    the release board alone, on 127.0.0.1 (GET /releases)
  promobot webhooks install --url URL   point MLflow's webhook `promobot` at `promobot serve`
  promobot github                   handle the issue_comment event in $GITHUB_EVENT_PATH
  promobot demo [--dir DIR] [--aliases-only]   the whole flow on a local SQLite registry
                                    (--aliases-only: in a registry without stages)
  promobot keys generate --out DIR [--force]   promobot's signing key pair (and the settings)
  promobot keys id PATH|PEM         the key id of a public or private key
  promobot verify-load MODEL_URI [--json]
                                    would promobot.serving.load_model load it? (its receipt,
                                    signature, newest execution and files; never unpickled)

Commands (the same words as in Slack and GitHub comments):
{usage}

Options:
  --as IDENTITY   who acts: github:<login>, slack:<user id>, cli:<name>, mlflow:<username>
                  or an e-mail (default $PROMOBOT_ACTOR, else mlflow:$MLFLOW_TRACKING_USERNAME
                  against a server, else cli:$USER). Signed in to an MLflow server, only
                  promobot's service accounts (PROMOBOT_SERVICE_USERS) may name someone else
  --server URL    send the command words to promobot serve at URL (default
                  $PROMOBOT_SERVER_URL), signed in as MLFLOW_TRACKING_USERNAME with
                  MLFLOW_TRACKING_PASSWORD
  --json          print one JSON object instead of text
  -h, --help      this help; `promobot help <command>` explains one command

Settings (environment): MLFLOW_TRACKING_URI (default sqlite:///mlflow.db),
PROMOBOT_POLICY (default policies/), PROMOBOT_SERVER_URL, MLFLOW_TRACKING_USERNAME and
MLFLOW_TRACKING_PASSWORD.
Exit status: 0 done or pending, 1 refused or invalid, 2 usage error, 3 MLflow unreachable.
"""


# A reader that went away (`promobot history m | head -1`): as SIGPIPE ends other tools.
CUT_OFF = 141


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = _main(args)
        sys.stdout.flush()  # a closed pipe is found here, not at the interpreter's exit
        return code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Nothing more can reach the reader; keep the interpreter from trying again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return CUT_OFF


def _main(args: list[str]) -> int:
    flags = _global_flags(args)
    as_json, actor, args, problem = flags.as_json, flags.actor, flags.words, flags.problem
    if not problem and flags.server and _runs_here(args):
        entry = " ".join(args[:2]) if args[0] == "policy" else args[0]
        problem = (
            f"--server carries the command words (promote, approve, rollback, status, …) to "
            f"promobot serve; `promobot {entry}` runs here: leave out --server"
        )
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
    if head == "compact":
        from bot.doors.cli.compact import run_compact

        return run_compact(args[1:], as_json)
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
    if head == "board":
        from bot.doors.cli.board import run_board

        return run_board(args[1:])
    if head == "github":
        from bot.doors.github.comment import run_github

        return run_github(args[1:])
    if head == "demo":
        from bot.doors.demo.story import run_demo

        return run_demo(args[1:])
    if head == "keys":
        from bot.doors.cli.keys import run_keys

        return run_keys(args[1:], as_json)
    if head == "verify-load":
        from bot.doors.cli.verify_load import run_verify_load

        return run_verify_load(args[1:], as_json)
    from bot.doors.cli.words import run_words

    return run_words(" ".join(args), actor, as_json, flags.server)


def _runs_here(args: list[str]) -> bool:
    """An entry that is not a command word (`audit`, `policy check`, …)."""
    if not args:
        return False
    return args[0] in DOOR_COMMANDS or args[:2] == ["policy", "check"]


@dataclass
class GlobalFlags:
    as_json: bool
    actor: str = ""  # from --as, normalised; "" when not given
    server: str = ""  # from --server
    words: list[str] = field(default_factory=list)
    problem: str = ""


_NEEDS = {
    "--as": "--as needs an identity, e.g. `--as github:alice`",
    "--server": "--server needs promobot serve's URL, e.g. `--server https://promobot.example.com`",
}


def _global_flags(args: list[str]) -> GlobalFlags:
    """Take --json, --as and --server out of the words, wherever they stand. The actor is
    "" when --as is not given: the default (PROMOBOT_ACTOR, else the MLflow account or
    cli:$USER) is read from the settings only once a command needs one."""
    # Known before any problem is reported, so that problem is JSON too.
    flags = GlobalFlags(as_json="--json" in args)
    values: dict[str, str] = {}
    i = 0
    while i < len(args):
        word = args[i]
        name, eq, inline = word.partition("=")
        if word == "--json":
            flags.as_json = True
        elif name in _NEEDS:
            if eq:
                value = inline
            elif i + 1 < len(args) and not args[i + 1].startswith("--"):
                value = args[i + 1]
                i += 1
            else:
                value = ""
            if not value.strip():
                flags.problem = _NEEDS[name]
                return flags
            values[name] = value.strip()
        else:
            flags.words.append(word)
        i += 1
    flags.actor = normalise_actor(values["--as"]) if "--as" in values else ""
    flags.server = values.get("--server", "")
    return flags


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
