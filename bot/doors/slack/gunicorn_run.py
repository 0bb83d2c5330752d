"""`promobot serve` over HTTP: gunicorn's master process and `gthread` workers, run from
here through `gunicorn.app.base.BaseApplication`. Each worker builds its doors after the
fork (bot/doors/slack/worker.py) and serves the HTTP app (bot/doors/slack/http_app.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.doors.common import ExitCode
from bot.doors.slack.http_app import EVENTS_PATH, WSGI, wsgi_app
from bot.doors.slack.worker import Doors, build_doors, setup_logging

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core.policy import Policy


def run_gunicorn(
    settings: Settings, policy: Policy, host: str, port: int, workers: int, threads: int
) -> int:
    built: list[Doors] = []

    def load() -> WSGI:
        # In each worker, after the fork: threads and clients never cross a fork.
        setup_logging(settings)
        doors = build_doors(settings, policy)
        built.append(doors)
        events = SlackRequestHandler(doors.slack, path=EVENTS_PATH)
        return wsgi_app(events, doors.mlflow, doors.commands)

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

        def load(self) -> WSGI:
            return load()

    try:
        Server().run()
    except SystemExit as exc:  # gunicorn's arbiter leaves through sys.exit
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return ExitCode.OK
