"""The command door of `promobot serve`: `POST /api/v1/commands` (docs/contract.md, "The
command door").

A person (or automation) sends the command words as JSON, `{"text": "rollback m
p99 doubled"}`, signed in with their own MLflow credentials (HTTP Basic). The door asks
MLflow who they are (`GET /api/2.0/mlflow/users/current`, through the Identity port)
and carries the command out as `mlflow:<username>` with promobot's own credentials, so
that behind the guard a person's command is checked against the policy as that person.
`"as"` names someone else, and is honoured for promobot's service accounts only
(PROMOBOT_SERVICE_USERS).

Answers: the `--json` envelope (or, for `Accept: text/plain`, the text the CLI prints),
with the exit status in X-Promobot-Exit-Code:

    200  the command was carried to the service; the envelope says done, pending, refused
    400  the body or the words could not be read (exit 2)
    401  no credentials, or MLflow refused them: nothing was read or written
    403  "as" names someone else and the account is not a service account (exit 1)
    405, 413, 415  not a POST, a body over 64 kB, not application/json
    503  MLflow cannot be reached, or signs nobody in (a local store, a plain server)

Only JSON is taken: a browser that holds Basic credentials for this host cannot be made
to send a command by another site's form (forms cannot send application/json).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from bot.core.commands import Help, help_text, parse
from bot.core.ports.identity import Identity, SignedIn
from bot.core.ports.registry import RegistryError
from bot.core.service import Service
from bot.doors.answer import (
    EXIT_HEADER,
    STREAM_HEADER,
    Answer,
    Caller,
    carried_out,
    help_answer,
    stop_answer,
    usage_answer,
)
from bot.doors.common import ExitCode, normalise_actor, registry_exit
from bot.doors.signin import REALM, UNAUTHORISED, sign_in

log = logging.getLogger("promobot.commands")

BODY_MAX = 64_000
TEXT_MAX = 10_000
CHANNEL = "cli"  # the terminal's words, carried for it: messages say "Asked in the terminal."
_STATUS = {
    ExitCode.OK: "200 OK",
    ExitCode.REFUSED: "403 Forbidden",
    ExitCode.USAGE: "400 Bad Request",
    ExitCode.UNAVAILABLE: "503 Service Unavailable",
}


class CommandDoor:
    """The WSGI app of POST /api/v1/commands."""

    def __init__(
        self,
        identity: Identity,
        service: Callable[[], Service],
        service_users: frozenset[str],
    ) -> None:
        self.identity = identity
        self.service = service
        self.service_users = service_users

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        as_text = "text/plain" in environ.get("HTTP_ACCEPT", "")
        status, answer, extra = self._answer(environ)
        body = (answer.text if as_text else answer.json_text()).encode()
        headers = [
            ("Content-Type", "text/plain; charset=utf-8" if as_text else "application/json"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            (EXIT_HEADER, str(int(answer.exit))),
            (STREAM_HEADER, answer.stream),
            *extra,
        ]
        start_response(status, headers)
        return [body]

    def _answer(self, environ: dict[str, Any]) -> tuple[str, Answer, list[tuple[str, str]]]:
        if environ.get("REQUEST_METHOD", "GET").upper() != "POST":
            return _refused("405 Method Not Allowed", "POST only", [("Allow", "POST")])
        content_type = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
        if content_type != "application/json":
            return _refused(
                "415 Unsupported Media Type",
                'send the command as JSON (Content-Type: application/json): {"text": "…"}',
            )
        found = sign_in(self.identity, environ)
        if found.signed is None:
            if found.status == UNAUTHORISED:
                return _unauthorised(found.problem)
            answer = stop_answer(
                ExitCode.UNAVAILABLE, f"the command door cannot sign you in: {found.problem}"
            )
            return _STATUS[ExitCode.UNAVAILABLE], answer, []
        signed = found.signed
        words, asked, problem = read_body(environ)
        if problem:
            return problem
        answer = self.carry_out(words, asked, signed)
        status = "200 OK" if answer.result else _STATUS[answer.exit]
        return status, answer, []

    def carry_out(self, text: str, asked: str, signed: SignedIn) -> Answer:
        """The command as `signed`'s person (or `asked`, for a service account)."""
        parsed = parse(text)
        if parsed.command is None:
            return usage_answer(parsed.reply or "could not read that command")
        if isinstance(parsed.command, Help):
            return help_answer(help_text(parsed.command.topic))
        log.info("command door: %s runs %s", signed.actor, type(parsed.command).__name__)
        caller = Caller(asked, signed.username, self.service_users)
        try:
            return carried_out(self.service(), parsed.command, caller, CHANNEL)
        except RegistryError as exc:
            return stop_answer(registry_exit(exc), str(exc))


def read_body(
    environ: dict[str, Any],
) -> tuple[str, str, tuple[str, Answer, list[tuple[str, str]]] | None]:
    """(text, as, None), or the answer to a body that cannot be taken."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if length < 0 or length > BODY_MAX:
        return "", "", _refused("413 Content Too Large", f"the body is over {BODY_MAX} bytes")
    raw = environ["wsgi.input"].read(length) if length else b""
    try:
        found = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        found = None
    text = found.get("text") if isinstance(found, dict) else None
    asked = found.get("as", "") if isinstance(found, dict) else ""
    if not isinstance(text, str) or not text.strip() or not isinstance(asked, str):
        return "", "", _bad('the body must be JSON {"text": "<command words>"}, "as" optional')
    if len(text) > TEXT_MAX:
        return "", "", _bad(f"the command is over {TEXT_MAX} characters")
    return text.strip().removeprefix("/"), normalise_actor(asked) if asked.strip() else "", None


def _bad(problem: str) -> tuple[str, Answer, list[tuple[str, str]]]:
    return _STATUS[ExitCode.USAGE], usage_answer(problem), []


def _refused(
    status: str, problem: str, extra: list[tuple[str, str]] | None = None
) -> tuple[str, Answer, list[tuple[str, str]]]:
    return status, stop_answer(ExitCode.USAGE, problem), extra or []


def _unauthorised(problem: str) -> tuple[str, Answer, list[tuple[str, str]]]:
    answer = stop_answer(ExitCode.REFUSED, f"not signed in: {problem}; nothing was done")
    return "401 Unauthorized", answer, [("WWW-Authenticate", REALM)]
