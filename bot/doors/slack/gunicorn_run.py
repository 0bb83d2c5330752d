"""`promobot serve` over HTTP: gunicorn's master process and asyncio workers
(bot/doors/slack/gunicorn_worker.py), run from here through
`gunicorn.app.base.BaseApplication`. Each worker builds its doors after the fork
(bot/doors/slack/worker.py); its event loop reads every request whole, within deadlines,
and the HTTP app (bot/doors/slack/http_app.py, WSGI) answers it in a pool of `--threads`
threads (bot/doors/slack/asgi_bridge.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.doors.common import ExitCode
from bot.doors.slack.asgi_bridge import AsgiBridge
from bot.doors.slack.gunicorn_worker import PromobotWorker
from bot.doors.slack.http_app import BODY_MAX, EVENTS_PATH, wsgi_app
from bot.doors.slack.worker import Doors, build_doors, setup_logging

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core.policy import Policy


def run_gunicorn(
    settings: Settings, policy: Policy, host: str, port: int, workers: int, threads: int
) -> int:
    built: list[tuple[AsgiBridge, Doors]] = []

    def load() -> AsgiBridge:
        # In each worker, after the fork: threads and clients never cross a fork.
        setup_logging(settings)
        doors = build_doors(settings, policy)
        events = SlackRequestHandler(doors.slack, path=EVENTS_PATH)
        app = wsgi_app(events, doors.mlflow, doors.commands, doors.board)
        bridge = AsgiBridge(app, threads=threads, body_max=BODY_MAX, multiprocess=workers > 1)
        built.append((bridge, doors))
        return bridge

    def worker_exit(server: Any, worker: Any) -> None:
        # On SIGTERM the worker stops taking requests; the commands already acknowledged
        # finish here, before Python's exit refuses them new threads (within
        # graceful_timeout, after which the master kills the worker).
        for bridge, doors in built:
            bridge.close()
            doors.work.shutdown(wait=True)

    options: dict[str, Any] = {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": workers,
        # gunicorn's asyncio worker with a header deadline: a slow client costs a
        # connection, never one of the threads that answer (issue #20). The work after an
        # ack runs in other threads of the same process (doors.work).
        "worker_class": PromobotWorker,
        "asgi_lifespan": "off",
        "asgi_loop": "asyncio",
        "timeout": 30,
        "graceful_timeout": 25,
        # No idle kept-alive connections: gunicorn waits for open connections on SIGTERM
        # (up to graceful_timeout), and its asyncio worker never times out an idle one, so
        # one (MLflow's webhook session, a proxy's pool) would hold every stop for 25 s.
        # Each request is answered and closed; in-flight commands still finish.
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

        def load(self) -> AsgiBridge:
            return load()

    try:
        Server().run()
    except SystemExit as exc:  # gunicorn's arbiter leaves through sys.exit
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return ExitCode.OK
