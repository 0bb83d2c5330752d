"""Where in Slack the command being handled was typed or clicked.

The Slack door runs each command inside `asked_in(channel)`. The service publishes its
events synchronously, in the thread that handles the command, so a notifier that reads
`current()` while it is handed an event of that command learns the channel, posts the
command's outcome there (the request waiting for approval, the promotion carried out),
and writes back where it posted (`Asked.shown`): the door then knows whether the channel
saw it, or whether to answer through the command's response URL instead. Outside a Slack
command `current()` is None, and the notifiers post in the model's channel.

A context variable, not a field of the core's Context: the channel is the door's own
business for one command, never recorded, and must reach the notifiers also through the
events the core rebuilds from a stored request (an execution's `executed`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class Asked:
    channel: str  # the Slack channel id the command was typed or clicked in
    shown: dict[str, str] | None = None  # {"channel", "ts"} of what a notifier posted


_ASKED: ContextVar[Asked | None] = ContextVar("promobot_slack_asked", default=None)


@contextmanager
def asked_in(channel: str) -> Iterator[Asked]:
    """For the duration of one command typed or clicked in `channel`."""
    asked = Asked(channel)
    token = _ASKED.set(asked)
    try:
        yield asked
    finally:
        _ASKED.reset(token)


def current() -> Asked | None:
    """The Slack command being handled in this thread, if any."""
    return _ASKED.get()
