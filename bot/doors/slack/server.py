"""`promobot serve`: the Slack app behind gunicorn, or over Socket Mode.

HTTP (the default): gunicorn's master process, `gthread` workers, run from here through
`gunicorn.app.base.BaseApplication`. Each worker serves

    POST /slack/events     slash commands and button clicks (signed by Slack, else 401)
    POST /mlflow/webhook   MLflow's deliveries (signed, else 401; doors/mlflow_webhook.py)
    GET  /healthz          200 {"ok": true}: the process answers (no signature, no MLflow)

and runs the scheduled passes (the Slack sweeper, the drift audit).

`--socket-mode` opens a WebSocket to Slack instead (SLACK_APP_TOKEN), for teams that
cannot expose an endpoint; /healthz (and /mlflow/webhook) is then served by a small thread.

Everything that can be wrong with the setup (a missing secret, an invalid policy, a
token Slack refuses) stops the start with a sentence and a non-zero exit, before any
worker runs. Heavy modules (mlflow, bolt) load only once they are needed, so the
process answers /healthz quickly and MLflow's import happens in the background.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.doors.common import ExitCode
from bot.doors.mlflow_webhook import WEBHOOK_PATH, MlflowWebhookDoor

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core.policy import Policy
    from bot.core.service import Service

log = logging.getLogger("promobot.slack")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
BODY_MAX = 1_000_000  # Slack's payloads are a few kilobytes

SERVE_HELP = """\
usage: promobot serve [--port N] [--host ADDR] [--workers N] [--threads N] [--socket-mode]

The Slack app. Over HTTP (default): POST /slack/events for slash commands and
interactivity, POST /mlflow/webhook for MLflow's webhook deliveries, GET /healthz for
load balancers. With --socket-mode: a WebSocket to Slack (needs SLACK_APP_TOKEN), for
teams that cannot expose an endpoint.

Options:
  --port N        port to listen on (default $PORT, else 3000)
  --host ADDR     address to listen on (default 0.0.0.0)
  --workers N     gunicorn worker processes (default $WEB_CONCURRENCY, else 1)
  --threads N     request threads per worker (default 8)
  --socket-mode   connect to Slack over Socket Mode instead of serving HTTP

