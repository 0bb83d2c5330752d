"""`promobot --server URL <command words…>` (or PROMOBOT_SERVER_URL): the command words
carried by `promobot serve`'s command door (`POST /api/v1/commands`,
bot/doors/command_door.py) instead of being carried out here.

The door signs the caller in with their own MLflow credentials (MLFLOW_TRACKING_USERNAME
and MLFLOW_TRACKING_PASSWORD, sent as HTTP Basic) and acts as `mlflow:<username>`; it
answers with the same envelope, text and exit status as the local CLI, which this prints
as the local CLI does. Redirects are not followed: the credentials go to the URL given,
and nowhere else. An https URL is checked against the system's certificate authorities,
or against the bundle REQUESTS_CA_BUNDLE (else CURL_CA_BUNDLE) names, as MLflow's client
and every requests-based tool read it (a company's own CA in front of promobot serve).
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from typing import Any

from bot.config import Settings
from bot.core.results import envelope
from bot.core.text import masked
from bot.doors.answer import (
    COMMANDS_PATH,
    EXIT_HEADER,
    STDERR,
    STDOUT,
    STREAM_HEADER,
    Answer,
    stop_answer,
)
from bot.doors.common import ExitCode

# A promotion waits for the target's lock (PROMOBOT_LOCK_WAIT_SECONDS, 30 s by default),
# then for MLflow: give the door that and more before calling it unreachable.
TIMEOUT_S = 120


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx comes back as an HTTPError, answered below


def _opener() -> urllib.request.OpenerDirector:
    """No redirects; TLS checked against REQUESTS_CA_BUNDLE's (or CURL_CA_BUNDLE's) file
    when one is named. OSError or ssl.SSLError when that file cannot be read as one."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if not bundle:
        return urllib.request.build_opener(_NoRedirects())
    context = ssl.create_default_context(cafile=bundle)
    return urllib.request.build_opener(_NoRedirects(), urllib.request.HTTPSHandler(context=context))


def run_remote(server: str, text: str, asked: str, settings: Settings, as_json: bool) -> Answer:
    """Send the words (and `--as`, which the door honours for service accounts only) and
    return the door's answer (its envelope with `as_json`, else its text), or why there
    is none."""
    url = server.rstrip("/") + COMMANDS_PATH
    where = masked(server)
    if not server.startswith(("http://", "https://")):
        return stop_answer(
            ExitCode.USAGE,
            f"--server (PROMOBOT_SERVER_URL) must be promobot serve's http(s) URL, not {where!r}",
        )
    if "@" in urllib.parse.urlsplit(server).netloc:
        return stop_answer(
            ExitCode.USAGE,
            f"--server (PROMOBOT_SERVER_URL) takes promobot serve's URL without credentials, "
            f"not {where!r}: you sign in with MLFLOW_TRACKING_USERNAME and "
            "MLFLOW_TRACKING_PASSWORD",
        )
    username = settings.mlflow_tracking_username.strip()
    password = settings.mlflow_tracking_password
    secret = password.get_secret_value() if password is not None else ""
    body: dict[str, str] = {"text": text}
    if asked:
        body["as"] = asked
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json" if as_json else "text/plain",
        },
    )
    if username:
        token = base64.b64encode(f"{username}:{secret}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        opener = _opener()
    except (OSError, ssl.SSLError) as exc:
        return stop_answer(
            ExitCode.USAGE,
            "REQUESTS_CA_BUNDLE (or CURL_CA_BUNDLE) must name a file of PEM certificates "
            f"the connection to promobot serve is checked against: {exc}; nothing was done",
        )
    try:
        with opener.open(request, timeout=TIMEOUT_S) as reply:
            return _answer(reply.status, reply.headers, reply.read(), bool(username))
    except urllib.error.HTTPError as exc:
        return _answer(exc.code, exc.headers, exc.read(), bool(username))
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return stop_answer(
            ExitCode.UNAVAILABLE,
            f"promobot serve at {where} cannot be reached ({reason}); nothing was done",
        )


def _answer(status: int, headers: Message, raw: bytes, signed: bool) -> Answer:
    """What the door said, as the local CLI would say it (`signed`: credentials were sent)."""
    text = raw.decode("utf-8", "replace").rstrip("\n")
    code = headers.get(EXIT_HEADER, "")
    if status == 401 and not signed:
        return stop_answer(
            ExitCode.REFUSED,
            "promobot serve signs you in with your MLflow account, and none is set: set "
            "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD; nothing was done",
        )
    if status == 401:
        return stop_answer(
            ExitCode.REFUSED,
            "promobot serve did not sign you in: MLflow refused the username and password "
            "(set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD to your MLflow "
            "account's); nothing was done",
        )
    if code.isascii() and code.isdigit() and int(code) in iter(ExitCode):
        stream = STDERR if headers.get(STREAM_HEADER, "") == STDERR else STDOUT
        found = _envelope_of(text)
        raw = text if found is not None else ""
        return Answer(
            ExitCode(int(code)), found or envelope("error", [text]), text, stream, raw_json=raw
        )
    if 300 <= status < 400:
        return stop_answer(
            ExitCode.USAGE,
            f"promobot serve answered with a redirect (HTTP {status}) to "
            f"{masked(headers.get('Location', '?'))}: give that URL to --server",
        )
    return stop_answer(
        ExitCode.UNAVAILABLE,
        f"the server did not answer as promobot serve does (HTTP {status}); is --server "
        "promobot serve's URL?",
    )


def _envelope_of(text: str) -> dict[str, Any] | None:
    """The envelope, when the door answered one (asked for JSON); None for text."""
    if not text.startswith("{"):
        return None
    try:
        found = json.loads(text)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None
