"""The scheduled passes of `promobot serve`: every interval, one call into the service.

`Sweeper` closes expired requests shown in Slack and reports those whose messages
nobody redrew (the Slack notifier redraws them); `DriftPass` (bot/doors/passes/drift_pass.py) looks
for drift. Every worker of every replica runs them; the service makes many at once
harmless.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.core.ports.registry import RegistryError

if TYPE_CHECKING:
    from bot.core.service import Service

log = logging.getLogger("promobot.slack")


class Pass(threading.Thread):
    """Runs `once` every `interval` seconds, the first time after a random delay."""

    what = "pass"

    def __init__(self, services: Callable[[], Service], interval: float) -> None:
        super().__init__(name=f"promobot-{self.what}", daemon=True)
        self.services = services
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        # Replicas and workers started together should not all run at the same instant.
        if self.stopped.wait(random.uniform(0, min(self.interval, 5.0))):
            return
        while not self.stopped.is_set():
            try:
                self.once(self.services())
            except RegistryError as exc:  # MLflow down or slow: said in one line
                log.warning("%s failed; trying again in %ss: %s", self.what, self.interval, exc)
            except Exception:
                log.warning(
                    "%s failed; trying again in %ss", self.what, self.interval, exc_info=True
                )
            self.stopped.wait(self.interval)

    def once(self, service: Service) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self.stopped.set()


class Sweeper(Pass):
    """Runs the service's sweep of Slack-shown requests every `interval` seconds."""

    what = "slack-sweeper"

    def once(self, service: Service) -> None:
        count = service.sweep("slack")
        if count:
            log.info("sweeper redrew %d request message(s)", count)
