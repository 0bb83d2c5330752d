"""The scheduled passes each `promobot serve` process runs: the Slack sweep (expired
requests closed, messages nobody updated drawn), the drift audit and the verification
pass, each every so many seconds (0 turns it off). Every worker of every replica runs
them; the service makes many at once harmless."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.doors.passes.drift_pass import DriftPass
from bot.doors.passes.expiry import Sweeper
from bot.doors.passes.verification import VerifyPass

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core.service import Service

INTERVALS = ("promobot_sweep_seconds", "promobot_audit_seconds", "promobot_verify_seconds")


def start_passes(settings: Settings, services: Callable[[], Service]) -> list[threading.Thread]:
    """Start the passes whose interval is above 0 (PROMOBOT_SWEEP_SECONDS,
    PROMOBOT_AUDIT_SECONDS, PROMOBOT_VERIFY_SECONDS); the threads started."""
    kinds: list[tuple[float, Callable[[Callable[[], Service], float], threading.Thread]]] = [
        (settings.promobot_sweep_seconds, Sweeper),
        (settings.promobot_audit_seconds, DriftPass),
        (settings.promobot_verify_seconds, VerifyPass),
    ]
    started = []
    for interval, kind in kinds:
        if interval > 0:
            thread = kind(services, interval)
            thread.start()
            started.append(thread)
    return started
