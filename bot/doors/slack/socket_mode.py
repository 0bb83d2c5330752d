"""`promobot serve --socket-mode`: a WebSocket to Slack (SLACK_APP_TOKEN) instead of an
HTTP endpoint, for teams that cannot expose one. /healthz and MLflow's webhook are then
served on --port by a small thread (bot/doors/slack/socket_http.py), started before the
doors are built so that probes are answered at once."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.doors.common import ExitCode
from bot.doors.mlflow_webhook import MlflowWebhookDoor
from bot.doors.slack.socket_http import socket_mode_http
from bot.doors.slack.worker import build_doors, secret_text, setup_logging

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core.policy import Policy

log = logging.getLogger("promobot.slack")


def run_socket_mode(settings: Settings, policy: Policy, host: str, port: int) -> int:
    setup_logging(settings)
    served: list[MlflowWebhookDoor] = []  # once the doors are built
    try:
        health = ThreadingHTTPServer((host, port), socket_mode_http(served))
    except OSError as exc:
        print(f"promobot serve cannot listen on {host}:{port} for /healthz: {exc}", file=sys.stderr)
        return ExitCode.REFUSED
    threading.Thread(target=health.serve_forever, name="promobot-healthz", daemon=True).start()
    doors = build_doors(settings, policy)
    served.append(doors.mlflow)
    handler = SocketModeHandler(doors.slack, secret_text(settings.slack_app_token))

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
