"""The scheduled pass of `promobot serve`: every interval, one call into the service,
which closes expired requests shown in Slack and reports those whose messages nobody
redrew; the Slack notifier redraws them."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.service import Service

log = logging.getLogger("promobot.slack")


class Sweeper(threading.Thread):
    """Runs the service's sweep of Slack-shown requests every `interval` seconds."""

    def __init__(self, services: Callable[[], Service], interval: float) -> None:
        super().__init__(name="promobot-slack-sweeper", daemon=True)
        self.services = services
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        # Replicas and workers started together should not all sweep at the same instant.
        if self.stopped.wait(random.uniform(0, min(self.interval, 5.0))):
            return
        while not self.stopped.is_set():
            try:
                count = self.services().sweep("slack")
                if count:
                    log.info("sweeper redrew %d request message(s)", count)
            except Exception:
                log.warning("sweep failed; trying again in %ss", self.interval, exc_info=True)
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