Settings (environment): SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET (HTTP), SLACK_APP_TOKEN
(Socket Mode), SLACK_API_URL (default https://slack.com/api/), MLFLOW_TRACKING_URI,
PROMOBOT_POLICY, PROMOBOT_SWEEP_SECONDS (how often expired requests are closed and
their messages updated; default 60, 0 turns it off), PROMOBOT_AUDIT_SECONDS (how often
the governed models are audited for drift; default 300, 0 turns it off),
PROMOBOT_MLFLOW_WEBHOOK_SECRET (verifies MLflow's deliveries; unset, they get 401);
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

    from bot.config import load_settings

    try:
        settings = load_settings()
    except Exception as exc:  # pydantic's ValidationError: a malformed PORT and the like
        print(f"promobot serve cannot start: the settings are invalid:\n{exc}", file=sys.stderr)
        return ExitCode.REFUSED
    problems = missing_settings(settings, socket_mode=opts.socket_mode)
    for interval in ("promobot_sweep_seconds", "promobot_audit_seconds", "promobot_verify_seconds"):
        if interval_problem := settings.problem(interval):
            problems.append(interval_problem)
    if problems:
        print("promobot serve cannot start:", file=sys.stderr)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        return ExitCode.REFUSED

    from bot.core.policy import PolicyError, load_policy

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
    if not _secret(settings.slack_bot_token):
        problems.append(
            "SLACK_BOT_TOKEN is not set: the app's Bot User OAuth Token (xoxb-…), "
            "from the Slack app's OAuth & Permissions page."
        )
    if socket_mode:
        if not _secret(settings.slack_app_token):
            problems.append(
                "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-…) "
                "with the connections:write scope, from the app's Basic Information page."
            )
    elif not _secret(settings.slack_signing_secret):
        problems.append(
            "SLACK_SIGNING_SECRET is not set: the app's Signing Secret, from its Basic "
            "Information page; without it no request from Slack can be trusted."
        )
    return problems


def check_token(settings: Settings) -> ExitCode:
    """Ask Slack whether the bot token works (auth.test), so a wrong token or URL stops
    the start with a sentence instead of failing every command later."""
    from slack_sdk.errors import SlackApiError

    from bot.notifiers.slack import api_base_url, web_client

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


def _secret(value: Any) -> str:
    return value.get_secret_value().strip() if value is not None else ""


# ---- the parts each worker builds ------------------------------------------------------


class Services:
    """The Service, built once per process on first use (it imports mlflow), and warmed
    in the background at start so that the first command does not pay for it."""

    def __init__(self, settings: Settings, policy: Policy) -> None:
        self.settings = settings
        self.policy = policy
        self._service: Service | None = None
        self._lock = threading.Lock()

    def get(self) -> Service:
        if self._service is None:
            with self._lock:
                if self._service is None:
                    from bot.app import build_service

                    self._service = build_service(self.settings, self.policy)
        return self._service

    def warm(self) -> None:
        def build() -> None:
            try:
                self.get()
            except Exception:
                log.warning("could not set up the MLflow client yet", exc_info=True)

        threading.Thread(target=build, name="promobot-warm-up", daemon=True).start()


@dataclass
class Doors:
    """What one process serves: the bolt App, the MLflow webhook door, and the threads that
    carry out their work after the ack (drained before the process exits)."""

    slack: Any
    mlflow: MlflowWebhookDoor
    work: Any  # the ThreadPoolExecutor


def build_door(settings: Settings, policy: Policy) -> Doors:
    """Everything one process serves with: the bolt App and the MLflow webhook door, their
    Service and work threads, the sweeper (every PROMOBOT_SWEEP_SECONDS) and the audit
    (every PROMOBOT_AUDIT_SECONDS) and the verification pass (every
    PROMOBOT_VERIFY_SECONDS; 0 turns any of them off)."""
    from concurrent.futures import ThreadPoolExecutor

    from slack_bolt.error import BoltError

    from bot.doors.passes.drift_pass import Auditor
    from bot.doors.passes.expiry import Sweeper
    from bot.doors.slack.app import build_app
    from bot.notifiers.slack import web_client

    # An ack is short work that waits for the GIL behind the threads working out earlier
    # commands' answers; a shorter switch interval than CPython's 5 ms lets it in sooner
    # (`make bench`, slack: the slowest acks of the first round fell from 50-73 to 43 ms).
    sys.setswitchinterval(0.001)
    services = Services(settings, policy)
    services.warm()
    client = web_client(settings)
    # Commands carried out at once (PROMOBOT_WORK_THREADS); the others wait in line here,
    # holding no lock: with several replicas on one MLflow server, more at once only
    # lengthens every call (docs/performance.md, "Replicas side by side").
    executor = ThreadPoolExecutor(
        max_workers=settings.promobot_work_threads, thread_name_prefix="promobot-work"
    )
    try:
        app = build_app(settings, services.get, client=client, executor=executor)
    except BoltError as exc:
        # The master checked the token a moment ago; Slack hiccupped since. Start anyway
        # and let bolt check the token on the first request instead of failing the boot.
        log.warning("auth.test failed at start (%s); checking on the first request", exc)
        app = build_app(
            settings, services.get, client=client, executor=executor, token_verification=False
        )
    if settings.promobot_sweep_seconds > 0:
        Sweeper(services.get, settings.promobot_sweep_seconds).start()
    if settings.promobot_audit_seconds > 0:
        Auditor(services.get, settings.promobot_audit_seconds).start()
    if settings.promobot_verify_seconds > 0:
        from bot.doors.passes.verification import VerifyPass

        VerifyPass(services.get, settings.promobot_verify_seconds).start()
    secret = _secret(settings.promobot_mlflow_webhook_secret)
    if not secret:
        log.info("PROMOBOT_MLFLOW_WEBHOOK_SECRET is not set: %s answers 401", WEBHOOK_PATH)
    return Doors(app, MlflowWebhookDoor(secret, services.get, executor), executor)


def wsgi_app(
    slack: Callable[..., Iterable[bytes]], mlflow: Callable[..., Iterable[bytes]] | None = None
) -> Callable[..., Iterable[bytes]]:
    """Route /healthz, /slack/events and /mlflow/webhook; everything else is 404."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path == HEALTH_PATH:
            if method not in ("GET", "HEAD"):
                return _answer(start_response, "405 Method Not Allowed", b"", allow="GET")
            body = json.dumps({"ok": True}).encode()
            return _answer(
                start_response,
                "200 OK",
                b"" if method == "HEAD" else body,
                content_type="application/json",
                length=len(body),
            )
        if path == EVENTS_PATH:
            if method != "POST":
                return _answer(start_response, "405 Method Not Allowed", b"", allow="POST")
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > BODY_MAX:
                return _answer(start_response, "413 Content Too Large", b"")
            return slack(environ, start_response)
        if path == WEBHOOK_PATH and mlflow is not None:
            return mlflow(environ, start_response)
        return _answer(start_response, "404 Not Found", b"not found\n")

    return application


def _answer(
    start_response: Callable[..., Any],
    status: str,
    body: bytes,
    *,
    content_type: str = "text/plain; charset=utf-8",
    allow: str = "",
    length: int | None = None,
) -> list[bytes]:
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body) if length is None else length)),
        ("Cache-Control", "no-store"),
    ]
    if allow:
        headers.append(("Allow", allow))
    start_response(status, headers)
    return [body]


def _setup_logging(settings: Settings) -> None:
    level = settings.promobot_log_level.upper()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s")
    )
    root = logging.getLogger("promobot")
    if not root.handlers:
        root.addHandler(handler)
    root.setLevel(level if level in logging.getLevelNamesMapping() else "INFO")
    root.propagate = False


# ---- HTTP: gunicorn --------------------------------------------------------------------


def run_gunicorn(
    settings: Settings,
    policy: Policy,
    host: str,
    port: int,
    workers: int,
    threads: int,
) -> int:
    from gunicorn.app.base import BaseApplication

    built: list[Doors] = []

    def load() -> Callable[..., Iterable[bytes]]:
        # In each worker, after the fork: threads and clients never cross a fork.
        from slack_bolt.adapter.wsgi import SlackRequestHandler

        _setup_logging(settings)
        doors = build_door(settings, policy)
        built.append(doors)
        return wsgi_app(SlackRequestHandler(doors.slack, path=EVENTS_PATH), doors.mlflow)

    def worker_exit(server: Any, worker: Any) -> None:
        # On SIGTERM the worker stops taking requests; the commands already acknowledged
        # finish here, before Python's exit refuses them new threads (within
        # graceful_timeout, after which the master kills the worker).
        for doors in built:
            doors.work.shutdown(wait=True)

    options: dict[str, Any] = {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": workers,
        # gthread: the request threads answer Slack while the work runs in other
        # threads of the same process after the ack.
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 30,
        "graceful_timeout": 25,
        # No idle kept-alive connections: on SIGTERM, gunicorn 26's gthread worker waits
        # for its open connections in a select() bounded only by graceful_timeout, so one
        # idle connection (MLflow's webhook session, a proxy's pool) held every stop for
        # 25 s. Each request is answered and closed; in-flight commands still finish.
        "keepalive": 0,
        "errorlog": "-",
        "accesslog": settings.promobot_access_log or None,
        "loglevel": settings.promobot_log_level.lower(),
        "proc_name": "promobot-serve",
        # One control socket per user ($HOME/.gunicorn) would clash between instances.
        "control_socket_disable": True,
        "worker_exit": worker_exit,
    }

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                if key in self.cfg.settings and value is not None:
                    self.cfg.set(key, value)

        def load(self) -> Callable[..., Iterable[bytes]]:
            return load()

    try:
        Server().run()
    except SystemExit as exc:  # gunicorn's arbiter leaves through sys.exit
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return ExitCode.OK


# ---- Socket Mode -------------------------------------------------------------------------


def run_socket_mode(settings: Settings, policy: Policy, host: str, port: int) -> int:
    import signal
    from http.server import ThreadingHTTPServer

    from slack_bolt.adapter.socket_mode import SocketModeHandler

    _setup_logging(settings)

    served: list[MlflowWebhookDoor] = []  # once the doors are built
    from bot.doors.slack.socket_http import socket_mode_http

    try:
        health = ThreadingHTTPServer((host, port), socket_mode_http(served))
    except OSError as exc:
        print(f"promobot serve cannot listen on {host}:{port} for /healthz: {exc}", file=sys.stderr)
        return ExitCode.REFUSED
    threading.Thread(target=health.serve_forever, name="promobot-healthz", daemon=True).start()
    doors = build_door(settings, policy)
    served.append(doors.mlflow)
    assert settings.slack_app_token is not None
    handler = SocketModeHandler(doors.slack, settings.slack_app_token.get_secret_value())

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    log.info("promobot serve: Socket Mode; /healthz on %s:%s", host, port)
    try:
        handler.start()
    except KeyboardInterrupt:
        pass
    finally:
        handler.close()
        doors.work.shutdown(wait=True)  # the commands already acknowledged finish
        health.shutdown()
    return ExitCode.OK
