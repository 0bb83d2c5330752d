"""`promobot serve`'s verification pass: every PROMOBOT_VERIFY_SECONDS, one call into
the service (`Service.verify`), which runs each due target's checks under that target's
lock, so any number of replicas and workers act once."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.service import Service

log = logging.getLogger("promobot.verify")


class VerifyPass(threading.Thread):
    def __init__(self, services: Callable[[], Service], interval: float) -> None:
        super().__init__(name="promobot-verify", daemon=True)
        self.services = services
        self.interval = interval
        self.stopped = threading.Event()

    def once(self) -> None:
        """One pass; a failure (MLflow away) is logged and the next pass tries again."""
        try:
            report = self.services().verify()
        except Exception:
            log.warning("the verification pass failed; next in %ss", self.interval, exc_info=True)
            return
        for outcome in report.outcomes:
            if outcome.state != "running":
                log.info(
                    "verification %s: %s v%s on %s: %s",
                    outcome.state,
                    outcome.model,
                    outcome.version,
                    outcome.target,
                    outcome.detail,
                )

    def run(self) -> None:
        # Spread replicas started together over the first interval.
        delay = random.uniform(0, min(self.interval, 2.0))
        while not self.stopped.wait(delay):
            self.once()
            delay = self.interval

    def stop(self) -> None:
        self.stopped.set()
