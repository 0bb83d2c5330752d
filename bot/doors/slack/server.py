"""`promobot serve`: the Slack app behind gunicorn (bot/doors/slack/gunicorn_run.py), or
over Socket Mode (bot/doors/slack/socket_mode.py).

This module starts it: it reads the options, and everything that can be wrong with the
setup (a missing secret, an invalid policy, a token Slack refuses) stops the start with
a sentence and a non-zero exit, before any worker runs. Each process then builds its
doors and passes (bot/doors/slack/worker.py) and serves the HTTP app
(bot/doors/slack/http_app.py).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from bot.adapters.slack.client import api_base_url, web_client
from bot.app import build_signatures
from bot.config import Settings, load_settings
from bot.core.policy import PolicyError, load_policy
from bot.core.ports.signing import KeysProblem
from bot.doors.common import ExitCode
from bot.doors.slack.gunicorn_run import run_gunicorn
from bot.doors.slack.schedule import INTERVALS
from bot.doors.slack.socket_mode import run_socket_mode
from bot.doors.slack.worker import secret_text

SERVE_HELP = """\
usage: promobot serve [--port N] [--host ADDR] [--workers N] [--threads N] [--socket-mode]

The Slack app. Over HTTP (default): POST /slack/events for slash commands and
interactivity, POST /api/v1/commands for the command words of `promobot --server`
(signed in with the caller's MLflow account), POST /mlflow/webhook for MLflow's webhook
deliveries, GET /releases for the release board, GET /healthz for load balancers. With
--socket-mode: a WebSocket to Slack (needs SLACK_APP_TOKEN), for teams that cannot
expose an endpoint.

Options:
  --port N        port to listen on (default $PORT, else 3000)
  --host ADDR     address to listen on (default 0.0.0.0)
  --workers N     gunicorn worker processes (default $WEB_CONCURRENCY, else 1)
  --threads N     threads per worker that run the HTTP app (default 8); requests are
                  read by the worker's event loop, slow clients hold none of them
  --socket-mode   connect to Slack over Socket Mode instead of serving HTTP

Settings (environment): SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET (HTTP), SLACK_APP_TOKEN
(Socket Mode), SLACK_API_URL (default https://slack.com/api/), MLFLOW_TRACKING_URI,
PROMOBOT_POLICY, PROMOBOT_SWEEP_SECONDS (how often expired requests are closed and
their messages updated; default 60, 0 turns it off), PROMOBOT_AUDIT_SECONDS (how often
the governed models are audited for drift; default 300, 0 turns it off),
PROMOBOT_MLFLOW_WEBHOOK_SECRET (verifies MLflow's deliveries; unset, they get 401);
MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (promobot's service account),
PROMOBOT_SERVICE_USERS (the accounts whose "as" the command door honours);
PROMOBOT_BOARD (on, off, or empty: the board answers 127.0.0.1 only unless the registry
is guarded) and PROMOBOT_BOARD_SECONDS (how old the overview's read of MLflow may be,
default 3; 0 reads afresh);
GITHUB_TOKEN, GITHUB_API_URL and PROMOBOT_MLFLOW_UI_URL for the checks gate and the
GitHub deployment of each promotion.
"""


@dataclass
class ServeOptions:
    port: int | None = None
    host: str = "0.0.0.0"
    workers: int | None = None
    threads: int = 8
    socket_mode: bool = False
    help: bool = False


def run_serve(args: list[str]) -> int:
    opts, problem = parse_args(args)
    if problem:
        print(f"promobot serve: {problem}", file=sys.stderr)
        print("Run `promobot serve --help` for the options.", file=sys.stderr)
        return ExitCode.USAGE
    if opts.help:
        print(SERVE_HELP, end="")
        return ExitCode.OK

    try:
        settings = load_settings()
    except Exception as exc:  # pydantic's ValidationError: a malformed PORT and the like
        print(f"promobot serve cannot start: the settings are invalid:\n{exc}", file=sys.stderr)
        return ExitCode.REFUSED
    problems = missing_settings(settings, socket_mode=opts.socket_mode)
    for interval in INTERVALS:
        if interval_problem := settings.problem(interval):
            problems.append(interval_problem)
    if problems:
        print("promobot serve cannot start:", file=sys.stderr)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        return ExitCode.REFUSED

    try:
        policy = load_policy(settings.promobot_policy)
    except PolicyError as exc:
        print(
            f"The policy files are invalid ({settings.promobot_policy}); promobot stops here.",
            file=sys.stderr,
        )
        for line in exc.problems:
            print(f"  {line}", file=sys.stderr)
        return ExitCode.REFUSED
    except OSError as exc:
        print(f"promobot serve cannot read the policy: {exc}", file=sys.stderr)
        return ExitCode.REFUSED

    try:
        build_signatures(settings)
    except KeysProblem as exc:
        print(f"promobot serve cannot start: {exc}", file=sys.stderr)
        return ExitCode.REFUSED
    code = check_token(settings)
    if code != ExitCode.OK:
        return code
    port = opts.port if opts.port is not None else settings.port
    if opts.socket_mode:
        return run_socket_mode(settings, policy, opts.host, port)
    workers = opts.workers if opts.workers is not None else settings.web_concurrency
    return run_gunicorn(settings, policy, opts.host, port, workers, opts.threads)


# ---- checks before anything starts -----------------------------------------------------


def parse_args(args: list[str]) -> tuple[ServeOptions, str]:
    opts = ServeOptions()
    words = list(args)
    while words:
        word = words.pop(0)
        name, eq, inline = word.partition("=")
        if word in ("-h", "--help"):
            opts.help = True
        elif word == "--socket-mode":
            opts.socket_mode = True
        elif name in ("--port", "--host", "--workers", "--threads"):
            if eq:
                value = inline
            elif words:
                value = words.pop(0)
            else:
                return opts, f"{name} needs a value"
            if name == "--host":
                if not value.strip():
                    return opts, "--host needs an address, e.g. 0.0.0.0"
                opts.host = value.strip()
                continue
            try:
                number = int(value)
            except ValueError:
                return opts, f"{name} takes a whole number, not {value!r}"
            low, high = (0, 65535) if name == "--port" else (1, 256)
            if not low <= number <= high:
                return opts, f"{name} must be between {low} and {high}, not {number}"
            setattr(opts, name[2:], number)
        else:
            return opts, f"unknown option {word!r}"
    return opts, ""


def missing_settings(settings: Settings, *, socket_mode: bool) -> list[str]:
    problems = []
    if not secret_text(settings.slack_bot_token):
        problems.append(
            "SLACK_BOT_TOKEN is not set: the app's Bot User OAuth Token (xoxb-…), "
            "from the Slack app's OAuth & Permissions page."
        )
    if socket_mode:
        if not secret_text(settings.slack_app_token):
            problems.append(
                "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-…) "
                "with the connections:write scope, from the app's Basic Information page."
            )
    elif not secret_text(settings.slack_signing_secret):
        problems.append(
            "SLACK_SIGNING_SECRET is not set: the app's Signing Secret, from its Basic "
            "Information page; without it no request from Slack can be trusted."
        )
    return problems


def check_token(settings: Settings) -> ExitCode:
    """Ask Slack whether the bot token works (auth.test), so a wrong token or URL stops
    the start with a sentence instead of failing every command later."""
    where = api_base_url(settings.slack_api_url)
    try:
        web_client(settings).auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else "unknown"
        print(
            f"promobot serve cannot start: Slack refused SLACK_BOT_TOKEN ({error}) at {where}. "
            "Copy the Bot User OAuth Token again from the app's OAuth & Permissions page.",
            file=sys.stderr,
        )
        return ExitCode.REFUSED
    except Exception as exc:  # URLError, timeouts: Slack (or SLACK_API_URL) unreachable
        print(
            f"promobot serve cannot start: Slack's Web API is unreachable at {where} "
            f"({type(exc).__name__}: {exc}). Check SLACK_API_URL and the network.",
            file=sys.stderr,
        )
        return ExitCode.UNAVAILABLE
    return ExitCode.OK
