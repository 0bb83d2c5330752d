"""What one `promobot serve` process builds once it runs (in each gunicorn worker, after
the fork: threads and clients never cross a fork): the Service, the bolt App, the MLflow
webhook door, their work threads and the scheduled passes; and its logging.

The Service imports mlflow: it is built on first use, and warmed in the background at
start so that the first command does not pay for it.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.error import BoltError

from bot.adapters.slack.client import web_client
from bot.app import build_identity, build_service
from bot.doors.board import BoardDoor
from bot.doors.command_door import CommandDoor
from bot.doors.mlflow_webhook import WEBHOOK_PATH, MlflowWebhookDoor
from bot.doors.slack.app import build_app
from bot.doors.slack.schedule import start_passes

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core.policy import Policy
    from bot.core.ports.identity import Identity
    from bot.core.service import Service

log = logging.getLogger("promobot.slack")


class Services:
    """The Service, built once per process on first use, and warmed in the background."""

    def __init__(self, settings: Settings, policy: Policy) -> None:
        self.settings = settings
        self.policy = policy
        self._service: Service | None = None
        self._lock = threading.Lock()

    def get(self) -> Service:
        if self._service is None:
            with self._lock:
                if self._service is None:
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
    """What one process serves: the bolt App, the MLflow webhook door, the threads that
    carry out their work after the ack (drained before the process exits), and the
    command door (`promobot --server`), and the release board (`GET /releases`)."""

    slack: App
    mlflow: MlflowWebhookDoor
    work: ThreadPoolExecutor
    commands: CommandDoor
    board: BoardDoor | None = None


def build_doors(settings: Settings, policy: Policy) -> Doors:
    """Everything one process serves with: the bolt App and the MLflow webhook door, their
    Service and work threads, and the scheduled passes (bot/doors/slack/schedule.py)."""
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
    start_passes(settings, services.get)
    secret = secret_text(settings.promobot_mlflow_webhook_secret)
    if not secret:
        log.info("PROMOBOT_MLFLOW_WEBHOOK_SECRET is not set: %s answers 401", WEBHOOK_PATH)
    identity = build_identity(settings)
    commands = CommandDoor(identity, services.get, settings.service_users)
    board = board_door(settings, services.get, identity)
    webhooks = MlflowWebhookDoor(secret, services.get, executor)
    return Doors(app, webhooks, executor, commands, board)


def board_door(settings: Settings, service: Callable[[], Service], identity: Identity) -> BoardDoor:
    """The release board of this process, as PROMOBOT_BOARD says (a bad value is logged:
    the board then answers this machine only)."""
    for variable in ("promobot_board", "promobot_board_seconds"):
        if problem := settings.problem(variable):
            log.warning("%s", problem)
    return BoardDoor(
        service,
        identity,
        mode=settings.promobot_board,
        ui_url=settings.promobot_mlflow_ui_url,
        max_age=settings.promobot_board_seconds,
    )


def secret_text(value: Any) -> str:
    """A SecretStr's text, stripped ("" for none)."""
    return value.get_secret_value().strip() if value is not None else ""


def setup_logging(settings: Settings) -> None:
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
