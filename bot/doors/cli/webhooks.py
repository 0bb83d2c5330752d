"""`promobot webhooks install --url URL`: point MLflow's webhook at `promobot serve`.

Creates, or updates, the one MLflow webhook named `promobot` for the events promobot
acts on, with the secret in PROMOBOT_MLFLOW_WEBHOOK_SECRET, and says what it did. Run it
again at any time: it changes only what differs.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from bot.app import build_webhook_install
from bot.core.ports.registry import RegistryError
from bot.core.service.webhooks import CREATED, EVENTS, UPDATED, url_problem
from bot.doors.common import ExitCode, registry_exit
from bot.doors.setup import open_settings

if TYPE_CHECKING:
    from bot.core.service.webhooks import Installed

WEBHOOKS_HELP = """\
usage: promobot webhooks install --url URL

Create or update, idempotently, the MLflow webhook named `promobot`: MLflow then posts
model_version.created, model_version_alias.created and model_version_alias.deleted to
URL, signed with PROMOBOT_MLFLOW_WEBHOOK_SECRET. URL is where MLflow's server reaches
`promobot serve`'s /mlflow/webhook, e.g. https://promobot.example.com/mlflow/webhook.
It says whether it created the webhook, updated it, or found it already so.

MLflow keeps webhooks only on a SQL-backed tracking server (SQLite, PostgreSQL, MySQL);
its server accepts https URLs only unless MLFLOW_WEBHOOK_ALLOWED_SCHEMES=http,https, and
no private or loopback address unless MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS=true, both set on
the MLflow server (docs/deploy.md).

Settings (environment): MLFLOW_TRACKING_URI (the tracking server),
PROMOBOT_MLFLOW_WEBHOOK_SECRET (required; the same on every `promobot serve`).

Exit status: 0 done, 1 refused (no secret, MLflow refused the URL, no webhooks on this
tracking server), 2 usage error, 3 MLflow unreachable.
"""

_HINTS = {
    "scheme": "MLflow's server accepts only https webhook URLs unless it runs with "
    "MLFLOW_WEBHOOK_ALLOWED_SCHEMES=http,https.",
    "non-public": "MLflow's server refuses private and loopback addresses unless it runs "
    "with MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS=true.",
    "Cannot resolve": "MLflow's server could not resolve that host name.",
}


def run_webhooks(args: list[str]) -> int:
    if not args or any(a in ("-h", "--help", "help") for a in args):
        print(WEBHOOKS_HELP, end="")
        return ExitCode.OK
    if args[0] != "install":
        return _usage(f"unknown subcommand {args[0]!r}; the one there is: `install --url URL`")
    url, problem = _url_option(args[1:])
    if problem:
        return _usage(problem)

    settings, failure = open_settings()
    if settings is None:
        return failure.report() if failure else ExitCode.USAGE
    secret = settings.promobot_mlflow_webhook_secret
    try:
        installed = build_webhook_install(settings).install(
            url, secret.get_secret_value() if secret else ""
        )
    except RegistryError as exc:
        print(f"promobot webhooks install: {exc}", file=sys.stderr)
        hints = [hint for word, hint in _HINTS.items() if word in str(exc)]
        if exc.kind == "permission":
            hints = [
                "MLflow lets only its admins manage webhooks: run this once with an admin's "
                "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD."
            ]
        for hint in hints:
            print(f"  {hint}", file=sys.stderr)
        return registry_exit(exc)
    if installed.refused:
        print(f"promobot webhooks install: {installed.refused}", file=sys.stderr)
        return ExitCode.REFUSED
    for line in _report(installed, settings.mlflow_tracking_uri):
        print(line)
    return ExitCode.OK


def _url_option(words: list[str]) -> tuple[str, str]:

    url: str | None = None
    rest = list(words)
    while rest:
        word = rest.pop(0)
        if word == "--url":
            if not rest:
                return "", "--url needs a value: the address of `promobot serve`'s /mlflow/webhook"
            url = rest.pop(0)
        elif word.startswith("--url="):
            url = word.split("=", 1)[1]
        else:
            return "", f"unknown option {word!r}"
    if url is None:
        return (
            "",
            "--url is required: where MLflow's server reaches `promobot serve`'s /mlflow/webhook",
        )
    return url, url_problem(url)


def _report(installed: Installed, tracking_uri: str) -> list[str]:

    hook = installed.webhook
    assert hook is not None
    named = f"the MLflow webhook `{hook.name}` ({hook.webhook_id})"
    if installed.what == CREATED:
        lines = [f"Created {named}: {', '.join(EVENTS)} → {hook.url}."]
    elif installed.what == UPDATED:
        lines = [f"Updated {named}: {', '.join(installed.changed)} → {hook.url}."]
    else:
        lines = [f"{named[0].upper()}{named[1:]} is already so: {', '.join(EVENTS)} → {hook.url}."]
    if installed.removed:
        lines.append(
            f"Deleted {len(installed.removed)} other webhook(s) named `{hook.name}` "
            f"({', '.join(installed.removed)}): each would have delivered every event again."
        )
    lines.extend(installed.notes)
    if installed.what in (CREATED, UPDATED):
        lines.append(
            "MLflow's server caches its webhooks for MLFLOW_WEBHOOK_CACHE_TTL seconds (60 by "
            "default): deliveries may take up to that long to follow this change."
        )
    if not tracking_uri.startswith(("http://", "https://")):
        lines.append(
            "Note: MLFLOW_TRACKING_URI is not a tracking server. Only `mlflow server` "
            "delivers webhooks, and it must have the MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY "
            "this process had, to read the secret stored here."
        )
    return lines


def _usage(problem: str) -> int:
    print(f"promobot webhooks: {problem}", file=sys.stderr)
    print("Run `promobot webhooks --help` for the usage.", file=sys.stderr)
    return ExitCode.USAGE
