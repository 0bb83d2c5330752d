"""`promobot serve` over HTTP: gunicorn's master process and `gthread` workers, run from
here through `gunicorn.app.base.BaseApplication`. Each worker builds its doors after the
fork (bot/doors/slack/worker.py) and serves the HTTP app (bot/doors/slack/http_app.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.doors.common import ExitCode
from bot.doors.slack.http_app import EVENTS_PATH, WSGI, wsgi_app
from bot.doors.slack.worker import build_doors, setup_logging

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core.policy import Policy


def run_gunicorn(
    settings: Settings, policy: Policy, host: str, port: int, workers: int, threads: int
) -> int:
    def load() -> WSGI:
        # In each worker, after the fork: threads and clients never cross a fork.
        setup_logging(settings)
        doors = build_doors(settings, policy)
        return wsgi_app(SlackRequestHandler(doors.slack, path=EVENTS_PATH), doors.mlflow)

    options: dict[str, Any] = {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": workers,
        # gthread: the request threads answer Slack while the work runs in other
        # threads of the same process after the ack.
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 30,
        "graceful_timeout": 25,
        "keepalive": 5,
        "errorlog": "-",
        "accesslog": settings.promobot_access_log or None,
        "loglevel": settings.promobot_log_level.lower(),
        "proc_name": "promobot-serve",
        # One control socket per user ($HOME/.gunicorn) would clash between instances.
        "control_socket_disable": True,
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
